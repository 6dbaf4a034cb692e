"""One filterset per model: the API's filters for feedback (taxonomy, status, the customer's segment, dates, text).

Every filter keeps the list on an index at 1M rows: no DISTINCT (a repeatable choice is an OR of equalities), one
theme read from its links as an array, the customer's name search through the matching accounts' ids.
"""

from __future__ import annotations

import django_filters
from django.db.models import BooleanField, F, Func, Q, Subquery

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier
from customers.models import Customer
from feedback import community_filter
from feedback.choices import (
    Category,
    Priority,
    Product,
    ProductArea,
    Sentiment,
    Severity,
    Source,
    Status,
    TimeMaturity,
    UsageMaturity,
)
from feedback.models import FeedbackItem
from feedbackhub.api import DateTimeRangeFilter, IdFilter, NumberRangeFilter

CUSTOMER_MATCHES = 200  # a search names at most this many accounts' feedback by the account's name
MAX_WORDS = 8  # words of one search that are matched (each is one more condition)


class IsAnyOf(Func):
    """``value = ANY(ARRAY(subquery))``: the subquery read first, as one array (not planned as a join)."""

    arg_joiner = " = ANY(ARRAY("
    template = "%(expressions)s))"
    output_field = BooleanField()


def search(queryset, term: str):
    """The one search box, the admin's and the API's: every word of ``term`` is in the customer's words, the summary
    or the customer's name, or is the source id or a tag (each word served by a trigram or GIN index).

    The accounts whose name matches go in as an id list (the customer index serves it inside the bitmap OR; a
    subquery there would turn the whole search into a sequential scan).
    """
    for word in term.split()[:MAX_WORDS]:
        customers = list(Customer.objects.filter(name__icontains=word).values_list("pk", flat=True)[:CUSTOMER_MATCHES])
        queryset = queryset.filter(
            Q(verbatim__icontains=word)
            | Q(summary__icontains=word)
            | Q(source_id__iexact=word)
            | Q(tags__contains=[word.lower()])
            | Q(customer__in=customers)
        )
    return queryset


def choices(options, field_name: str | None = None) -> django_filters.MultipleChoiceFilter:
    """A repeatable choice (``?status=new&status=reviewing``) without DISTINCT, which would sort every match."""
    return django_filters.MultipleChoiceFilter(choices=options.choices, field_name=field_name, distinct=False)


class FeedbackFilterSet(django_filters.FilterSet):
    """Feedback by taxonomy, status, customer and their segment, theme, dates, ARR, account owner and text."""

    q = django_filters.CharFilter(method="search", label="Words, exact source id, exact tag or the customer's name")
    status = choices(Status)
    category = choices(Category)
    source = choices(Source)
    product = choices(Product)
    product_area = choices(ProductArea)
    severity = choices(Severity)
    priority = choices(Priority)
    sentiment_label = choices(Sentiment)
    time_maturity = choices(TimeMaturity)  # feedback maturity at capture (feedback.maturity)
    usage_maturity = choices(UsageMaturity)
    tag = django_filters.CharFilter(method="filter_tag", label="Exact tag")
    segment = django_filters.ChoiceFilter(  # the admin's "segment" filter (feedback.community_filter)
        choices=[(value, label) for value, (label, _) in community_filter.CHOICES.items()],
        method="filter_segment",
        label="Community segment",
    )
    customer = IdFilter(field_name="customer_id")
    theme = IdFilter(method="filter_theme", label="Theme id")
    is_duplicate = django_filters.BooleanFilter(field_name="duplicate_of", lookup_expr="isnull", exclude=True)
    triaged = django_filters.BooleanFilter(field_name="triaged_at", lookup_expr="isnull", exclude=True)
    received_at = DateTimeRangeFilter(
        label="Received (received_at_after, received_at_before; dates or ISO 8601 date-times)"
    )
    customer_tier = choices(Tier, "customer__tier")
    customer_industry = choices(Industry, "customer__industry")
    customer_region = choices(Region, "customer__region")
    customer_language = choices(Language, "customer__language")
    customer_plan = choices(Plan, "customer__plan")
    customer_lifecycle_stage = choices(Lifecycle, "customer__lifecycle_stage")
    account_owner = IdFilter(field_name="customer__account_owner_id", label="Account owner id")
    arr = NumberRangeFilter(field_name="customer__arr", label="Customer ARR range (arr_min, arr_max)")

    class Meta:
        model = FeedbackItem
        fields = []

    def search(self, queryset, name, value):
        return search(queryset, value)

    def filter_segment(self, queryset, name, value):
        return queryset.filter(community_filter.CHOICES[value][1])

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip().lower()]) if value.strip() else queryset

    def filter_theme(self, queryset, name, value):
        """One theme's feedback from its links, read by primary key (3-20 ms at 1M rows; a join took 40-100 ms)."""
        links = FeedbackItem.themes.through.objects.filter(theme_id=int(value)).values("feedbackitem_id")
        return queryset.filter(IsAnyOf(F("pk"), Subquery(links)))
