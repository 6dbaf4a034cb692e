"""One filterset per model: the API's filters for customers and usage snapshots (segments, ARR, owner, dates)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from customers.models import Customer, UsageSnapshot
from customers.rules import at_risk_q
from feedbackhub.api import IdFilter, NumberRangeFilter

MAX_WORDS = 8  # words of one search that are matched


def search(queryset, term: str):
    """The one search box over accounts, the admin's and the API's: every word of ``term`` is in the company name or
    domain, or is the CRM id."""
    for word in term.split()[:MAX_WORDS]:
        queryset = queryset.filter(Q(name__icontains=word) | Q(domain__icontains=word) | Q(crm_id__iexact=word))
    return queryset


class CustomerFilterSet(django_filters.FilterSet):
    """Accounts by segment (each repeatable: ``?tier=enterprise&tier=startup``), ARR, owner, dates and text."""

    q = django_filters.CharFilter(method="search", label="Company, domain or exact CRM id")
    industry = django_filters.MultipleChoiceFilter(choices=Industry.choices, distinct=False)
    region = django_filters.MultipleChoiceFilter(choices=Region.choices, distinct=False)
    language = django_filters.MultipleChoiceFilter(choices=Language.choices, distinct=False)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, distinct=False)
    plan = django_filters.MultipleChoiceFilter(choices=Plan.choices, distinct=False)
    lifecycle_stage = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices, distinct=False)
    primary_use_case = django_filters.MultipleChoiceFilter(choices=UseCase.choices, distinct=False)
    account_owner = IdFilter(field_name="account_owner_id", label="Account owner id")
    arr = NumberRangeFilter(label="ARR range (arr_min, arr_max)")
    health_score = NumberRangeFilter(label="Health score range (health_score_min, health_score_max)")
    renewal_date = django_filters.DateFromToRangeFilter(label="Renewal date (renewal_date_after, renewal_date_before)")
    customer_since = django_filters.DateFromToRangeFilter()
    at_risk = django_filters.BooleanFilter(method="filter_at_risk", label="At risk (customers.rules)")

    class Meta:
        model = Customer
        fields = []

    def search(self, queryset, name, value):
        return search(queryset, value)

    def filter_at_risk(self, queryset, name, value):
        return queryset.filter(at_risk_q()) if value else queryset.exclude(at_risk_q())


class UsageSnapshotFilterSet(django_filters.FilterSet):
    """Usage by account and day."""

    customer = IdFilter(field_name="customer_id", label="Customer id")
    taken_on = django_filters.DateFromToRangeFilter(label="Day (taken_on_after, taken_on_before)")

    class Meta:
        model = UsageSnapshot
        fields = []
