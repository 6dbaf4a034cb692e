"""Who asked about a theme, by customer segment: the counts behind the theme page's breakdown, in one query.

Computed with the other rollups (``services.refresh_rollups``, stored on ``Theme.segment_rollups``) and, for a
theme whose rollups are missing or stale, live (``selectors.theme_segments``). Both read the same counts:
``{dimension: {value: [accounts in the segment, accounts that asked, their original items, their ARR]}}``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from customers.choices import Industry, Language, Lifecycle, Region, Tier
from customers.models import Customer
from feedback.models import FeedbackItem

SEGMENT_DIMENSIONS = [
    ("tier", "Tier", Tier),
    ("industry", "Industry", Industry),
    ("region", "Region", Region),
    ("language", "Language", Language),
    ("lifecycle_stage", "Lifecycle", Lifecycle),
]
FIELDS = [field for field, _, _ in SEGMENT_DIMENSIONS]

SegmentCounts = dict[str, dict[str, list]]  # dimension → value → [size, customers, items, arr]


def _segments_sql() -> str:
    """The askers of the themes ``ANY(%s)`` grouped by each dimension on its own (GROUPING SETS), then, with a NULL
    theme, every segment's size: one statement, two passes (the themes' links, the customers).

    GROUPING() marks, one bit per dimension column (the first the highest), the columns a row is not grouped by.
    """
    item, link = FeedbackItem._meta, FeedbackItem.themes.through._meta
    columns = [f'customer."{Customer._meta.get_field(field).column}"' for field in FIELDS]
    listed = ", ".join(columns)
    sets = ", ".join(f"(asked.theme_id, {column})" for column in columns)
    size_sets = ", ".join(f"({column})" for column in columns)
    return f"""
WITH asked AS (
    SELECT link.theme_id, item.customer_id, count(*) AS items
    FROM "{link.db_table}" AS link
    JOIN "{item.db_table}" AS item ON item.id = link.feedbackitem_id
    WHERE link.theme_id = ANY(%s) AND item.duplicate_of_id IS NULL AND item.customer_id IS NOT NULL
    GROUP BY link.theme_id, item.customer_id
)
SELECT asked.theme_id, GROUPING({listed}), {listed}, count(*), sum(asked.items), sum(customer.arr)
FROM asked JOIN "{Customer._meta.db_table}" AS customer ON customer.id = asked.customer_id
GROUP BY GROUPING SETS ({sets})
UNION ALL
SELECT NULL, GROUPING({listed}), {listed}, count(*), 0, 0
FROM "{Customer._meta.db_table}" AS customer
GROUP BY GROUPING SETS ({size_sets})
"""


def segment_counts(theme_ids: Iterable[int]) -> dict[int, SegmentCounts]:
    """Per theme, per dimension and segment value: the segment's accounts, those that asked (duplicates excluded),
    their feedback items and their ARR. Every theme asked for gets an entry, even with nobody asking."""
    ids = sorted(set(theme_ids))
    last = len(FIELDS) - 1
    sizes: SegmentCounts = {field: {} for field in FIELDS}
    asked: dict[int, dict[str, dict[str, tuple]]] = {theme_id: {field: {} for field in FIELDS} for theme_id in ids}
    with connection.cursor() as cursor:
        cursor.execute(_segments_sql(), [ids])
        for theme_id, grouping, *row in cursor.fetchall():
            values, (count, items, arr) = row[: len(FIELDS)], row[len(FIELDS) :]
            index = next(i for i in range(len(FIELDS)) if not grouping & (1 << (last - i)))
            field, value = FIELDS[index], values[index]
            if theme_id is None:
                sizes[field][value] = count
            else:
                asked[theme_id][field][value] = (count, int(items), float(arr))
    return {
        theme_id: {
            field: {value: [size, *per_value.get(value, (0, 0, 0.0))] for value, size in sizes[field].items()}
            for field, per_value in per_theme.items()
        }
        for theme_id, per_theme in asked.items()
    }
