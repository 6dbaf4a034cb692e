"""Suggested themes: recent unthemed feedback clustered by its vectors, named by the provider, reviewed by a PM.

``suggest_themes`` clusters the most recent unthemed originals of the last ``days`` (``ai.clustering.cluster``: no
number of clusters given), names each cluster of ``min_size`` items or more from its most typical members
(``provider.name_cluster``) and stores it as a pending ``ThemeSuggestion`` with its members, size and cohesion.
An item held by a pending or rejected suggestion is never suggested again, so runs are idempotent; an accepted one
made its items themed. ``accept_suggestion`` (optionally under a new name) turns a suggestion into a theme with
its items; ``reject_suggestion`` closes it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ai.clustering import NOISE, closest_to_centre, cluster, cohesion
from ai.providers import get_provider
from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from feedback.services import active_embedding_space, add_theme
from themes.models import Theme, ThemeSuggestion
from themes.services import create_theme

logger = logging.getLogger(__name__)

MIN_SIZE = 3  # a cluster smaller than this is not worth a PM's review
MAX_ITEMS = 3_000  # the most recent items clustered in one run (pairwise distances: n² floats, ~2 s at 3,000)
NAME_SAMPLE = 12  # members (the most typical first) the provider reads to name a cluster
LOCK_KEY = 0x7468656D  # pg advisory lock: one run at a time ("them")
HOLDING = (ThemeSuggestion.Decision.PENDING, ThemeSuggestion.Decision.REJECTED)


def suggestion_candidates(*, space: EmbeddingSpace, days: int, limit: int = MAX_ITEMS) -> QuerySet:
    """(item id, vector) of the ``limit`` most recent items of the last ``days`` with a vector in ``space``: no
    theme, not a duplicate, not held by a pending or rejected suggestion."""
    themed = FeedbackItem.themes.through.objects.filter(feedbackitem_id=OuterRef("feedback_id"))
    held = ThemeSuggestion.items.through.objects.filter(
        feedbackitem_id=OuterRef("feedback_id"), themesuggestion__decision__in=HOLDING
    )
    return (
        FeedbackEmbedding.objects.filter(
            space=space,
            feedback__received_at__gte=timezone.now() - timedelta(days=days),
            feedback__duplicate_of__isnull=True,
        )
        .exclude(Exists(themed))
        .exclude(Exists(held))
        .order_by("-feedback__received_at", "-feedback_id")
        .values_list("feedback_id", "vector")[:limit]
    )


def suggest_themes(
    *, days: int = 30, min_size: int = MIN_SIZE, limit: int = MAX_ITEMS, provider=None
) -> list[ThemeSuggestion]:
    """Cluster the recent unthemed feedback and store a pending suggestion per cluster of ``min_size`` or more;
    returns the suggestions made (none when another run holds the lock)."""
    provider = provider or get_provider()
    space = active_embedding_space()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            logger.info("suggest_themes: another run is in progress")
            return []
    try:
        return _suggest(space=space, days=days, min_size=min_size, limit=limit, provider=provider)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _suggest(*, space: EmbeddingSpace, days: int, min_size: int, limit: int, provider) -> list[ThemeSuggestion]:
    rows = list(suggestion_candidates(space=space, days=days, limit=limit))
    if len(rows) < min_size:
        return []
    ids = [item_id for item_id, _ in rows]
    vectors = np.asarray([vector for _, vector in rows], dtype=np.float64)
    labels = cluster(vectors, min_size=min_size)
    groups = [
        [index for index, value in enumerate(labels) if value == label] for label in sorted(set(labels) - {NOISE})
    ]
    samples = [[members[i] for i in closest_to_centre(vectors[members], limit=NAME_SAMPLE)] for members in groups]
    texts = dict(
        FeedbackItem.objects.filter(pk__in=[ids[index] for sample in samples for index in sample]).values_list(
            "pk", "verbatim"
        )
    )
    made = []
    for members, sample in zip(groups, samples, strict=True):
        named = provider.name_cluster([texts[ids[index]] for index in sample])
        with transaction.atomic():
            suggestion = ThemeSuggestion.objects.create(
                name=named.name[:200],
                description=named.description,
                size=len(members),
                cohesion=round(cohesion(vectors[members]), 4),
                provider=getattr(provider, "name", ""),
            )
            link = ThemeSuggestion.items.through
            link.objects.bulk_create([link(themesuggestion_id=suggestion.pk, feedbackitem_id=ids[i]) for i in members])
        made.append(suggestion)
    return made


def _lock_pending(suggestion: ThemeSuggestion) -> ThemeSuggestion:
    """The suggestion, locked; ValidationError if a PM already decided it."""
    locked = ThemeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.decision != ThemeSuggestion.Decision.PENDING:
        raise ValidationError(
            f"“{locked.name}” was already {locked.get_decision_display().lower()}.", code="already_decided"
        )
    return locked


@transaction.atomic
def accept_suggestion(
    *, suggestion: ThemeSuggestion, user, name: str | None = None, description: str | None = None
) -> Theme:
    """Make ``suggestion`` a theme (named ``name`` when the PM renames it) owned by ``user``, with its items;
    returns the theme. The suggestion keeps the name it was suggested under and links the theme."""
    suggestion = _lock_pending(suggestion)
    name = (name or suggestion.name).strip()
    if Theme.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A theme named “{name}” already exists: accept under another name.", code="name_taken")
    theme = create_theme(
        name=name, description=suggestion.description if description is None else description, owner=user
    )
    add_theme(items=suggestion.items.only("pk"), theme=theme)
    suggestion.decision, suggestion.theme = ThemeSuggestion.Decision.ACCEPTED, theme
    suggestion.decided_by, suggestion.decided_at = user, timezone.now()
    suggestion.save(update_fields=["decision", "theme", "decided_by", "decided_at"])
    return theme


@transaction.atomic
def reject_suggestion(*, suggestion: ThemeSuggestion, user) -> ThemeSuggestion:
    """Close ``suggestion`` without a theme; its items are not suggested again."""
    suggestion = _lock_pending(suggestion)
    suggestion.decision = ThemeSuggestion.Decision.REJECTED
    suggestion.decided_by, suggestion.decided_at = user, timezone.now()
    suggestion.save(update_fields=["decision", "decided_by", "decided_at"])
    return suggestion
