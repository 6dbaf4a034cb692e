"""Feedback business logic: status workflow, duplicates, embeddings in their own vector spaces."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Cast
from django.utils import timezone
from pgvector.django import CosineDistance, VectorField

from feedback.choices import STATUS_TRANSITIONS, Status
from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem


def change_status(*, item: FeedbackItem, status: str) -> FeedbackItem:
    """Move ``item`` to ``status`` if the workflow allows it; raise ValidationError naming the allowed moves."""
    if status == item.status:
        return item
    allowed = STATUS_TRANSITIONS[Status(item.status)]
    if status not in allowed:
        names = ", ".join(sorted(Status(value).label for value in allowed))
        raise ValidationError(
            f"Cannot move feedback from {Status(item.status).label} to {Status(status).label}; allowed: {names}."
        )
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    return item


def mark_duplicate(*, item: FeedbackItem, original: FeedbackItem) -> FeedbackItem:
    """Link ``item`` to ``original`` (following the original's own link, so chains stay one level deep)."""
    root = original.duplicate_of or original
    if root.pk == item.pk:
        raise ValidationError("A feedback item cannot be a duplicate of itself.")
    with transaction.atomic():
        item.duplicate_of = root
        item.save(update_fields=["duplicate_of", "updated_at"])
        FeedbackItem.objects.filter(duplicate_of=item).update(duplicate_of=root, updated_at=timezone.now())
    return item


def active_embedding_space() -> EmbeddingSpace:
    """The vector space of the configured AI provider (created on first use)."""
    spec = settings.EMBEDDING_SPACE
    space, _ = EmbeddingSpace.objects.get_or_create(
        provider=spec["provider"], model=spec["model"], dimensions=spec["dimensions"]
    )
    return space


def embedding_text(item: FeedbackItem) -> str:
    """The text that is embedded for an item."""
    return item.verbatim.strip()


def content_hash(text: str) -> str:
    """Fingerprint of embedded text: a changed text needs a new vector."""
    return hashlib.sha256(text.encode()).hexdigest()


def store_embedding(*, item: FeedbackItem, vector: Sequence[float], space: EmbeddingSpace) -> FeedbackEmbedding:
    """Save ``item``'s vector in ``space`` (replacing an older one); the vector must have the space's size."""
    if len(vector) != space.dimensions:
        raise ValidationError(f"A {space} vector needs {space.dimensions} numbers, got {len(vector)}.")
    embedding, _ = FeedbackEmbedding.objects.update_or_create(
        feedback=item,
        space=space,
        defaults={
            "vector": list(vector),
            "dimensions": space.dimensions,
            "content_hash": content_hash(embedding_text(item)),
        },
    )
    return embedding


def items_needing_embedding(*, space: EmbeddingSpace):
    """Items with no vector in ``space`` yet: after a provider switch, every item (the re-embedding backlog)."""
    return FeedbackItem.objects.exclude(embeddings__space=space).order_by("id")


def similar_feedback(
    *,
    vector: Sequence[float],
    space: EmbeddingSpace,
    limit: int = 10,
    within_days: int | None = None,
    exclude_id: int | None = None,
) -> list[tuple[int, float]]:
    """Ids and cosine similarity of the items nearest to ``vector`` in ``space`` (never across spaces).

    The query uses the space's partial HNSW index: same cast, same ``dimensions`` condition.
    """
    if len(vector) != space.dimensions:
        raise ValidationError(f"A {space} query vector needs {space.dimensions} numbers, got {len(vector)}.")
    cast = Cast("vector", output_field=VectorField(dimensions=space.dimensions))
    rows = FeedbackEmbedding.objects.filter(space=space, dimensions=space.dimensions)
    if within_days is not None:
        rows = rows.filter(feedback__received_at__gte=timezone.now() - timedelta(days=within_days))
    if exclude_id is not None:
        rows = rows.exclude(feedback_id=exclude_id)
    rows = rows.annotate(distance=CosineDistance(cast, list(vector))).order_by("distance")[:limit]
    return [(row.feedback_id, 1.0 - row.distance) for row in rows.only("feedback_id")]
