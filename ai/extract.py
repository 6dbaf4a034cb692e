"""Transcripts and long threads cut into separate pieces of feedback, offline: ``extract_offline(text)``.

Plain rules, each one a PM can check:

1. **Turns.** A line ``Speaker: words`` starts a turn; a timestamp may come before or after the name
   (``[00:01:23] Dana (Acme): …``, ``10:32 Dana: …``, ``**Dana:** …``), a role may follow it in brackets
   (``Sam (AE): …``), and a Slack export's header line (``Dana Smith  10:32 AM`` alone on its line) starts a turn whose
   words are on the next lines. Any other line continues the current turn. A text with no speaker at all is one
   customer turn.
2. **Whose side.** A speaker is the vendor's when the name or role names a vendor role (AE, SE, CSM, SDR, account
   executive, sales, customer success, support, solutions engineer, host, interviewer, Mistral, …). When no speaker
   is marked so and there are two or more, the one who asks clearly the most questions (at least two, and the
   highest share of sentences ending in "?") is taken for the interviewer: the vendor. Everyone else is the customer.
   When no customer is left, every speaker is kept (there is no telling).
3. **Pieces.** The customer's turns are cut into sentences; each is classified by cue phrases, first match wins:
   *competitor* (``ai.lexicon.competitors_in`` names one), *objection* (price, budget, security review, blocker,
   "can't sign", …), *request* ("we need", "would love", "is there a way", "can you add", …), *praise* ("love",
   "works really well", "impressed", …; not after a negation). Sentences under three words and filler ("yeah",
   "sounds good") are dropped, and so is a sentence no cue matches, unless it directly follows a kept piece in the same
   turn: then it is kept as that piece's context (at most two such sentences).
4. **Merging.** A piece of the same kind and speaker that follows another with at most one dropped sentence between,
   with no other speaker talking in between, is merged into it.

Each ``Extract`` carries the customer's words and their character offsets in the source text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ai.lexicon import any_of, competitors_in
from ai.types import Extract

_TIME = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]?[AaPp][Mm])?[\])]?"
_NAME = r"@?[A-Za-z][\w.'-]*(?:[ \t]+[A-Z0-9][\w.'-]*){0,3}"
TURN = re.compile(
    rf"^[ \t]*(?:{_TIME}[ \t]*[-–—]?[ \t]*)?\**(?P<speaker>{_NAME})(?:[ \t]*\((?P<role>[^)\n]{{1,40}})\))?"
    rf"(?:[ \t]+{_TIME})?\**[ \t]*:\**[ \t]+(?P<said>\S.*?)[ \t]*$"
)
SLACK_HEADER = re.compile(rf"^[ \t]*(?P<speaker>{_NAME})(?:[ \t]*\((?P<role>[^)\n]{{1,40}})\))?[ \t]+{_TIME}[ \t]*$")
SENTENCE = re.compile(r"\S.*?(?:[.!?…]+[\"'”’)\]]*(?=\s|$)|$)")

# Vendor side: acronyms match in capitals only (so "se" or "am" in a name does not), words in any case.
VENDOR_ACRONYMS = re.compile(r"\b(?:AE|SE|SA|CSM|TAM|SDR|BDR|AM|PM|CS)\b")
VENDOR_WORDS = re.compile(
    r"\b(?:account exec(?:utive)?|account manager|sales(?:person| rep| engineer)?|customer success|success manager|"
    r"support|solutions? (?:engineer|architect)|host|interviewer|moderator|product manager|mistral)\b",
    re.I,
)


def _cues(*patterns: str) -> re.Pattern:
    return any_of(patterns)


OBJECTION = _cues(
    r"too (?:expensive|pricey|costly|slow|risky|complex|complicated|much)",
    r"pric(?:e|ing|ey) (?:is|are|seems?|feels?|was)",
    r"budget",
    r"costs? (?:is|are|too|more)",
    r"concern(?:s|ed)?",
    r"worr(?:y|ied|ies)",
    r"blockers?|blocking|blocks us",
    r"deal[- ]?breakers?|show[- ]?stoppers?",
    r"can(?:'t|not| not) (?:sign|buy|move forward|roll (?:it |this )?out|go live|justify|approve|commit|adopt)",
    r"won't (?:work|pass|be able|get approved|fly)",
    r"not (?:sure|convinced|comfortable)",
    r"hesita(?:nt|te|ting)",
    r"risky|risks?",
    r"security (?:review|team|questionnaire)",
    r"compliance|gdpr|soc ?2|hipaa|data residency",
    r"legal (?:team|review)|procurement",
    r"before we (?:can|could) (?:sign|buy|commit|roll|move|go)",
    r"unless|until (?:you|it|there)",
    r"push ?back|skeptic(?:al)?|hard to justify",
    r"(?:isn't|is not|aren't|not) (?:good|fast|accurate|reliable|cheap) enough",
)
REQUEST = _cues(
    r"(?:we|i)(?:'d| would)? (?:really |also |still |definitely )?(?:need|want|require)",
    r"(?:would|'d) (?:really )?(?:love|like)",
    r"it would be (?:great|nice|helpful|awesome|useful) (?:if|to)",
    r"would (?:really )?help",
    r"wish(?:ed)?",
    r"(?:can|could) you (?:add|build|support|make|provide|give|expose|ship)",
    r"is there (?:a|any) way",
    r"any plans? (?:to|for)",
    r"on (?:the|your) roadmap",
    r"feature request",
    r"please (?:add|support|make|provide)",
    r"support for",
    r"looking for",
    r"be able to",
    r"must[- ]have",
    r"missing",
    r"(?:doesn't|don't|does not|do not) (?:support|have|offer)",
    r"lack(?:s|ing)?",
    r"needs? (?:a|an|the|to|more|better)",
    r"should (?:be able|have|support|allow|let)",
    r"hoping (?:for|to)",
    r"when will",
    r"do you (?:support|have|offer|plan)",
    r"does it support",
)
PRAISE = _cues(
    r"lov(?:e|ed|es|ing)",
    r"(?:is|are|was|were|been|looks?|works?|feels?|seems?) (?:really |very |super |so |pretty )?"
    r"(?:great|awesome|amazing|fantastic|excellent|impressive|brilliant|solid|fast|smooth|good|accurate)",
    r"impress(?:ed|ive)",
    r"big fans?",
    r"game[- ]?changer",
    r"works? (?:really |very |super |so )?well",
    r"(?:happy|pleased|thrilled|delighted) with",
    r"(?:i|we) (?:really )?(?:like|enjoy|appreciate)",
    r"well done|kudos|blown away|exceeded",
    r"best (?:model|api|product|tool|experience|results?)",
    r"(?:great|awesome|amazing|excellent|fantastic) (?:job|work|model|product|api|tool|support|experience|results?|"
    r"quality|performance|latency)",
)
NEGATION = re.compile(r"\b(?:not|never|no longer|hardly|n't)\b|n't\b", re.I)
FILLER = re.compile(
    r"(?:(?:yeah|yes|yep|yup|no|ok(?:ay)?|sure|right|got it|mm+-?hmm+|uh+|um+|hmm+|thanks?(?: you)?|great|perfect|"
    r"cool|sounds good|makes sense|exactly|absolutely|totally|hi|hello|hey|bye|good (?:morning|afternoon)|"
    r"of course|i see|oh|ah|so|well|and|that's (?:fair|right|true))[\s,.!?…]*)+",
    re.I,
)
MIN_WORDS = 3
MAX_CONTEXT = 2


@dataclass
class Turn:
    """One speaker's turn: who, and the (start, end) spans of their words in the source."""

    speaker: str
    role: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Piece:
    kind: str
    speaker: str
    sentences: list[tuple[int, int]]  # spans in the source
    last: int  # index of its last sentence in the customer's sentence sequence
    block: int  # changes whenever another speaker talks in between
    context: int = 0


