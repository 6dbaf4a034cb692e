"""Keyword rules of the offline provider: competitors, churn cues, severity, product, product area, tags, JTBD.

Plain, explainable rules over the text (English, with the French cues the French reviews use): each one answers
"which words made it say so", which a PM can check. Nothing here is learnt; the classifier and the sentiment scorer
(``ai.classifier``, ``ai.sentiment``) are.
"""

from __future__ import annotations

import re

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
