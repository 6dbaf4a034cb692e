"""Keyword rules of the offline provider: competitors, churn cues, severity, product, product area, tags, JTBD.

Plain, explainable rules over the text (English, with the French cues the French reviews use): each one answers
"which words made it say so", which a PM can check. Nothing here is learnt; the classifier and the sentiment scorer
(``ai.classifier``, ``ai.sentiment``) are.
"""

from __future__ import annotations

import re

import numpy as np

# Competitor (display name) -> patterns that name it. Word-bounded, case-insensitive.
COMPETITORS: dict[str, tuple[str, ...]] = {
    "OpenAI": (
        r"open\s?ai",
        r"chat\s?gpt",
        r"gpt[-\s]?(?:3(?:\.5)?|4(?:o|\.1|\.5)?|5|oss)(?:[-\s]?(?:mini|turbo))?",
        r"o[134]-mini",
        r"dall[-\s]?e",
        r"whisper api",
        r"sora",
    ),
    "Anthropic": (r"anthropic", r"claude(?:\s?(?:code|opus|sonnet|haiku))?"),
    "Google Gemini": (r"gemini", r"bard", r"vertex\s?ai", r"palm\s?2", r"gemma"),
    "Cohere": (r"cohere", r"command[-\s]r\+?"),
    "Meta Llama": (r"llama(?:\s?\d(?:\.\d)?)?", r"meta\s?ai"),
    "Microsoft Copilot": (r"(?:github|microsoft|ms)\s?copilot", r"copilot", r"azure\s?openai"),
    "DeepSeek": (r"deepseek",),
    "Qwen": (r"qwen",),
    "xAI Grok": (r"grok", r"xai"),
    "Perplexity": (r"perplexity",),
    "AWS Bedrock": (r"bedrock", r"amazon\s?(?:titan|nova|q)"),
    "Aleph Alpha": (r"aleph\s?alpha",),
    "AI21": (r"ai21", r"jurassic", r"jamba"),
    "Hugging Face": (r"hugging\s?face",),
    "Together AI": (r"together\s?ai",),
    "Groq": (r"groq",),
    "Cursor": (r"cursor\s?(?:ai|ide|editor)",),
}
# Generic mentions of "a competitor" without a name: counted as "competitor" when no named one matched.
GENERIC_COMPETITOR = (
    r"competitors?",
    r"concurren(?:t|ts|ce)",
    r"switch(?:ing|ed)?\s+(?:over\s+)?to",
    r"mov(?:e|ing|ed)\s+to\s+(?:another|a different|an other)",
    r"(?:another|other|different)\s+(?:provider|vendor|tool|llm|model provider)",
    r"alternatives?\s+(?:like|such as)",
    r"passer?\s+(?:chez|à)\s+(?:la\s+)?concurrence",
)

_COMPETITOR_RES = {name: re.compile(r"\b(?:" + "|".join(pats) + r")\b", re.I) for name, pats in COMPETITORS.items()}
_GENERIC_RE = re.compile(r"\b(?:" + "|".join(GENERIC_COMPETITOR) + r")\b", re.I)


def competitors_in(text: str) -> list[str]:
    """The AI competitors the text names, in a stable order (``COMPETITORS``'s); ``["competitor"]`` for a generic
    mention ("switching to another provider", "a competitor") that names none; ``[]`` when there is none."""
    text = text or ""
    found = [name for name, pattern in _COMPETITOR_RES.items() if pattern.search(text)]
    if not found and _GENERIC_RE.search(text):
        return ["competitor"]
    return found


# --- Cues the learnt models use as features, and the rules that split "other" (English + French) ---------------

