"""The baseline `make bench` measures against: Django's stock admin over the same models and the same data.

A second ``AdminSite`` (mounted at ``/plain/`` by ``bench/urls.py``, in the bench process only) registers plain
``django.contrib.admin.ModelAdmin`` classes built from FeedbackHub's own admins: the same ``list_display`` names
(a model field in place of each of our display methods), the same ``list_filter`` field names (Django's default
filter for each field instead of unfold's widgets; a plain ``SimpleListFilter`` of ours, the at-risk rule, is
kept) and the same ``search_fields``. Everything else is Django's
default: the exact-count ``Paginator`` plus ``show_full_result_count`` (two ``COUNT(*)`` per page), every column
sortable with the ``-pk`` tie-breaker, a ``<select>`` of every row for each relation on the change form. Only the
page size is ours (``list_per_page``), so both sides render the same number of rows.

Django's stock admin templates are rendered by a template engine of their own (``plain_engine()``), since unfold
overrides ``admin/*.html`` for every admin site of the project.
"""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.template.response import TemplateResponse

from customers.models import Customer
from feedback.models import FeedbackItem
from themes.models import Theme

PLAIN_ENGINE_NAME = "plain"

# Our display methods and the model field that stands in for each (None: none can, e.g. a many-to-many or an
# annotation). A method named "<field>_pill" or "<field>_link" stands for <field>; a column no field stands in
# for is left out and named in the bench's notes (``dropped_columns``).
STANDINS: dict[str, str | None] = {
    "headline": "summary",
    "arr_usd": "arr",
    "owner": "account_owner",
    "sentiment_pill": "sentiment_label",
    "theme_names": None,  # themes: many-to-many, which list_display refuses (admin.E109)
    "verification": None,  # an annotation of our queryset
}
STANDIN_SUFFIXES = ("_pill", "_link")
dropped_columns: list[str] = []  # "Model.method" of the display methods no plain column stands in for


def plain_engine() -> dict:
    """A TEMPLATES entry that finds Django's own admin templates first (unfold's overrides are not on its path)."""
    default = settings.TEMPLATES[0]
    return {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "NAME": PLAIN_ENGINE_NAME,
        "DIRS": [Path(django.contrib.admin.__file__).resolve().parent / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"context_processors": default["OPTIONS"]["context_processors"]},
    }


def _stock(response):
    """Render ``response`` with the plain engine (a TemplateResponse is rendered lazily, after the view returns)."""
    if isinstance(response, TemplateResponse):
        response.using = PLAIN_ENGINE_NAME
    return response


class PlainAdminSite(admin.AdminSite):
    """Django's AdminSite, rendered with Django's own templates."""

    site_header = "Plain Django admin (bench baseline)"

    def index(self, request, extra_context=None):
        return _stock(super().index(request, extra_context))

    def app_index(self, request, app_label, extra_context=None):
        return _stock(super().app_index(request, app_label, extra_context))


class PlainModelAdmin(admin.ModelAdmin):
    """A stock ModelAdmin (only the page size set: ``list_per_page`` of the admin it mirrors)."""

    def changelist_view(self, request, extra_context=None):
        return _stock(super().changelist_view(request, extra_context))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        return _stock(super().render_change_form(request, context, add, change, form_url, obj))


def _is_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def standin(model, name: str) -> str | None:
    """The model field shown in place of list_display entry ``name`` (None: none)."""
    if _is_field(model, name):
        return name
    if name in STANDINS:
        found = STANDINS[name]
    else:
        stem = next((name.removesuffix(suffix) for suffix in STANDIN_SUFFIXES if name.endswith(suffix)), "")
        found = stem if stem and _is_field(model, stem) else None
    if found is None:
        dropped_columns.append(f"{model.__name__}.{name}")
    return found


def plain_columns(model, names) -> list[str]:
    """``names`` (a list_display) with each display method replaced by the field that stands in for it."""
    return [column for column in (standin(model, name) for name in names) if column is not None]


def plain_filters(entries) -> list:
    """A list_filter with Django's default filter for each field; a plain ``SimpleListFilter`` (a rule) is kept."""
    filters = []
    for entry in entries:
        if isinstance(entry, str):
            filters.append(entry)
        elif isinstance(entry, tuple | list):
            filters.append(entry[0])
        elif isinstance(entry, type) and not entry.__module__.startswith("unfold."):
            filters.append(entry)  # e.g. customers.filters.AtRiskFilter: admin.SimpleListFilter, the rule itself
    return filters


def plain_admin_for(model, ours: admin.ModelAdmin) -> type[PlainModelAdmin]:
    """A PlainModelAdmin with our admin's columns, filters, search fields and page size."""
    attrs = {
        "list_display": plain_columns(model, ours.list_display),
        "list_filter": plain_filters(ours.list_filter),
        "search_fields": list(ours.search_fields),
        "list_per_page": ours.list_per_page,
    }
    return type(f"Plain{model.__name__}Admin", (PlainModelAdmin,), attrs)


def build_site(ours: admin.AdminSite) -> PlainAdminSite:
    """The plain site, mirroring ``ours`` for feedback items, customers and themes."""
    site = PlainAdminSite(name="plain")
    for model in (FeedbackItem, Customer, Theme):
        site.register(model, plain_admin_for(model, ours._registry[model]))
    return site


plain_site = build_site(admin.site)
