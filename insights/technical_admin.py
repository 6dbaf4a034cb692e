"""Technical metrics in the admin (issue 11 part 6): the samples, read-only, and the page "Technical metrics vs
feedback" (``…/insights/technicalsample/correlations/``): the Spearman table (ρ, 95 % CI, n, p), the products and
segments where errors rise while sentiment falls, and a chart of one series' error rate and sentiment by week.

Registered by ``insights.admin`` importing this module. Samples arrive through the API and the import command
(``insights.technical``), never typed in: the list is read-only. Built for a large table: no COUNT (the estimated
paginator of ``HubModelAdmin``, no full-result count), newest received first along the primary key (no sort), the
products offered by a loose index scan of ``technical_product_idx`` (not ``SELECT DISTINCT``), the account chosen by
autocomplete. The page reads the precomputed figure only (``insights.technical_correlation.refresh``, daily);
"Recompute now" (for users who may add or change technical samples; viewers see no button and are refused the POST)
queues the same task for a worker, since it reads all the window's feedback: the page says so, and says so too when
the task queue is unreachable (nothing queued, the daily job still runs).
"""

from __future__ import annotations

import json
import logging

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from customers.selectors import account_scope
from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin, ScopedAutocompleteSelectFilter
from feedbackhub.formatting import link, pill
from insights import events, technical_correlation
from insights.models import DashboardFigure, TechnicalSample

log = logging.getLogger(__name__)

SOURCE_COLOURS = {"api": "info", "csv": "grey", "prometheus": "warning"}
RECOMPUTE_PERMISSIONS = ("insights.change_technicalsample", "insights.add_technicalsample")


def may_recompute(user) -> bool:
    """Whether ``user`` may ask for a recomputation: the change or add permission of technical samples (the list's
    admin is read-only for everyone, so its own ``has_change_permission`` says no to all)."""
    return any(user.has_perm(permission) for permission in RECOMPUTE_PERMISSIONS)


def queue_recompute() -> bool:
    """Queue ``insights.tasks.refresh_technical_correlations``; False when the broker cannot be reached."""
    from insights.technical_tasks import refresh_technical_correlations

    try:
        refresh_technical_correlations.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - the page must answer while Redis is down; the daily job runs on schedule
        log.warning("Could not queue the technical correlations' recomputation.", exc_info=True)
        return False
    return True


