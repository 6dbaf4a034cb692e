"""Admin building blocks shared by every app: a changelist that stays fast at a million rows."""

from __future__ import annotations

import json

from django.contrib.postgres.fields import ArrayField
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.contrib.filters.forms import AutocompleteDropdownForm
from unfold.widgets import UnfoldAdminTextInputWidget

EXACT_COUNT_BELOW = 10_000  # under this many (estimated) rows an exact COUNT(*) is cheap enough
MAX_PAGES = 100  # deeper OFFSET pages grow slow at 1M rows; past this, filters and search narrow the list


def estimated_count(queryset: QuerySet) -> int | None:
    """The planner's row estimate for ``queryset`` (no rows are read), or None if it cannot be had."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    query = queryset.order_by()
    if not query.query.where:
        table = queryset.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        if row and row[0] >= 0:  # -1: never analysed; ask the planner instead
            return int(row[0])
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_of(queryset: QuerySet, *, by: str) -> Coalesce:
    """The number of rows of ``queryset`` (filtered on ``OuterRef``, grouped ``by`` that foreign key) per row.

    A correlated subquery, unlike ``annotate(Count(relation))``, adds no GROUP BY to the changelist: the default
    ordering's index still serves the page, and only the rows shown are counted.
    """
    counted = queryset.order_by().values(by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class EstimatedCountPaginator(Paginator):
    """Counts exactly when the result is small, otherwise trusts the planner's estimate (no COUNT(*) on 1M rows)."""

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        estimate = estimated_count(self.object_list)
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            return self.object_list.count()
        return estimate

    @cached_property
    def num_pages(self) -> int:
        """At most ``MAX_PAGES``: the pager never links to a page that would take seconds to read."""
        return min(super().num_pages, MAX_PAGES)


class ScopedAutocompleteDropdownForm(AutocompleteDropdownForm):
    """unfold's autocomplete filter form, choosing only among the rows the related model's admin shows the user."""

    def __init__(self, request, name, label, choices, field, model_admin, *args, **kwargs):
        super().__init__(request, name, label, choices, field, model_admin, *args, **kwargs)
        related_admin = model_admin.admin_site._registry.get(field.remote_field.model)
        if related_admin is not None:
            self.fields[name].queryset = related_admin.get_queryset(request)


class ScopedAutocompleteSelectFilter(AutocompleteSelectFilter):
    """An autocomplete filter that never names a row the user may not see (a sales user's other accounts)."""

    form_class = ScopedAutocompleteDropdownForm


class HubModelAdmin(ModelAdmin):
    """Base admin of every FeedbackHub model: estimated counts, no full-result count, submit-once filters."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A relation offers (and accepts) only the rows the related model's admin shows this user."""
        kwargs.setdefault("queryset", self._related_queryset(db_field, request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._related_queryset(db_field, request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _related_queryset(self, db_field, request) -> QuerySet | None:
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        return related_admin.get_queryset(request) if related_admin is not None else None

    formfield_overrides = {  # merged into unfold's own widget overrides
        models.URLField: {"assume_scheme": "https"},
        ArrayField: {"widget": UnfoldAdminTextInputWidget},  # tags and tracker keys: one comma-separated line
    }