_W = r"(?:\w+\s+){0,3}"  # up to three words in between
CUES: dict[str, str] = {
    # Someone asking for something that is not there (or not there yet).
    "request": r"please\s+(?:add|make|bring|include|allow|let|give|consider|implement|support)|would\s+(?:be\s+)?"
    r"(?:nice|great|good|awesome|helpful|useful|love|like)|i\s*'?d\s+(?:love|like)|wish|would\s+like|should\s+"
    r"(?:be\s+able|have|add|include|allow|let|support|show)|option\s+to|ability\s+to|add(?:ing)?\s+(?:a|an|the|"
    r"support|more|some)|feature\s+request|suggest(?:ion)?|can\s+you\s+(?:add|make|please)|could\s+you|let\s+"
    r"(?:me|us|users)|allow(?:ing)?\s+(?:me|us|users|to)|hope(?:fully)?|needs?\s+(?:a|an|to\s+be\s+able|more|the\s+"
    r"ability)|missing|lacks?|it\s+would|why\s+(?:not|can'?t)|serait\s+(?:bien|top|génial|super|pratique|utile|"
    r"appréciable|intéressant)|ce\s+serait|ajout(?:er|ez)?|pouvoir|possibilit[ée]|manque|il\s+faudrait|j'aimerais|"
    r"j'aurais\s+aimé|aimerai[st]?|souhait\w*|pourriez|pourrait|suggestion|dommage\s+qu|option",
    # Something that is broken.
    "bug": r"crash\w*|bug\w*|beug\w*|error\w*|erreur\w*|glitch\w*|broken|freez\w*|fail\w*|stopp?ed\s+working|"
    r"(?:does\s*n[o']?t|doesnt|did\s*n[o']?t|is\s*n[o']?t|won'?t|wont|can'?t|cannot|cant|not)\s+(?:work|working|"
    r"load|open|connect|sync|show|update|save|display|log)|not\s+work\w*|keeps?\s+(?:crash|disconnect|fail|los|drop|"
    r"clos|ask|say)\w*|(?:after|since)\s+(?:the\s+)?(?:last|latest|recent)?\s*update|fix\w*|issue\w*|problem\w*|"
    r"plant\w*|ne\s+(?:fonctionne|marche|s'ouvre|se\s+connecte|synchronise|charge)\w*|fonctionne\s+(?:plus|pas)|"
    r"marche\s+(?:plus|pas)|impossible|bloqu\w*|probl[èe]me\w*|depuis\s+(?:la\s+)?(?:derni[èe]re\s+)?mise\s+[àa]\s+"
    r"jour|corrig\w*",
    "positive": r"love\w*|great|excellent|awesome|amazing|perfect\w*|best|good|nice|fantastic|wonderful|helpful|easy|"
    r"happy|super|génial\w*|parfait\w*|top|excellent\w*|bien|bravo|merci|thanks?|pratique|efficace|agréable|facile|"
    r"satisfait\w*|adore|j'adore|recommande",
    "negative": r"worst|terrible|awful|horrible|useless|garbage|trash|rubbish|hate|annoying|frustrat\w*|disappoint\w*|"
    r"poor|bad|worse|waste|ridiculous|unusable|junk|sucks?|nul(?:le)?|inutile|déçu\w*|décevant\w*|catastroph\w*|"
    r"pénible|honte|lamentable|pire|mauvais\w*|n'importe\s+quoi|agaçant|énervant|galère|dommage",
}
_CUE_RES = {name: re.compile(r"\b(?:" + pattern + r")\b", re.I) for name, pattern in CUES.items()}
CUE_FEATURES = (*CUES, "question_marks", "exclamations", "length")


def cue_features(texts: list[str]) -> np.ndarray:
    """One row of ``len(CUE_FEATURES)`` small numbers per text (log counts of each cue, '?', '!', log length)."""
    out = np.zeros((len(texts), len(CUE_FEATURES)), dtype=np.float32)
    for row, text in enumerate(texts):
        text = text or ""
        for column, pattern in enumerate(_CUE_RES.values()):
            out[row, column] = np.log1p(len(pattern.findall(text)))
        out[row, len(CUES)] = min(text.count("?"), 3) / 3
        out[row, len(CUES) + 1] = np.log1p(text.count("!")) / 2
        out[row, len(CUES) + 2] = np.log1p(len(text)) / 6
    return out


