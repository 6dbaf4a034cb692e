"""New feedback joins the themes it resembles: each item is compared with the centre of each theme's members.

A theme's centre is the mean of its members' vectors in the active space (pgvector's ``avg``), computed for every
active theme in one aggregate query and cached for a minute; an item joins the theme whose centre is most similar
to it when that cosine reaches the space's ``THEME_MATCH_THRESHOLDS``. Only one theme per item: a match is applied
without review, so it must be the clear one.

Why centres: on labelled clusters treated as themes (each member held out in turn and matched back), the centre
scored as well as the mean of the three nearest members and better than the single nearest member at the same
precision, and costs one query per batch instead of one nearest-neighbour search per item. The threshold is
calibrated by ``python manage.py calibrate_theme_matching`` (see feedbackhub/settings.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef
from redis.exceptions import RedisError

from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from feedback.services import active_embedding_space, add_theme
from themes.choices import ThemeStatus
from themes.models import Theme

CENTROID_CACHE_SECONDS = 60  # a theme's new members or a new theme count for matching within a minute
CENTROID_LOCK_SECONDS = 60  # one process computes them; a crashed one holds the others back this long at most
STALE_CENTROID_SECONDS = 3600  # the previous centres, used while another process computes the new ones

CENTROIDS_SQL = """
SELECT link.theme_id, avg(embedding.vector)::real[]
FROM {links} AS link
JOIN {themes} AS theme ON theme.id = link.theme_id AND theme.status <> %s
JOIN {embeddings} AS embedding ON embedding.feedback_id = link.feedbackitem_id AND embedding.space_id = %s
GROUP BY link.theme_id
"""


def match_threshold(space: EmbeddingSpace) -> float:
    """The cosine an item needs to its theme's centre to join it, in ``space`` (calibrated per provider)."""
    return settings.THEME_MATCH_THRESHOLDS[space.provider]


def theme_centroids(*, space: EmbeddingSpace) -> tuple[list[int], np.ndarray]:
    """Ids of the active (not shipped) themes with members in ``space``, and their unit-length centres, one row
    each; cached ``CENTROID_CACHE_SECONDS`` (the aggregate reads every themed vector: ~185 ms for 20,000 of them
    and 400 themes, measured under load; 2.7 s for 660,000 theme links on the bench's 1M items).

    One process at a time computes them: when the minute is up, the first to ask takes a short lock and computes
    while the others go on with the previous centres (kept ``STALE_CENTROID_SECONDS``) instead of running the same
    aggregate side by side (on the 1M bench a pool of 3 triage processes spent 18 s on theme matching, against
    0.3 s with the centres at hand). With no previous centres, or with the cache unreachable, it computes.
    """
    key = f"themes:centroids:{space.pk}"
    locked = False
    try:
        cached = cache.get(key)
        if cached is None:
            locked = cache.add(f"{key}:computing", 1, CENTROID_LOCK_SECONDS)
            if not locked:
                cached = cache.get(f"{key}:stale")  # another process is computing them: the previous ones meanwhile
    except RedisError:
        return compute_theme_centroids(space=space)
    if cached is not None:
        ids, centres = cached
        return ids, np.frombuffer(centres, dtype=np.float32).reshape(len(ids), space.dimensions).astype(np.float64)
    ids, centres = compute_theme_centroids(space=space)
    value = (ids, centres.astype(np.float32).tobytes())
    try:
        cache.set(key, value, CENTROID_CACHE_SECONDS)
        cache.set(f"{key}:stale", value, STALE_CENTROID_SECONDS)
        if locked:  # only the lock this process took (one that computed without it leaves the other's alone)
            cache.delete(f"{key}:computing")
    except RedisError:
        pass  # computed: the next batch computes them again
    return ids, centres


def compute_theme_centroids(*, space: EmbeddingSpace) -> tuple[list[int], np.ndarray]:
    """``theme_centroids`` from the database (one aggregate query)."""
    sql = CENTROIDS_SQL.format(
        links=FeedbackItem.themes.through._meta.db_table,
        themes=Theme._meta.db_table,
        embeddings=FeedbackEmbedding._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ThemeStatus.SHIPPED, space.pk])
        rows = cursor.fetchall()
    if not rows:
        return [], np.zeros((0, space.dimensions))
    ids = [theme_id for theme_id, _ in rows]
    centres = np.asarray([vector for _, vector in rows], dtype=np.float64)
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    return ids, centres / np.where(norms == 0, 1.0, norms)


def items_to_match(*, item_ids: Iterable[int], space: EmbeddingSpace):
    """(item id, vector) of the given items that have a vector in ``space``, no theme yet and are not duplicates."""
    themed = FeedbackItem.themes.through.objects.filter(feedbackitem_id=OuterRef("feedback_id"))
    return (
        FeedbackEmbedding.objects.filter(space=space, feedback_id__in=list(item_ids))
        .filter(feedback__duplicate_of__isnull=True)
        .exclude(Exists(themed))
        .order_by("feedback_id")
        .values_list("feedback_id", "vector")
    )


def best_themes(
    vectors: np.ndarray, *, theme_ids: list[int], centres: np.ndarray, threshold: float
) -> list[tuple[int, float] | None]:
    """For each vector, (theme id, cosine) of the nearest centre when it reaches ``threshold``, else None."""
    if not theme_ids or len(vectors) == 0:
        return [None] * len(vectors)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = (vectors / np.where(norms == 0, 1.0, norms)) @ centres.T
    best = similarity.argmax(axis=1)
    return [
        (theme_ids[column], float(similarity[row, column])) if similarity[row, column] >= threshold else None
        for row, column in enumerate(best)
    ]


def match_items(*, item_ids: Iterable[int], space: EmbeddingSpace | None = None) -> dict[int, int]:
    """Add each of ``item_ids`` (with a vector in the active space, unthemed, not a duplicate) to the theme whose
    members it resembles most, if enough (``match_threshold``); returns {item id: theme id} of the items added.

    Links go through ``feedback.services.add_theme``, so the themes' rollups are flagged stale and recomputed by the
    rollup job. Idempotent: a themed item is never matched again. Two queries (three when the centres are not cached)
    plus one per theme gaining items.
    """
    space = space or active_embedding_space()
    rows = list(items_to_match(item_ids=item_ids, space=space))
    if not rows:
        return {}
    theme_ids, centres = theme_centroids(space=space)
    vectors = np.asarray([vector for _, vector in rows], dtype=np.float64)
    matches = best_themes(vectors, theme_ids=theme_ids, centres=centres, threshold=match_threshold(space))
    by_theme: dict[int, list[int]] = defaultdict(list)
    for (item_id, _), match in zip(rows, matches, strict=True):
        if match is not None:
            by_theme[match[0]].append(item_id)
    for theme_id, ids in by_theme.items():
        add_theme(items=[FeedbackItem(pk=pk) for pk in ids], theme=Theme(pk=theme_id))
    return {item_id: theme_id for theme_id, ids in by_theme.items() for item_id in ids}
