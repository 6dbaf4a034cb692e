"""Ask the hub, the answer: what the retrieved feedback says, grouped by theme, every claim citing its items.

Two writers, one shape. The hub always computes the groups itself — per theme the items, their unique customers and
the ARR of those customers (each customer once), 2–3 verbatims with who said them — so figures never come from a
model. The text is:

- **extractive** (offline, the default): the groups in order, each line citing its items as ``[#123]``;
- **Mistral's** when it is configured: mistral-large writes from the same items given as numbered evidence
  (``ai/prompts/ask.txt``), told to cite ids and to say when the evidence is not enough. The hub checks every cited
  id is one of the evidence's: an answer citing any other id, or citing none, is refused and the extractive text is
  used (``written_by`` says so), as it is when the call fails.

Evidence is only the hits close to the best one (``RELEVANCE_CUT`` of its score): the cosine of MiniLM drops slowly
from the items that answer to those that share a word, and a fixed count would pad a narrow answer with noise.
When retrieval abstains (weak evidence) or nothing is in scope, the answer says "Not enough evidence in the feedback
to answer this.", what was searched, and lists the nearest items anyway, marked as not evidence.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from ai.providers.base import ProviderUnavailable
from feedbackhub.formatting import money

logger = logging.getLogger(__name__)

NOT_ENOUGH = "Not enough evidence in the feedback to answer this."
NO_THEME = "No theme yet"
OFFLINE = "offline (extractive)"
# Evidence: hits scoring at least this share of the best hit's cosine. Chosen on the demo data (20 questions, one per
# theme, "What do customers say about <topic>?"; relevant = the theme's items): the share of evidence on the asked
# theme was .76 keeping every hit, .78 at 0.8, .77 at 0.85, .71 at 0.9 and .65 at 0.95 (a tight cut keeps a few
# near-copies of one wording and loses the rest of the theme). 0.8 was the best, keeping ~26 items of 50.
RELEVANCE_CUT = 0.8
MAX_EVIDENCE = 30  # items an answer rests on (and Mistral reads)
QUOTES_PER_GROUP = 3
NEAREST_SHOWN = 3
QUOTE_CHARS = 280
ANSWER_WORD_LIMIT = 250
EVIDENCE_TEXT_CHARS = 600  # of each item, in the prompt
CITATION = re.compile(r"\[#(\d+)\]")
ASK_SCHEMA = {
    "type": "object",
    "properties": {"enough_evidence": {"type": "boolean"}, "answer": {"type": "string"}},
    "required": ["enough_evidence", "answer"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Evidence:
    """One retrieved item as the answer uses it."""

    item_id: int
    score: float
    text: str
    received_at: str
    customer_id: int | None
    customer: str
    tier: str
    arr: Decimal
    themes: list[tuple[int, str]]  # (id, name) of the item's themes


@dataclass
class Group:
    """The items of one theme (``theme`` None: no theme yet) among the evidence."""

    theme: dict | None
    items: int
    customers: int
    arr: float
    item_ids: list[int]
    quotes: list[dict]


@dataclass
class Answer:
    """What the hub answered (the API's response, and what ``AskedQuestion.answer`` stores)."""

    question: str
    search_text: str
    filters_applied: list[dict]
    abstained: bool
    answer_text: str
    groups: list[Group] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    citations: list[int] = field(default_factory=list)
    nearest: list[dict] = field(default_factory=list)
    written_by: str = OFFLINE
    strength: float = 0.0  # the best evidence's cosine within the filters: below ``ABSTAIN_BELOW`` the answer abstains
    seconds: float = 0.0
    id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def evidence_of(hits, items: dict) -> list[Evidence]:
    """The hits (best first) close enough to the best one, as Evidence (``items``: id → item with its customer and
    themes loaded); hits whose item is gone are skipped."""
    if not hits:
        return []
    floor = hits[0].score * RELEVANCE_CUT
    return [as_evidence(items[hit.item_id], hit.score) for hit in hits if hit.score >= floor and hit.item_id in items][
        :MAX_EVIDENCE
    ]


def as_evidence(item, score: float) -> Evidence:
    customer = item.customer
    return Evidence(
        item_id=item.pk,
        score=round(float(score), 4),
        text=" ".join(item.verbatim.split()),
        received_at=item.received_at.date().isoformat(),
        customer_id=customer.pk if customer else None,
        customer=customer.name if customer else _author(item),
        tier=customer.get_tier_display().split(" (")[0] if customer else "",
        arr=customer.arr if customer else Decimal("0"),
        themes=sorted((theme.pk, theme.name) for theme in item.themes.all()),
    )


def group_evidence(evidence: list[Evidence]) -> list[Group]:
    """Each item in one group: of its themes, the one with the most evidence (then the lowest id); groups with the
    most items first, then the most ARR; "No theme yet" last."""
    counts = Counter(theme for item in evidence for theme in item.themes)
    members: dict[tuple[int, str] | None, list[Evidence]] = {}
    for item in evidence:
        key = min(item.themes, key=lambda theme: (-counts[theme], theme[0])) if item.themes else None
        members.setdefault(key, []).append(item)
    groups = [_group(key, rows) for key, rows in members.items()]
    return sorted(groups, key=lambda group: (group.theme is None, -group.items, -group.arr))


def totals_of(evidence: list[Evidence]) -> dict:
    customers = {item.customer_id: item.arr for item in evidence if item.customer_id is not None}
    return {"items": len(evidence), "customers": len(customers), "arr": float(sum(customers.values(), Decimal(0)))}


def extractive_text(*, groups: list[Group], totals: dict, scope: str) -> str:
    """The offline answer: the totals, then per group its figures and quotes, every line citing its items."""
    every = [item_id for group in groups for item_id in group.item_ids]
    lines = [
        f"{_items(totals['items'])} from {_customers(totals['customers'])} ({money(totals['arr'])} ARR) speak to "
        f"this, within {scope}. {cite(every)}",
    ]
    for group in groups:
        name = group.theme["name"] if group.theme else NO_THEME
        lines.append("")
        lines.append(
            f"{name}: {_items(group.items)}, {_customers(group.customers)}, {money(group.arr)} ARR. "
            f"{cite(group.item_ids)}"
        )
        for quote in group.quotes:
            who = f"{quote['customer']} ({quote['tier']})" if quote["tier"] else quote["customer"]
            lines.append(f"- “{quote['text']}” — {who} [#{quote['item_id']}]")
    return "\n".join(lines)


def abstain_text(
    *, search_text: str, scope: str, nearest: list[dict], strength: float, threshold: float, has_topic: bool = True
) -> str:
    """The answer when the evidence is weak: say so, say what was searched, list the nearest items as not evidence.
    A question that names no subject (``has_topic`` False: only who, which product or when) is told to add one."""
    lines = [NOT_ENOUGH, "", f"Searched: “{search_text}” within {scope}."]
    if not nearest:
        lines.append("No feedback item is in this scope.")
        return "\n".join(lines)
    lines.append(f"The best match scored {strength:.2f}; an answer needs {threshold:.2f} or more.")
    if not has_topic:
        example = search_text.rstrip(" ?.!") + " about " + TOPIC_EXAMPLE + "?"
        lines.append(
            f"The question says whose feedback, not what about: answers come from items about a subject, "
            f"so name one, e.g. “{example}”"
        )
    lines += ["", "Nearest items anyway (weak matches, not evidence):"]
    for row in nearest:
        who = f"{row['customer']} ({row['tier']})" if row["tier"] else row["customer"]
        lines.append(f"- [#{row['item_id']}] “{row['text']}” — {who}")
    return "\n".join(lines)


TOPIC_EXAMPLE = "rate limits"  # the subject a question without one is shown as an example


def nearest_of(hits, items: dict) -> list[dict]:
    return [_quote(as_evidence(items[hit.item_id], hit.score)) for hit in hits[:NEAREST_SHOWN] if hit.item_id in items]


def scope_text(applied: list[dict]) -> str:
    """The filters as a reader sees them ("Tier: Enterprise ($100k+) · Industry: Healthcare"), or "all feedback"."""
    from insights.ask_filters import FIELD_LABELS

    return " · ".join(f"{FIELD_LABELS[row['field']]}: {row['label']}" for row in applied) or "all feedback"


def cite(ids) -> str:
    return " ".join(f"[#{item_id}]" for item_id in ids)


def cited_ids(text: str) -> list[int]:
    """The item ids ``text`` cites (``[#123]``), in order of first appearance."""
    return list(dict.fromkeys(int(found) for found in CITATION.findall(text)))


# --- Mistral ------------------------------------------------------------------------------------------------------


class AnswerRefused(ProviderUnavailable):
    """Mistral answered, but the hub does not pass the answer on (it cites an id outside the evidence, or nothing)."""


def write_with_mistral(provider, *, question: str, scope: str, evidence: list[Evidence]) -> tuple[str, bool, str]:
    """(text, enough_evidence, model) from mistral-large; ``ProviderUnavailable`` when the call fails and
    ``AnswerRefused`` when its citations do not hold."""
    from ai.prompts import quoted, render

    rows = [
        {
            "id": item.item_id,
            "text": item.text[:EVIDENCE_TEXT_CHARS],
            "customer": item.customer,
            "tier": item.tier,
            "arr": money(item.arr) if item.customer_id else "",
            "theme": ", ".join(name for _, name in item.themes) or NO_THEME,
            "date": item.received_at,
        }
        for item in evidence
    ]
    prompt = render(
        "ask",
        question=quoted(question),
        filters=quoted(scope),
        evidence="\n".join(json.dumps(row, ensure_ascii=False) for row in rows),
        word_limit=str(ANSWER_WORD_LIMIT),
    )
    data, model = provider.complete_json("ask", provider.large_model, prompt, ASK_SCHEMA)
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str) or not data["answer"].strip():
        raise AnswerRefused("ask: the answer has no text")
    text, enough = data["answer"].strip(), bool(data.get("enough_evidence"))
    allowed = {item.item_id for item in evidence}
    cited = cited_ids(text)
    if strangers := [item_id for item_id in cited if item_id not in allowed]:
        raise AnswerRefused(f"ask: cites {cite(strangers)}, not among the evidence")
    if enough and not cited:
        raise AnswerRefused("ask: an answer that cites no item")
    return text, enough, model