def turns(text: str) -> list[Turn]:
    """The text's turns, in order (rule 1); one speaker-less turn for plain text."""
    found: list[Turn] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if match := TURN.match(body):
            found.append(Turn(match["speaker"].lstrip("@"), match["role"] or ""))
            found[-1].spans.append((offset + match.start("said"), offset + match.end("said")))
        elif match := SLACK_HEADER.match(body):
            found.append(Turn(match["speaker"].lstrip("@"), match["role"] or ""))
        elif body.strip():
            if not found:
                found.append(Turn(""))
            start = offset + len(body) - len(body.lstrip())
            found[-1].spans.append((start, offset + len(body.rstrip())))
        offset += len(line)
    return found


def sentences(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The sentence spans inside one span of the source."""
    start, end = span
    return [(start + m.start(), start + m.end()) for m in SENTENCE.finditer(text[start:end])]


def vendor_speakers(text: str, found: list[Turn]) -> set[str]:
    """The speakers on the vendor's side (rule 2)."""
    names = {turn.speaker for turn in found if turn.speaker}
    labels = {(turn.speaker, f"{turn.speaker} {turn.role}") for turn in found if turn.speaker}
    marked = {name for name, label in labels if VENDOR_ACRONYMS.search(label) or VENDOR_WORDS.search(label)}
    if not marked and len(names) >= 2:
        asked: dict[str, list[int]] = {name: [0, 0] for name in names}  # questions, sentences
        for turn in found:
            for start, end in (s for span in turn.spans for s in sentences(text, span)):
                if turn.speaker:
                    asked[turn.speaker][0] += text[start:end].rstrip("\"'”’)] ").endswith("?")
                    asked[turn.speaker][1] += 1
        shares = sorted(((q / n if n else 0.0, q, name) for name, (q, n) in asked.items()), reverse=True)
        (share, questions, name), runner_up = shares[0], shares[1][0]
        if questions >= 2 and share > runner_up:
            marked = {name}
    return marked if names - marked else set()


def classify(sentence: str) -> str:
    """The kind of one sentence by its cue phrases (rule 3), or "" when none matches."""
    if competitors_in(sentence):
        return "competitor"
    if OBJECTION.search(sentence):
        return "objection"
    if REQUEST.search(sentence):
        return "request"
    if (match := PRAISE.search(sentence)) and not NEGATION.search(sentence[: match.start()][-25:]):
        return "praise"
    return ""


def is_filler(sentence: str) -> bool:
    return len(sentence.split()) < MIN_WORDS or bool(FILLER.fullmatch(sentence.strip()))


def extract_offline(text: str) -> list[Extract]:
    """The customer's requests, objections, praise and competitor mentions in a transcript or thread, in order."""
    text = text or ""
    found = turns(text)
    vendor = vendor_speakers(text, found)
    pieces: list[Piece] = []
    index, block, previous_speaker = 0, 0, None
    for turn in found:
        if turn.speaker in vendor:
            block += 1
            continue
        if turn.speaker != previous_speaker:
            block += 1
            previous_speaker = turn.speaker
        open_piece: Piece | None = None  # the kept piece a following uncued sentence of this turn may attach to
        for start, end in (s for span in turn.spans for s in sentences(text, span)):
            index += 1
            said = text[start:end]
            kind = classify(said)
            if not kind or (is_filler(said) and kind != "competitor"):
                if not kind and open_piece and open_piece.context < MAX_CONTEXT and not is_filler(said):
                    open_piece.sentences.append((start, end))
                    open_piece.context += 1
                    open_piece.last = index
                else:
                    open_piece = None
                continue
            last = pieces[-1] if pieces else None
            if (
                last
                and last.kind == kind
                and last.speaker == turn.speaker
                and last.block == block
                and index - last.last <= 2
            ):
                last.sentences.append((start, end))
                last.last, last.context = index, 0
                open_piece = last
            else:
                open_piece = Piece(kind, turn.speaker, [(start, end)], index, block)
                pieces.append(open_piece)
    return [
        Extract(
            kind=piece.kind,
            text=" ".join(text[start:end] for start, end in piece.sentences),
            start=piece.sentences[0][0],
            end=piece.sentences[-1][1],
        )
        for piece in pieces
    ]
