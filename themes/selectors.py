"""Reads of a theme that carry a rule: its verbatims and its breakdown by segment with significance."""

from __future__ import annotations

from dataclasses import dataclass

from customers.selectors import account_scope
from feedback.models import FeedbackItem
from themes.models import Theme
from themes.segments import SEGMENT_DIMENSIONS, segment_counts
from themes.significance import Significance, significance, wilson_interval


@dataclass(frozen=True)
class Segment:
    """One segment value's share of a theme."""

    value: str
    label: str
    items: int  # data points: the theme's feedback from this segment (duplicates excluded)
    customers: int  # accounts of the segment that asked
    segment_size: int  # accounts in the segment
    arr: float  # ARR of the accounts that asked
    share_low: float  # Wilson 95% interval of customers / segment_size
    share_high: float
    verdict: Significance

    @property
    def share(self) -> float:
        return self.customers / self.segment_size if self.segment_size else 0.0


def theme_verbatims(*, theme: Theme, user, limit: int = 20):
    """The theme's latest original feedback that ``user`` may see (sales: their accounts'), for the theme page."""
    return (
        FeedbackItem.objects.filter(themes=theme, duplicate_of__isnull=True)
        .filter(account_scope(user, prefix="customer__"))
        .select_related("customer")
        .only("id", "received_at", "verbatim", "summary", "source", "status", "category", "customer__name")
        .order_by("-received_at", "-id")[:limit]
    )


def theme_segments(*, theme: Theme) -> list[dict]:
    """Per dimension, each segment value's items, customers, ARR and significance (seed 001 + Wilson).

    Read from the theme's rollups (``Theme.segment_rollups``, refreshed with its other figures) when they are there
    and its linked feedback has not changed since; otherwise counted now, in one query.
    """
    counts = theme.segment_rollups
    if not counts or theme.rollups_dirty:
        counts = segment_counts([theme.pk])[theme.pk]
    dimensions = []
    for field, label, choices in SEGMENT_DIMENSIONS:
        segments = []
        for value, text in choices.choices:
            size, asked, items, arr = counts.get(field, {}).get(value, (0, 0, 0, 0.0))
            if not size:
                continue
            low, high = wilson_interval(asked, size)
            segments.append(
                Segment(
                    value=value,
                    label=text,
                    items=items,
                    customers=asked,
                    segment_size=size,
                    arr=arr,
                    share_low=low,
                    share_high=high,
                    verdict=significance(segment_size=size, data_points=items),
                )
            )
        dimensions.append({"key": field, "label": label, "segments": segments})
    return dimensions
