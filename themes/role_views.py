"""Leadership's view of themes (seed 001): by ARR impact, top ten first, with customer counts and total ARR."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.html import format_html

from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin
from feedbackhub.formatting import THEME_STATUS_COLOURS, money, pill
from themes.models import LeadershipTheme, Theme

TOP = 10


@admin.register(LeadershipTheme)
class LeadershipThemeAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Themes ranked by ARR impacted; the first page is the top ten; every figure links to its feedback."""

    list_display = [
        "rank",
        "theme",
        "status_pill",
        "customers",
        "arr_total",
        "arr_risk",
        "items",
        "rollups_refreshed_at",
    ]
    list_display_links = None
    list_filter = ["status"]
    search_fields = ["name"]
    list_per_page = TOP
    ordering = ["-arr_impacted", "id"]
    sortable_by = []  # one order: ARR impact (the index theme_arr_idx serves it)

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(position=Window(RowNumber(), order_by=[F("arr_impacted").desc(), F("id")]))
        )

    @admin.display(description="#")
    def rank(self, obj: Theme) -> str:
        return format_html("<strong>{}</strong>", obj.position) if obj.position <= TOP else str(obj.position)

    @admin.display(description="theme")
    def theme(self, obj: Theme) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:themes_theme_change", args=[obj.pk]), obj.name)

    @admin.display(description="status")
    def status_pill(self, obj: Theme) -> str:
        return pill(obj.get_status_display(), THEME_STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description="customers")
    def customers(self, obj: Theme) -> str:
        return format_html('<a href="{}">{}</a>', feedback_of(obj), f"{obj.unique_customers:,}")

    @admin.display(description="total ARR")
    def arr_total(self, obj: Theme) -> str:
        return money(obj.arr_impacted)

    @admin.display(description="ARR at risk")
    def arr_risk(self, obj: Theme) -> str:
        if not obj.arr_at_risk:
            return "—"
        return format_html('<span style="color:#dc2626;font-weight:600">{}</span>', money(obj.arr_at_risk))

    @admin.display(description="feedback")
    def items(self, obj: Theme) -> str:
        return format_html('<a href="{}">{}</a>', feedback_of(obj), f"{obj.feedback_count:,}")


def feedback_of(theme: Theme) -> str:
    """The feedback the theme's figures count: its originals (duplicates are not counted twice)."""
    return f"{reverse('admin:feedback_feedbackitem_changelist')}?themes__id__exact={theme.pk}&duplicate_of__isnull=True"