def _any(patterns: tuple[str, ...] | list[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.I)


CHURN_RE = _any(
    (
        r"cancel(?:l?ing|l?ed)?\s+(?:my|our|the)?\s*(?:subscription|plan|contract|account|membership)",
        r"(?:will|going\s+to|gonna|are|we're|i'm|am)\s+(?:be\s+)?cancel\w*",
        r"not\s+(?:be\s+)?renew\w*|won'?t\s+(?:be\s+)?renew\w*|(?:don'?t|do\s+not)\s+plan\s+to\s+renew",
        r"switch(?:ing|ed)?\s+(?:over\s+)?to|mov(?:e|ing)\s+(?:over\s+)?to\s+(?:another|a\s+different|\w+\s+instead)",
        r"leav(?:e|ing)\s+(?:for|your|this|the\s+(?:platform|service|product))",
        r"look(?:ing)?\s+(?:at|for)\s+(?:an?\s+)?(?:alternatives?|other\s+(?:options|providers|vendors))",
        r"churn\w*|unsubscrib\w*|(?:ask(?:ing)?\s+for\s+a|want\s+a|demand\w*\s+a)\s+refund|get\s+my\s+money\s+back",
        r"(?:will|i'll|we'll|going\s+to)\s+(?:stop\s+using|uninstall|leave)|never\s+(?:buy|use)\w*\s+\w+\s+again",
        r"won'?t\s+(?:be\s+)?buy\w*\s+\w+\s+(?:products?\s+)?(?:again|anymore)",
        r"résili\w*|désabonn\w*|(?:je\s+vais|nous\s+allons|on\s+va)\s+(?:changer|partir|quitter|arrêter)",
        r"passer\s+(?:chez|à)\s+(?:la\s+)?concurrence|rembours\w*|plus\s+jamais",
    )
)


def churn_cues(text: str) -> list[str]:
    """The phrases of the text that say the customer may leave (cancel, not renewing, switching to, refund …)."""
    return [match.group(0).lower() for match in CHURN_RE.finditer(text or "")]


QUESTION_RE = re.compile(
    r"^\s*(?:how|what|why|where|when|which|who|is|are|can|could|does|do|did|will|would|should|any|anyone|est-ce|"
    r"comment|pourquoi|où|quand|quel\w*|combien|peut-on|pouvez-vous|y\s+a-t-il)\b|\b(?:how\s+(?:do|can|to)\s+i|is\s+"
    r"there\s+(?:a|any)\s+way|does\s+anyone\s+know|comment\s+(?:faire|fait-on))\b",
    re.I,
)
PAIN_RE = _any(
    (
        r"frustrat\w*|tedious|time[-\s]consuming|takes\s+(?:forever|ages|too\s+long)|too\s+(?:slow|many\s+steps|"
        r"complicated|hard|difficult)|hard\s+to|difficult\s+to|confusing|cumbersome|clunky|painful|struggl\w*|slow",
        r"compliqué\w*|fastidieu\w*|difficile|pénible|trop\s+(?:lent|long)\w*|galère|lent\w*|laborieu\w*",
    )
)
IMPROVE_RE = _any(
    (
        r"improv\w*|better|faster|easier|simpler|more\s+\w+|less\s+\w+|enhanc\w*|tweak|should\s+be\s+(?:more|less|"
        r"able|easier)|instead\s+of|rather\s+than|upgrade",
        r"amélior\w*|plus\s+(?:simple|rapide|facile|clair|lisible)|mieux|moins\s+\w+|au\s+lieu\s+de",
    )
)
NEW_RE = _any((r"add\w*|new|introduce|support\s+for|integrat\w*|ajout\w*|nouvel\w*|nouveau\w*|intégr\w*",))


def is_question(text: str) -> bool:
    """A question to the vendor: ends with '?' or opens like one ("how do I", "is there a way", "comment …")."""
    text = (text or "").strip()
    return text.endswith("?") or bool(QUESTION_RE.search(text)) and "?" in text


def refine_other(text: str, sentiment: float) -> str:
    """A hub category for text the classifier calls "other" (neither a bug nor a request): churn cues first, then a
    question, then the pain of a workflow, then the sentiment's band (praise ≥ 0.5, complaint ≤ -0.3), then its sign."""
    if churn_cues(text):
        return "churn_signal"
    if is_question(text) and sentiment > -0.3:
        return "question"
    if PAIN_RE.search(text or "") and sentiment < 0.5:
        return "pain_point"
    if sentiment >= 0.5:
        return "praise"
    if sentiment <= -0.3:
        return "complaint"
    return "praise" if sentiment >= 0.1 else "complaint"


def refine_request(text: str) -> str:
    """``improvement`` for a request to make an existing thing better ("faster", "easier", "improve"), with no cue
    of something new ("add", "new", "support for"); ``feature_request`` otherwise."""
    text = text or ""
    return "improvement" if IMPROVE_RE.search(text) and not NEW_RE.search(text) else "feature_request"