# --- helpers ------------------------------------------------------------------------------------------------------


def _group(key: tuple[int, str] | None, rows: list[Evidence]) -> Group:
    customers = {item.customer_id: item.arr for item in rows if item.customer_id is not None}
    return Group(
        theme={"id": key[0], "name": key[1]} if key else None,
        items=len(rows),
        customers=len(customers),
        arr=float(sum(customers.values(), Decimal(0))),
        item_ids=[item.item_id for item in rows],
        quotes=[_quote(item) for item in rows[:QUOTES_PER_GROUP]],
    )


def _quote(item: Evidence) -> dict:
    text = item.text.replace("[#", "[ #")  # a verbatim's own "[#123]" is the customer's text, not a citation
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return {"item_id": item.item_id, "text": text, "customer": item.customer, "tier": item.tier, "score": item.score}


def _author(item) -> str:
    """Who said an item with no customer: a community author's handle, else its source."""
    payload = item.raw_payload if isinstance(item.raw_payload, dict) else {}
    community = payload.get("_community") if isinstance(payload.get("_community"), dict) else {}
    author = community.get("author") or payload.get("author")  # community posts keep the handle under _community
    source = item.get_source_display()
    return f"{author} ({source})" if isinstance(author, str) and author else f"No customer ({source})"


def _items(n: int) -> str:
    return f"{n} feedback item" + ("" if n == 1 else "s")


def _customers(n: int) -> str:
    return f"{n} customer" + ("" if n == 1 else "s")
