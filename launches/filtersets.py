"""One filterset per model: the API's filters for launches and their checklist items."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from feedbackhub.api import IdFilter
from launches.choices import ChecklistTeam, LaunchStatus, LaunchTeam, LaunchType
from launches.models import ChecklistItem, Launch


class LaunchFilterSet(django_filters.FilterSet):
    """Launches by status, team, type (each repeatable), owner, dates, linked theme and text."""

    q = django_filters.CharFilter(method="search", label="Name or description")
    status = django_filters.MultipleChoiceFilter(choices=LaunchStatus.choices, distinct=False)
    team = django_filters.MultipleChoiceFilter(choices=LaunchTeam.choices, distinct=False)
    launch_type = django_filters.MultipleChoiceFilter(choices=LaunchType.choices, distinct=False)
    owner = IdFilter(field_name="owner_id", label="Owner id")
    target_date = django_filters.DateFromToRangeFilter(label="Target date (target_date_after, target_date_before)")
    shipped_on = django_filters.DateFromToRangeFilter(label="Shipped on (shipped_on_after, shipped_on_before)")
    theme = IdFilter(field_name="themes", label="Linked theme id")

    class Meta:
        model = Launch
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset


class ChecklistItemFilterSet(django_filters.FilterSet):
    """Checklist items by launch, team (repeatable), owner, done, due date and overdue."""

    launch = IdFilter(field_name="launch_id", label="Launch id")
    team = django_filters.MultipleChoiceFilter(choices=ChecklistTeam.choices, distinct=False)
    owner = IdFilter(field_name="owner_id", label="Owner id")
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)
    due_date = django_filters.DateFromToRangeFilter(label="Due date (due_date_after, due_date_before)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past its due date")

    class Meta:
        model = ChecklistItem
        fields = []

    def filter_overdue(self, queryset, name, value):
        overdue = Q(done_at__isnull=True, due_date__lt=timezone.localdate())  # ChecklistItemQuerySet.overdue
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
