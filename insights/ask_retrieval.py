"""Ask the hub, retrieval (issue 13): the feedback items that answer a question, best first, and how strong the
evidence is. ``insights.ask`` writes the answer from what this returns; ``manage.py evaluate_ask`` measures it.

FIRST VERSION (interface fixed; the retrieval helper owns and improves the body): plain cosine over the active space's
pgvector index, filters applied, evidence strength = the best cosine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ai.providers import get_provider
from feedback.models import FeedbackItem
from feedback.services import active_embedding_space, similar_feedback


@dataclass(frozen=True)
class AskFilters:
    """What a question is narrowed to. Empty means no narrowing. ``segment`` is customer attributes by name
    (industry, region, tier, lifecycle_stage, plan) or ``{"community": True}`` for community authors."""

    segment: dict[str, str] = field(default_factory=dict)
    product: str = ""
    theme_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Hit:
    item_id: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    strength: float  # how well the best evidence answers the question; below ``ABSTAIN_BELOW`` the answer abstains
    abstain: bool


ABSTAIN_BELOW = 0.57


def retrieve(question: str, *, filters: AskFilters | None = None, limit: int = 50) -> Retrieval:
    """The items that answer ``question`` within ``filters``, best first (at most ``limit``)."""
    provider = get_provider()
    space = active_embedding_space(provider=provider)
    vector = provider.embed([question])[0]
    found = similar_feedback(vector=vector, space=space, limit=limit * 4)
    ids = [pk for pk, _ in found]
    allowed = set(
        _filtered(FeedbackItem.objects.filter(pk__in=ids), filters or AskFilters()).values_list("pk", flat=True)
    )
    hits = [Hit(pk, score) for pk, score in found if pk in allowed][:limit]
    strength = hits[0].score if hits else 0.0
    return Retrieval(hits=hits, strength=strength, abstain=strength < ABSTAIN_BELOW)


def _filtered(items, filters: AskFilters):
    for name, value in filters.segment.items():
        if name == "community":
            items = items.filter(customer__isnull=True, source__in=["hackernews", "discourse"])
        else:
            items = items.filter(**{f"customer__{name}": value})
    if filters.product:
        items = items.filter(product=filters.product)
    if filters.theme_id:
        items = items.filter(themes=filters.theme_id)
    if filters.since:
        items = items.filter(received_at__date__gte=filters.since)
    if filters.until:
        items = items.filter(received_at__date__lte=filters.until)
    return items
