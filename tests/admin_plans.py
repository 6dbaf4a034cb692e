"""Query-plan checks for admin changelists, shared by the apps' admin tests.

The helpers (``search_gaps``, ``filter_index``, ``filter_gap``, ``changelist_sorts``) read the plan PostgreSQL picks
for an admin changelist's real query. An index only counts when it serves the condition: a scan node on the expected
index whose ``Index Cond`` holds the searched or filtered expression. Reading a whole index with a ``Filter`` (what
the planner does when no index fits and sequential scans are off) never counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.test import RequestFactory
from django.urls import reverse

HUB_APPS = {"customers", "feedback", "themes", "launches"}  # each has its own tests/<app>/test_admin.py
SEARCH_TERM = "acme"

# Planner settings that leave a bitmap scan of matching indexes as the only way not to read a whole table.
SEARCH_PLANNER = {"enable_seqscan": "off", "enable_indexscan": "off", "enable_indexonlyscan": "off"}
# Planner settings that leave index scans (the only scans that return rows in index order).
FILTER_PLANNER = {"enable_seqscan": "off", "enable_bitmapscan": "off"}


def registered_models(app_label: str) -> list[type[Model]]:
    """The models of one app that the admin site shows."""
    return [model for model in admin.site._registry if model._meta.app_label == app_label]


def explain(sql: str, params, *, fresh_statistics: bool = False, **planner: str) -> list[dict]:
    """Every node of the plan PostgreSQL picks for ``sql`` under ``planner`` settings (undone right after).

    ``fresh_statistics`` plans it as on a freshly migrated database (no table analysed), the state these checks are
    written for and pass in alone: in a full run, rows earlier transactional tests committed (and autovacuum analysed
    before the flush) left statistics behind that twice made the planner walk an ordering index instead. Undone
    with the rest.
    """
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: rolling it back undoes the SETs
        for name, value in planner.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        if fresh_statistics:  # the test database's role is a superuser (the embedded server's)
            tables = "SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            cursor.execute(f"DELETE FROM pg_statistic WHERE starelid IN ({tables})")
            cursor.execute(f"UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid IN ({tables})")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        transaction.set_rollback(True)
    if isinstance(plan, str):
        plan = json.loads(plan)
    return list(_walk(plan[0]["Plan"]))


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def describe(nodes: list[dict]) -> str:
    """A plan in one line per node, for failure messages."""
    keys = ("Index Name", "Relation Name", "Index Cond", "Recheck Cond", "Filter", "Sort Key")
    return "\n".join(
        f"{node['Node Type']} " + " ".join(f"{key}={node[key]}" for key in keys if key in node) for node in nodes
    )


def index_conditions(nodes: list[dict], index_name: str) -> list[str]:
    """The ``Index Cond`` of every scan of ``index_name`` in the plan (empty for a full scan with a Filter)."""
    return [node.get("Index Cond", "") for node in nodes if node.get("Index Name") == index_name]


def changelist_queryset(model: type[Model], params: dict[str, str]) -> QuerySet:
    """The queryset of one changelist page as the admin builds it for a superuser (search, filters, ordering)."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), params
    )
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    changelist = model_admin.get_changelist_instance(request)
    return changelist.get_queryset(request)[: model_admin.list_per_page]


def search_condition(search_field: str) -> re.Pattern:
    """What the plan shows for the search on one field: UPPER(col) LIKE '%TERM%' ('=field': UPPER(col) = 'TERM')."""
    column = search_field.lstrip("=")
    compared = f"= '{SEARCH_TERM.upper()}'" if search_field.startswith("=") else f"~~ '%{SEARCH_TERM.upper()}%'"
    return re.compile(rf"upper\(\(?{re.escape(column)}\)?(::text)?\) {re.escape(compared)}")


def search_gaps(model: type[Model], indexes: dict[str, str]) -> dict[str, str]:
    """Search fields whose expected index does not serve their condition in the changelist search: field → plan.

    ``indexes`` maps each of the admin's ``search_fields`` to the index that must serve it; a field it does not
    name is a gap too.
    """
    queryset = changelist_queryset(model, {"q": SEARCH_TERM})
    nodes = explain(*queryset.query.sql_with_params(), **SEARCH_PLANNER)
    return {
        field: f"expected {indexes.get(field)} to serve {search_condition(field).pattern} in:\n{describe(nodes)}"
        for field in admin.site._registry[model].search_fields
        if not any(search_condition(field).search(cond) for cond in index_conditions(nodes, indexes.get(field, "")))
    }


def choice_filters(model: type[Model]) -> list[str]:
    """The admin's list filters on the model's own fields with choices (the ones with a composite index each).

    Filters on a related row's segment (``customer__tier``) are served through the relation's index instead.
    """
    model_admin = admin.site._registry[model]
    own = [f for f in model_admin.list_filter if isinstance(f, str) and "__" not in f]
    return [f for f in own if model._meta.get_field(f).choices]


def filter_index(model: type[Model], field: str) -> str | None:
    """Name of the model's index on (``field``, *default ordering), which serves a filtered page in order."""
    ordering = [name.replace("pk", "id") for name in model._meta.ordering]
    for index in model._meta.indexes:
        if index.condition is None and list(index.fields[: len(ordering) + 1]) == [field, *ordering]:
            return index.name
    return None


def rarest_choice(model: type[Model], field: str) -> str:
    """The choice of ``field`` the table's statistics say is rarest (the first one when there are none).

    An index on a filter matters for selective values: for a value on nearly every row, reading the ordering index
    and filtering is as fast, and the planner rightly picks it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats"
            " WHERE tablename = %s AND attname = %s",
            [model._meta.db_table, model._meta.get_field(field).column],
        )
        row = cursor.fetchone()
    frequency = dict(zip(*row, strict=True)) if row and row[0] else {}
    return min((value for value, _ in model._meta.get_field(field).choices), key=lambda v: frequency.get(v, 0.0))


def filter_plan(model: type[Model], field: str) -> list[dict]:
    """The plan of the changelist page filtered on the rarest choice of ``field``, planned as on a fresh database."""
    value = rarest_choice(model, field)
    queryset = changelist_queryset(model, {f"{field}__exact": value})
    return explain(*queryset.query.sql_with_params(), fresh_statistics=True, **FILTER_PLANNER)


def filter_gap(model: type[Model], field: str) -> str | None:
    """None if an Index Scan of ``field``'s composite index serves the filter condition, else why not."""
    index_name = filter_index(model, field)
    if index_name is None:
        ordering = ", ".join(map(repr, model._meta.ordering))
        return f"no index: add models.Index(fields=[{field!r}, {ordering}], name=...)"
    nodes = filter_plan(model, field)
    condition = re.compile(rf"\(?{re.escape(model._meta.get_field(field).column)}\)?(::text)? = '")
    if any(condition.search(cond) for cond in index_conditions(nodes, index_name)):
        return None
    return f"{index_name} does not serve the condition on {field}:\n{describe(nodes)}"


def changelist_sorts(model: type[Model], field: str) -> list[str]:
    """Sort nodes of the filtered changelist page's plan (none when the index already returns the page's order)."""
    return [describe([node]) for node in filter_plan(model, field) if "Sort" in node["Node Type"]]
