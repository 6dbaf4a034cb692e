"""What goes into an AI provider and what comes out: plain data, no Django models (ai/ imports no domain app).

The taxonomy values are the hub's own (``feedback.choices``); ``tests/ai/test_types.py`` checks they stay equal, so a
provider can only ever answer with a value the hub stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CATEGORIES = (
    "bug",
    "feature_request",
    "improvement",
    "question",
    "pain_point",
    "complaint",
    "praise",
    "churn_signal",
    "behavioral",
)
PRODUCTS = (
    "mistral_large",
    "mistral_medium",
    "mistral_small",
    "codestral",
    "pixtral",
    "embed",
    "le_chat",
    "api",
    "open_weight",
    "beta",
)
PRODUCT_AREAS = ("api", "dashboard", "fine_tuning", "embeddings", "billing", "docs", "auth", "inference")
SEVERITIES = ("critical", "high", "medium", "low")
MAX_TAGS = 5


@dataclass(frozen=True)
class CustomerContext:
    """Who said it (seed 001's prompt receives company, tier, ARR, industry, region)."""

    company: str = ""
    tier: str = ""
    arr: float | None = None
    industry: str = ""
    region: str = ""
    lifecycle: str = ""
    language: str = ""


@dataclass(frozen=True)
class ThemeContext:
    """An existing theme the provider may name as a match."""

    id: int
    name: str
    description: str = ""


@dataclass(frozen=True)
class TriageRequest:
    """One item to triage, with the context the prompt receives."""

    text: str
    source: str = ""
    customer: CustomerContext | None = None
    themes: tuple[ThemeContext, ...] = ()


@dataclass
class TriageResult:
    """What a provider concluded about one item; the feedback app decides what of it to apply.

    ``handled`` is False when the provider cannot read the text well (a language it does not handle): the values are
    then a low-confidence guess the hub must not apply silently. ``confidence`` is the category's probability (0..1).
    """

    category: str
    sentiment_score: float
    severity: str
    confidence: float = 0.0
    tags: list[str] = field(default_factory=list)
    product: str = ""
    product_area: str = ""
    language: str = ""
    handled: bool = True
    churn_signal: bool = False
    competitors: list[str] = field(default_factory=list)
    jtbd: str = ""
    summary: str = ""
    theme_ids: list[int] = field(default_factory=list)
    provider: str = ""
    model: str = ""
    version: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Extract:
    """One piece cut out of a transcript or a long thread: a request, an objection, praise or a competitor mention."""

    kind: str  # "request" | "objection" | "praise" | "competitor"
    text: str  # the customer's words, as said
    start: int = 0  # character offsets into the source text (0, 0 when unknown)
    end: int = 0


@dataclass(frozen=True)
class ClusterName:
    """A name and a one-line description for a suggested theme, written from its members."""

    name: str
    description: str


DIGEST_WORD_LIMIT = 500  # seed 001's digest prompt: "Keep it under 500 words"
_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_WORD = re.compile(r"\S*\w\S*")


def word_count(text: str) -> int:
    """Words a reader counts in a Markdown text: a link counts as its label, markup alone ("-", "##", ">") as none.

    The hub's template digests and a provider's written ones are measured by this one rule against the limit."""
    return len(_WORD.findall(_LINK.sub(r"\1", text or "")))


@dataclass(frozen=True)
class DigestFacts:
    """What a weekly digest is written from: figures the hub has already chosen, ordered and cut (plain JSON data).

    ``sections`` maps each section (decisions, top_themes, coverage, high_value, churn, wins, verbatims, shipped …) to
    its figures, in the order the digest presents them; a provider writes prose from them and adds nothing.
    """

    audience: str  # "product" (the product channel) or "account_owner" (one owner, their own accounts)
    period_start: str  # ISO dates, both included
    period_end: str
    sections: dict
    recipient: str = ""  # the account owner's name, for their digest
    word_limit: int = DIGEST_WORD_LIMIT


@dataclass(frozen=True)
class DigestDraft:
    """A digest a provider wrote: Markdown under the word limit, and the model that wrote it."""

    text: str
    model: str
