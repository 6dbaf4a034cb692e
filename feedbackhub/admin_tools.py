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
from unfold.widgets import UnfoldAdminTextInputWidget

EXACT_COUNT_BELOW = 10_000  # under this many (estimated) rows an exact COUNT(*) is cheap enough


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


class HubModelAdmin(ModelAdmin):
    """Base admin of every FeedbackHub model: estimated counts, no full-result count, submit-once filters."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True
    formfield_overrides = {  # merged into unfold's own widget overrides
        models.URLField: {"assume_scheme": "https"},
        ArrayField: {"widget": UnfoldAdminTextInputWidget},  # tags and tracker keys: one comma-separated line
    }
