"""Product events in the admin: a read-only list of what customers did in the product, newest first.

Registered by ``insights.admin`` importing this module. Built for a table of many millions (issue 11's intake runs
at 10,000 events a minute): the list reads backwards along the primary key (no sort), counts through the estimated
paginator (never a full COUNT), offers the names and personas found by a loose index scan
(``insights.events.distinct_values``) instead of ``SELECT DISTINCT``, chooses the account by autocomplete instead of
listing 50,000, and reads only the first characters of the properties.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast, Left
from django.utils.html import format_html
from unfold.contrib.filters.admin import RangeDateFilter

from customers.selectors import visible_to
from feedbackhub.admin_tools import HubChangeList, HubModelAdmin, ReadOnlyAdminMixin, ScopedAutocompleteSelectFilter
from feedbackhub.formatting import link, pill
from insights import events
from insights.choices import ProductEventName
from insights.models import ProductEvent

PREVIEW_CHARS = 100  # characters of the properties' JSON shown in the list
KNOWN = dict(ProductEventName.choices)


class ProductEventChangeList(HubChangeList):
    """The list reads a preview of the properties, not each whole JSON document."""

    def get_queryset(self, request, exclude_parameters=None):
        rows = super().get_queryset(request, exclude_parameters)
        return rows.defer("properties").annotate(
            properties_preview=Left(Cast("properties", TextField()), PREVIEW_CHARS + 1)
        )


class StoredValueFilter(admin.SimpleListFilter):
    """One of the values stored in ``parameter_name`` (found by a loose index scan), by its label."""

    def lookups(self, request, model_admin):
        return [(value, self.label(value)) for value in events.distinct_values(self.parameter_name)]

    def label(self, value: str) -> str:
        return value

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class NameFilter(StoredValueFilter):
    title = "event"
    parameter_name = "name"

    def label(self, value: str) -> str:
        return KNOWN.get(value, f"{value} (custom)")


class PersonaFilter(StoredValueFilter):
    title = "persona"
    parameter_name = "persona"


@admin.register(ProductEvent)
class ProductEventAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """What customers did in the product, as their products reported it (``POST /api/events/``); never edited."""

    list_display = ["event", "customer_link", "persona", "occurred_at", "properties_short", "event_id"]
    list_display_links = ["event"]
    list_filter = [
        NameFilter,
        PersonaFilter,
        ("occurred_at", RangeDateFilter),  # a window: the BRIN on occurred_at serves it
        ("customer", ScopedAutocompleteSelectFilter),  # an autocomplete: a plain filter would list every account
    ]
    search_fields = ["=event_id"]  # the unique index: a client's event found at once
    list_select_related = ["customer"]
    ordering = ["-id"]  # newest first, backwards along the primary key (no sort at any size)
    sortable_by = ()  # a column sort would sort millions of rows; filters narrow the list instead
    offers_saved_views = False
    fields = [
        "event_id",
        "event",
        "customer_link",
        "contact",
        "persona",
        "occurred_at",
        "received_at",
        "properties_json",
    ]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return ProductEventChangeList

    def get_queryset(self, request) -> QuerySet:
        return visible_to(super().get_queryset(request), request.user, prefix="customer__")

    @admin.display(description="event")
    def event(self, obj: ProductEvent) -> str:
        return pill(KNOWN[obj.name], "info") if obj.name in KNOWN else pill(obj.name)

    @admin.display(description="account")
    def customer_link(self, obj: ProductEvent) -> str:
        return link(obj.customer, obj.customer_id, obj.customer.name)

    @admin.display(description="properties")
    def properties_short(self, obj: ProductEvent) -> str:
        text = getattr(obj, "properties_preview", None)
        if text is None:
            text = json.dumps(obj.properties, ensure_ascii=False)
        if text in ("{}", ""):
            return "—"
        shown = text if len(text) <= PREVIEW_CHARS else f"{text[: PREVIEW_CHARS - 1]}…"
        return format_html('<code style="white-space:normal">{}</code>', shown)

    @admin.display(description="properties")
    def properties_json(self, obj: ProductEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.properties, ensure_ascii=False, indent=2))
