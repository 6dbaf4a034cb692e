"""Role views of feedback (seed 001, "Key Views to Create"): engineering's bugs, sales' accounts, the PM board.

Each is a proxy model with its own view permission (granted to its role by ``feedbackhub.roles``) and a read-only
admin; every change they offer (the board's moves) goes through ``feedback.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from customers.choices import Tier
from feedback import services
from feedback.admin import STATUS_VARIANTS
from feedback.choices import Category, Priority, Product, Severity, Status
from feedback.models import AccountFeedback, BugReport, FeedbackItem, ProductBoard
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin
from feedbackhub.formatting import THEME_STATUS_COLOURS, link, money, pill

SEVERITY_COLOURS = {Severity.CRITICAL: "red", Severity.HIGH: "amber", Severity.MEDIUM: "blue", Severity.LOW: "grey"}
BUG_MATRIX_SECONDS = 300  # the severity × tier counts are cached this long
BOARD_CARDS = 12
BOARD_COUNT_CAP = 1000


def _themes_prefetch() -> Prefetch:
    theme_model = FeedbackItem.themes.field.related_model
    return Prefetch("themes", queryset=theme_model.objects.only("id", "name", "status", "tracker_issues"))


class ReadOnlyRoleAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """A role view: it lists and links, it never edits; it sorts only by date (the order an index serves)."""

    sortable_by = ["received_at"]

    @admin.display(description="feedback")
    def headline(self, obj: FeedbackItem) -> str:
        return link(FeedbackItem, obj.pk, str(obj))

    @admin.display(description="status", ordering="status")
    def status_pill(self, obj: FeedbackItem) -> str:
        return pill(obj.get_status_display(), STATUS_VARIANTS.get(obj.status, "grey"))


@admin.register(BugReport)
class BugReportAdmin(ReadOnlyRoleAdmin):
    """Bugs only, with severity × customer impact on top and the tracker issues of their themes."""

    list_display = [
        "received_at",
        "headline",
        "severity_pill",
        "customer_name",
        "tier",
        "arr",
        "status_pill",
        "tracker",
    ]
    list_display_links = None
    list_filter = ["severity", "status", "product", "product_area", "customer__tier"]
    search_fields = ["verbatim", "summary"]
    list_select_related = ["customer"]
    change_list_template = "admin/feedback/bugreport/change_list.html"

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(category=Category.BUG)
            .defer("raw_payload")
            .prefetch_related(_themes_prefetch())
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "matrix": bug_matrix()}
        return super().changelist_view(request, extra_context)

    @admin.display(description="severity", ordering="severity")
    def severity_pill(self, obj: FeedbackItem) -> str:
        if not obj.severity:
            return "—"
        return pill(obj.get_severity_display(), SEVERITY_COLOURS.get(obj.severity, "grey"))

    @admin.display(description="customer")
    def customer_name(self, obj: FeedbackItem) -> str:
        return obj.customer.name if obj.customer else "—"

    @admin.display(description="tier")
    def tier(self, obj: FeedbackItem) -> str:
        return obj.customer.get_tier_display() if obj.customer else "—"

    @admin.display(description="ARR")
    def arr(self, obj: FeedbackItem) -> str:
        return money(obj.customer.arr) if obj.customer else "—"

    @admin.display(description="tracker issues")
    def tracker(self, obj: FeedbackItem) -> str:
        keys = [key for theme in obj.themes.all() for key in theme.tracker_issues]
        if not keys:
            return "—"
        template = getattr(settings, "TRACKER_ISSUE_URL", "")
        if template:
            return format_html_join(
                " ",
                '<a href="{}" target="_blank" rel="noopener">{}</a>',
                ((template.format(key=key), key) for key in keys),
            )
        return ", ".join(keys)


def bug_matrix() -> dict:
    """Bugs by severity (rows) × customer tier (columns), with links; cached for a few minutes."""

    def compute() -> list[tuple[str, str, int]]:
        return list(
            FeedbackItem.objects.filter(category=Category.BUG)
            .values_list("severity", "customer__tier")
            .annotate(n=Count("id"))
            .order_by()
        )

    counts = {
        (severity or "", tier or ""): n
        for severity, tier, n in cache.get_or_set("bug-matrix", compute, BUG_MATRIX_SECONDS)
    }
    url = reverse("admin:feedback_bugreport_changelist")
    tiers = [*Tier.choices, ("", "No customer")]
    rows = []
    for severity, label in [*Severity.choices, ("", "Not set")]:
        cells = []
        for tier, _ in tiers:
            params = f"severity__exact={severity}" + (f"&customer__tier__exact={tier}" if tier else "")
            cells.append({"count": counts.get((severity, tier), 0), "url": f"{url}?{params}"})
        rows.append({"label": label, "colour": SEVERITY_COLOURS.get(severity, "grey"), "cells": cells})
    return {"tiers": [label for _, label in tiers], "rows": rows, "total": sum(counts.values())}


@admin.register(AccountFeedback)
class AccountFeedbackAdmin(ReadOnlyRoleAdmin):
    """The feedback of the accounts the signed-in person owns, and where what they asked for stands."""

    list_display = ["received_at", "customer_name", "headline", "category", "status_pill", "asked_for"]
    list_display_links = None
    list_filter = ["status", "category", "product"]
    search_fields = ["verbatim", "summary"]
    list_select_related = ["customer"]

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(customer__account_owner=request.user)
            .defer("raw_payload")
            .prefetch_related(_themes_prefetch())
        )

    @admin.display(description="account", ordering="customer__name")
    def customer_name(self, obj: FeedbackItem) -> str:
        return link(obj.customer, obj.customer_id, obj.customer.name)

    @admin.display(description="what they asked for")
    def asked_for(self, obj: FeedbackItem) -> str:
        themes = list(obj.themes.all())
        if not themes:
            return "Not grouped into a theme yet"
        return format_html_join(
            " ",
            "{} {}",
            (
                (theme.name, pill(theme.get_status_display(), THEME_STATUS_COLOURS.get(theme.status, "grey")))
                for theme in themes
            ),
        )


@admin.register(ProductBoard)
class ProductBoardAdmin(HubModelAdmin):
    """One product's feedback as a kanban by status; each card moves one step through the workflow service."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("feedback.change_feedbackitem")

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        product = request.GET.get("product") or Product.values[0]
        if product not in Product.values:
            messages.error(request, f"Unknown product {product!r}: pick one from the list.")
            product = Product.values[0]
        if request.method == "POST":
            return self.move(request, product)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Product board: {Product(product).label}",
            "opts": self.model._meta,
            "products": Product.choices,
            "product": product,
            "columns": board_columns(product=product),
            "can_move": self.has_change_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/feedback/productboard/board.html", context)

    def move(self, request, product: str):
        if not self.has_change_permission(request):
            raise PermissionDenied
        url = f"{reverse('admin:feedback_productboard_changelist')}?product={product}"
        item = FeedbackItem.objects.filter(pk=request.POST.get("item")).first()
        if item is None:
            messages.error(request, "That feedback item no longer exists.")
            return HttpResponseRedirect(url)
        try:
            services.change_status(item=item, status=request.POST.get("status", ""))
        except (ValidationError, ValueError) as error:
            messages.error(request, error.messages[0] if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(request, f"Moved “{item}” to {item.get_status_display()}.")
        return HttpResponseRedirect(url)


def board_columns(*, product: str) -> list[dict]:
    """One column per status: a capped count and the newest cards (two queries in all)."""
    base = FeedbackItem.objects.filter(product=product).order_by()
    counts = capped_counts(base, Status.values, cap=BOARD_COUNT_CAP)
    cards_by_status = {status: [] for status in Status.values}
    parts = [
        base.filter(status=status)
        .select_related("customer")
        .only("id", "status", "verbatim", "summary", "category", "priority", "received_at", "customer__name")
        .order_by("-received_at", "-id")[:BOARD_CARDS]
        for status in Status.values
    ]
    for item in parts[0].union(*parts[1:], all=True):
        cards_by_status[item.status].append(item)
    priority_colours = {Priority.CRITICAL: "red", Priority.HIGH: "amber"}
    return [
        {
            "status": status,
            "label": label,
            "count": counts[status],
            "capped": counts[status] > BOARD_COUNT_CAP,
            "colour": STATUS_VARIANTS.get(status, "grey"),
            "cards": [
                {
                    "item": item,
                    "priority": pill(item.get_priority_display(), priority_colours.get(item.priority, "grey"))
                    if item.priority
                    else "",
                    "moves": [
                        (value, Status(value).label)
                        for value in Status.values
                        if value in services.allowed_statuses(current=status)
                    ],
                }
                for item in cards_by_status[status]
            ],
        }
        for status, label in Status.choices
    ]


def capped_counts(queryset: QuerySet, statuses: list[str], *, cap: int) -> dict[str, int]:
    """Rows of ``queryset`` per status, counting at most ``cap + 1`` each (one statement, index-served)."""
    selects, params = [], []
    for status in statuses:
        sql, sub_params = queryset.filter(status=status).values("id")[: cap + 1].query.sql_with_params()
        selects.append(f"SELECT %s, count(*) FROM ({sql}) AS capped")
        params += [status, *sub_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        return dict(cursor.fetchall())