def distinct_products(limit: int = 100) -> list[str]:
    """The products stored, in order: one index probe per product (``technical_product_idx`` leads with it)."""
    quote = connection.ops.quote_name
    sql = events.DISTINCT_SQL.format(column=quote("product"), table=quote(TechnicalSample._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [value for (value,) in cursor.fetchall()]


class ProductFilter(admin.SimpleListFilter):
    title = "product"
    parameter_name = "product"

    def lookups(self, request, model_admin):
        return [(value, technical_correlation.label("product", value)) for value in distinct_products()]

    def queryset(self, request, queryset):
        return queryset.filter(product=self.value()) if self.value() else queryset


@admin.register(TechnicalSample)
class TechnicalSampleAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """Requests, errors and latency per account (or all customers), product and period, as monitoring sent them."""

    list_before_template = "insights/technical_samples_before.html"
    list_display = [
        "period",
        "product_label",
        "account",
        "requests_shown",
        "errors_shown",
        "error_rate_shown",
        "latency_p50_ms",
        "latency_p95_ms",
        "source_label",
    ]
    list_display_links = ["period"]
    list_filter = [ProductFilter, "source", ("customer", ScopedAutocompleteSelectFilter)]
    search_fields = ["customer__name", "=customer__domain"]
    list_select_related = ["customer"]
    ordering = ["-id"]  # newest received first, backwards along the primary key (no sort at any size)
    sortable_by = ()
    offers_saved_views = False
    fields = [
        "account",
        "product",
        "period_start",
        "period_end",
        "requests",
        "errors",
        "error_rate_shown",
        "latency_p50_ms",
        "latency_p95_ms",
        "source",
        "received_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        """A Sales / CS user sees their accounts' rows and the all-customers rows (no account's figures)."""
        rows, scope = super().get_queryset(request), account_scope(request.user, prefix="customer__")
        return rows.filter(scope | Q(customer__isnull=True)) if scope else rows  # Q() | x would be x alone

    def get_urls(self):
        page = path(
            "correlations/",
            self.admin_site.admin_view(self.correlations_view),
            name="insights_technicalsample_correlations",
        )
        return [page, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"correlations_url": reverse("admin:insights_technicalsample_correlations"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    @admin.display(description="period")
    def period(self, obj: TechnicalSample) -> str:
        return f"{obj.period_start:%Y-%m-%d %H:%M} → {obj.period_end:%Y-%m-%d %H:%M}"

    @admin.display(description="product")
    def product_label(self, obj: TechnicalSample) -> str:
        return technical_correlation.label("product", obj.product)

    @admin.display(description="account")
    def account(self, obj: TechnicalSample) -> str:
        return link(obj.customer, obj.customer_id, obj.customer.name) if obj.customer_id else "All customers"

    @admin.display(description="requests")
    def requests_shown(self, obj: TechnicalSample) -> str:
        return f"{obj.requests:,}"

    @admin.display(description="errors")
    def errors_shown(self, obj: TechnicalSample) -> str:
        return f"{obj.errors:,}"

    @admin.display(description="error rate")
    def error_rate_shown(self, obj: TechnicalSample) -> str:
        return "—" if obj.error_rate is None else f"{obj.error_rate:.2%}"

    @admin.display(description="source")
    def source_label(self, obj: TechnicalSample) -> str:
        return pill(obj.get_source_display(), SOURCE_COLOURS.get(obj.source, "grey"))

    # --- The page "Technical metrics vs feedback" -------------------------------------------------------------------

    def correlations_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not may_recompute(request.user):
                raise PermissionDenied
            if queue_recompute():
                messages.success(
                    request, "Recomputation queued: a worker runs it over all the window's data; reload in a minute."
                )
            else:
                messages.error(
                    request,
                    "The task queue is unreachable, so nothing was queued: try again later (the daily job "
                    "recomputes the figures on its own).",
                )
            return HttpResponseRedirect(request.path)
        figure = DashboardFigure.objects.filter(key=technical_correlation.FIGURE_KEY).first()
        context = {
            **self.admin_site.each_context(request),
            "title": "Technical metrics vs feedback",
            "opts": self.model._meta,
            "figure": figure,
            "samples_url": reverse("admin:insights_technicalsample_changelist"),
            "may_recompute": may_recompute(request.user),
            **(page_context(figure, request.GET.get("series", "")) if figure else {}),
        }
        return TemplateResponse(request, "insights/technical_correlations.html", context)


def page_context(figure: DashboardFigure, chosen: str) -> dict:
    """The figure shaped for the page: the table by subject, the rising list, and one series' chart."""
    data = figure.data
    subjects: dict[str, dict] = {}
    for row in data["rows"]:
        key = f"{row['kind']}:{row['subject']}"
        subjects.setdefault(key, {"key": key, "kind": row["kind"], "label": row["label"], "rows": []})
        subjects[key]["rows"].append({**row, "significant": row["p"] is not None and row["p"] < 0.05})
    rising = [
        {**row, "rates": f"{row['error_rate'][0]:.2%} → {row['error_rate'][1]:.2%}"} for row in data["rising"]["rows"]
    ]
    options = [(key, f"{subject['label']} ({subject['kind']})") for key, subject in subjects.items()]
    if chosen not in data["series"]:
        first = next((f"{row['kind']}:{row['subject']}" for row in rising if row["kind"] == "product"), None)
        chosen = first or next(iter(data["series"]), "")
    return {
        "window": data["window"],
        "min_periods": data["min_periods"],
        "subjects": list(subjects.values()),
        "rising": rising,
        "rising_rule": data["rising"],
        "series_options": options,
        "chosen": chosen,
        "chosen_label": dict(options).get(chosen, chosen),
        **chart(data["series"].get(chosen, [])),
    }


def chart(weeks: list[dict]) -> dict:
    """Chart.js line data: error rate (%) on the left axis, mean sentiment (−1…1) on the right, by week."""
    if not weeks:
        return {}
    data = {
        "labels": [week["week"] for week in weeks],
        "datasets": [
            {
                "label": "Error rate (%)",
                "data": [
                    None if week.get("error_rate") is None else round(100 * week["error_rate"], 3) for week in weeks
                ],
                "borderColor": "#dc2626",
                "backgroundColor": "#dc2626",
                "yAxisID": "y",
            },
            {
                "label": "Mean sentiment",
                "data": [None if week.get("sentiment") is None else round(week["sentiment"], 3) for week in weeks],
                "borderColor": "#2563eb",
                "backgroundColor": "#2563eb",
                "yAxisID": "y1",
            },
        ],
    }
    options = {
        "animation": False,
        "spanGaps": True,
        "plugins": {"legend": {"display": True}},
        "scales": {
            "y": {"position": "left", "min": 0, "title": {"display": True, "text": "error rate %"}},
            "y1": {"position": "right", "min": -1, "max": 1, "grid": {"drawOnChartArea": False},
                   "title": {"display": True, "text": "sentiment"}},
        },
    }  # fmt: skip
    return {"chart_data": json.dumps(data), "chart_options": json.dumps(options)}
