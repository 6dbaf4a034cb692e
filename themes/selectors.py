"""Reads of a theme that carry a rule: its verbatims and its breakdown by segment with significance."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count

from customers.choices import Industry, Language, Lifecycle, Region, Tier
from customers.models import Customer
from customers.selectors import account_scope
from feedback.models import FeedbackItem
from themes.models import Theme
from themes.significance import Significance, significance, wilson_interval

SEGMENT_DIMENSIONS = [
    ("tier", "Tier", Tier),
    ("industry", "Industry", Industry),
    ("region", "Region", Region),
    ("language", "Language", Language),
    ("lifecycle_stage", "Lifecycle", Lifecycle),
]


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
    """Per dimension, each segment value's items, customers, ARR and significance (seed 001 + Wilson)."""
    per_customer = dict(
        FeedbackItem.objects.filter(themes=theme, duplicate_of__isnull=True, customer__isnull=False)
        .values_list("customer")
        .annotate(n=Count("id"))
        .order_by()
    )
    fields = [field for field, _, _ in SEGMENT_DIMENSIONS]
    items: dict[str, Counter] = defaultdict(Counter)
    askers: dict[str, Counter] = defaultdict(Counter)
    arr: dict[str, Counter] = defaultdict(Counter)
    for customer_id, customer_arr, *values in Customer.objects.filter(id__in=list(per_customer)).values_list(
        "id", "arr", *fields
    ):
        for field, value in zip(fields, values, strict=True):
            items[field][value] += per_customer[customer_id]
            askers[field][value] += 1
            arr[field][value] += float(customer_arr)
    dimensions = []
    for field, label, choices in SEGMENT_DIMENSIONS:
        sizes = dict(Customer.objects.values_list(field).annotate(n=Count("id")).order_by())
        segments = []
        for value, text in choices.choices:
            size, asked = sizes.get(value, 0), askers[field][value]
            if not size:
                continue
            low, high = wilson_interval(asked, size)
            segments.append(
                Segment(
                    value=value,
                    label=text,
                    items=items[field][value],
                    customers=asked,
                    segment_size=size,
                    arr=arr[field][value],
                    share_low=low,
                    share_high=high,
                    verdict=significance(segment_size=size, data_points=items[field][value]),
                )
            )
        dimensions.append({"key": field, "label": label, "segments": segments})
    return dimensions
