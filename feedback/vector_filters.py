"""The copies of an item's customer and product on its vectors (``FeedbackEmbedding.customer_id`` / ``.product``),
which Ask the hub's segment and product filters read on the vector row instead of joining the item per tuple.

The database keeps them: a trigger fills them when a vector is stored, another updates them when an item's customer or
product changes (feedback/models.py). Two kinds of rows can still disagree with their item, and ``backfill`` repairs
both: rows stored before the copies existed (migration 0014 adds the columns NULL, no table rewrite: ``product`` NULL
means "not copied yet"), and, rarely, a copy made in the very instant a concurrent change of the same item committed.

``manage.py backfill_vector_filters`` runs ``backfill``: batches of ``CHUNK`` vector ids in id order, each one UPDATE
in its own transaction that writes only the rows whose copy differs from the item (idempotent: a second run writes
nothing; a run that stops keeps what it wrote). Every rewritten row is a new row version with new index entries
(HNSW included), so at 1M vectors it takes minutes (bench/ask.py prints the rate); the retrieval stays correct
meanwhile (``copies_complete`` is false, so it reads the items' side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem

CHUNK = 5_000

REPAIR_SQL = """
UPDATE {embeddings} AS e SET customer_id = i.customer_id, product = i.product
FROM {items} AS i
WHERE i.id = e.feedback_id AND e.id > %s AND e.id <= %s
    AND (e.product IS DISTINCT FROM i.product OR e.customer_id IS DISTINCT FROM i.customer_id)
"""


@dataclass
class Backfill:
    checked: int = 0
    written: int = 0


def copies_complete(*, space: EmbeddingSpace) -> bool:
    """Whether every vector of ``space`` carries its copies (no row stored before them is left): one probe of the
    (product, received_at) index, whose NULLs are those rows."""
    return not FeedbackEmbedding.objects.filter(space=space, product__isnull=True).exists()


def backfill(*, chunk: int = CHUNK, progress: Callable[[Backfill, int], None] | None = None) -> Backfill:
    """Copy each item's customer and product onto its vectors where they differ (NULL or stale), in batches of
    ``chunk`` vector ids; ``progress(done, last_id)`` is called after each batch."""
    table = connection.ops.quote_name
    sql = REPAIR_SQL.format(
        embeddings=table(FeedbackEmbedding._meta.db_table), items=table(FeedbackItem._meta.db_table)
    )
    bounds = FeedbackEmbedding.objects.order_by().values_list("pk", flat=True)
    first, last = bounds.order_by("pk").first(), bounds.order_by("-pk").first()
    done = Backfill()
    if first is None:
        return done
    low = first - 1
    while low < last:
        high = low + chunk
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [low, high])
            done.written += cursor.rowcount
        done.checked += FeedbackEmbedding.objects.filter(pk__gt=low, pk__lte=high).count()
        low = high
        if progress:
            progress(done, low)
    return done
