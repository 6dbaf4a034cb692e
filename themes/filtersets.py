"""One filterset per model: the API's filters for themes (status, owner, rollups, linked launch, text)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from feedbackhub.api import IdFilter, NumberRangeFilter
from themes.choices import ThemeStatus
from themes.models import Theme


class ThemeFilterSet(django_filters.FilterSet):
    """Themes by status (repeatable), owner, ARR impacted / at risk, feedback count, linked launch and text."""

    q = django_filters.CharFilter(method="search", label="Name or description")
    status = django_filters.MultipleChoiceFilter(choices=ThemeStatus.choices, distinct=False)
    owner = IdFilter(field_name="owner_id", label="Owner (PM) id")
    arr_impacted = NumberRangeFilter(label="ARR impacted (arr_impacted_min, arr_impacted_max)")
    arr_at_risk = NumberRangeFilter(label="ARR at risk (arr_at_risk_min, arr_at_risk_max)")
    feedback_count = NumberRangeFilter(label="Feedback count (feedback_count_min, feedback_count_max)")
    launch = IdFilter(field_name="launches", label="Linked launch id")

    class Meta:
        model = Theme
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset
