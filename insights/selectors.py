"""Reads of the dashboards: the precomputed figures, shaped for the page (one query, no scan of the big tables)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.dateparse import parse_datetime

from customers.choices import Lifecycle, Tier
from customers.selectors import sees_own_accounts_only
from feedback.choices import Category, Status
from insights import capture_figures
from insights.models import DashboardFigure
from launches.choices import LaunchStatus, LaunchTeam
from themes.choices import ThemeStatus

CATEGORY_COLOURS = {
    Category.BUG: "#dc2626",
    Category.FEATURE_REQUEST: "#2563eb",
    Category.IMPROVEMENT: "#0891b2",
    Category.QUESTION: "#a3a3a3",
    Category.PAIN_POINT: "#ea580c",
    Category.COMPLAINT: "#be123c",
    Category.PRAISE: "#16a34a",
    Category.CHURN_SIGNAL: "#7c3aed",
    Category.BEHAVIORAL: "#ca8a04",
    "": "#d4d4d4",
}


def bar_options(*, horizontal: bool = False, stacked: bool = False, legend: bool = False, **extra) -> str:
    """Chart.js options (JSON) for a bar chart drawn to scale from its first frame.

    unfold's chart component hands ``options`` to Chart.js in place of its own defaults (it does not merge them), so
    Chart.js's defaults apply, among them a one-second grow-in animation: for that second, and in any screenshot, every
    bar is drawn shorter than its value. Each chart therefore states what keeps it honest: no animation, a value axis
    that starts at zero and shows its numbers.
    """
    value_axis, category_axis = ("x", "y") if horizontal else ("y", "x")
    options = {
        "animation": False,
        "plugins": {"legend": {"display": legend}},
        "scales": {
            value_axis: {
                "min": 0,
                "beginAtZero": True,
                "stacked": stacked,
                "display": True,
                "ticks": {"display": True},
            },
            category_axis: {"stacked": stacked},
        },
        **extra,
    }
    if horizontal:
        options["indexAxis"] = "y"
    return json.dumps(options)


@dataclass
class Figure:
    """One figure as the page shows it: its data, its sample size, its age."""

    key: str
    data: dict = field(default_factory=dict)
    sample_size: int = 0
    computed_at: datetime | None = None

    @property
    def missing(self) -> bool:
        return self.computed_at is None


def changelist(model: str, **filters) -> str:
    """The admin changelist of ``model`` ("app.model") with ``filters`` as its query string."""
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def change_page(model: str, pk: int) -> str:
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_change", args=[pk])


def figures() -> dict[str, Figure]:
    """Every figure of the home dashboard by key (one query): not the KPI dashboard's (``kpi:``) nor the technical
    metrics page's (``technical:``), which their own pages read."""
    rows = DashboardFigure.objects.exclude(key__startswith="kpi:").exclude(key__startswith="technical:")
    return {
        row.key: Figure(key=row.key, data=row.data, sample_size=row.sample_size, computed_at=row.computed_at)
        for row in rows
    }


def dashboard(*, user) -> dict:
    """The home dashboard's context for ``user``: only the parts whose rows the user may view."""
    stored = figures()

    def get(key: str) -> Figure:
        return stored.get(key) or Figure(key=key)

    can = {
        "feedback": user.has_perm("feedback.view_feedbackitem"),
        "customers": user.has_perm("customers.view_customer"),
        "themes": user.has_perm("themes.view_theme"),
        "launches": user.has_perm("launches.view_launch"),
    }
    context = {"can": can, "ready": bool(stored), "minimum": 15}
    totals = get("totals")
    context["totals"] = totals
    context["cards"] = key_cards(totals, can=can)
    if can["feedback"]:
        context["volume"] = volume_chart(get("volume"))
    if can["themes"]:
        context["themes"] = theme_rows(get("themes"))
    if can["customers"]:
        context["churn"] = churn_rows(get("churn"), own_accounts_of=user if sees_own_accounts_only(user) else None)
    if can["launches"]:
        context["launches"] = launch_rows(get("launches"))
    if can["feedback"]:
        context["coverage"] = coverage_charts(get("coverage"))
    if user.has_perm("integrations.view_capturesignal"):
        context["capture"] = capture_figures.capture_panel(get("capture"))
    return context


def key_cards(totals: Figure, *, can: dict) -> list[dict]:
    data = totals.data
    week_ago = data.get("week_ago", "")
    cards = []
    if can["feedback"]:
        cards += [
            {"label": "Feedback items", "value": data.get("total"), "url": changelist("feedback.feedbackitem")},
            {
                "label": "Untriaged",
                "value": data.get("untriaged"),
                "url": changelist("feedback.feedbackitem", triaged_at__isnull="True"),
            },
            {
                "label": "New this week",
                "value": data.get("new_this_week"),
                "url": changelist("feedback.feedbackitem", received_at__gte=week_ago[:10]),
            },
            {
                "label": "Open",
                "value": data.get("open"),
                "url": changelist("feedback.feedbackitem", status__in=",".join(open_statuses())),
            },
        ]
    if can["customers"]:
        cards += [
            {
                "label": "At-risk accounts",
                "value": data.get("at_risk_accounts"),
                "url": changelist("customers.customer", at_risk="yes"),
                "warn": bool(data.get("at_risk_accounts")),
            },
            {
                "label": "ARR at risk",
                "value": data.get("arr_at_risk"),
                "money": True,
                "url": changelist("customers.customer", at_risk="yes"),
                "warn": bool(data.get("arr_at_risk")),
            },
        ]
    if can["themes"]:
        cards.append({"label": "Themes", "value": data.get("themes"), "url": changelist("themes.theme")})
    if can["launches"]:
        cards.append({"label": "Launches this quarter", "value": data.get("launches_this_quarter"), "url": "#launches"})
    return cards


def open_statuses() -> list[str]:
    return [value for value in Status.values if value not in (Status.SHIPPED, Status.WONT_DO)]


def volume_chart(figure: Figure) -> dict:
    data = figure.data
    months = data.get("months", [])
    chart = {
        "labels": [month[:7] for month in months],
        "datasets": [
            {
                "label": entry["label"],
                "data": entry["counts"],
                "backgroundColor": CATEGORY_COLOURS.get(entry["category"], "#a3a3a3"),
                "stack": "volume",
            }
            for entry in data.get("series", [])
        ],
    }
    legend = [
        {
            "label": entry["label"],
            "total": sum(entry["counts"]),
            "colour": CATEGORY_COLOURS.get(entry["category"], "#a3a3a3"),
            "url": changelist(
                "feedback.feedbackitem", category__exact=entry["category"], received_at__gte=months[0] if months else ""
            ),
        }
        for entry in data.get("series", [])
    ]
    return {
        "figure": figure,
        "chart": json.dumps(chart),
        "options": bar_options(stacked=True, maxBarThickness=28),
        "legend": legend,
        "months": len(months),
    }


def theme_rows(figure: Figure) -> dict:
    rows = [
        {
            **row,
            "url": change_page("themes.theme", row["id"]),
            "status_label": ThemeStatus(row["status"]).label,
            "refreshed": parse_datetime(row["rollups_refreshed_at"]) if row.get("rollups_refreshed_at") else None,
        }
        for row in figure.data.get("rows", [])
    ]
    chart = {
        "labels": [row["name"] for row in rows],
        "datasets": [
            {"label": "ARR impacted", "data": [row["arr_impacted"] for row in rows], "backgroundColor": "#2563eb"},
            {"label": "ARR at risk", "data": [row["arr_at_risk"] for row in rows], "backgroundColor": "#dc2626"},
        ],
    }
    oldest = min((row["refreshed"] for row in rows if row["refreshed"]), default=None)
    return {
        "figure": figure,
        "rows": rows,
        "chart": json.dumps(chart),
        "options": bar_options(horizontal=True, legend=True, grouped=True, maxBarThickness=10),
        "oldest_rollup": oldest,
        "url": changelist("themes.theme"),
    }


def churn_rows(figure: Figure, *, own_accounts_of=None) -> dict:
    """The at-risk accounts table; for a sales/CS person, only the accounts they own."""
    data = figure.data
    rows = [
        {
            **row,
            "url": change_page("customers.customer", row["id"]),
            "tier_label": Tier(row["tier"]).label if row.get("tier") in Tier.values else row.get("tier"),
            "lifecycle_label": Lifecycle(row["lifecycle_stage"]).label,
        }
        for row in data.get("rows", [])
        if own_accounts_of is None or row.get("owner_id") == own_accounts_of.pk
    ]
    since = (data.get("since") or "")[:10]
    return {
        "figure": figure,
        "rows": rows,
        "signals": data.get("signals", 0),
        "accounts_signalling": data.get("accounts_signalling", 0),
        "signals_url": changelist(
            "feedback.feedbackitem", category__exact=Category.CHURN_SIGNAL, received_at__gte=since
        ),
        "accounts_url": changelist("customers.customer", at_risk="yes"),
    }


def launch_rows(figure: Figure) -> dict:
    data = figure.data
    rows = [
        {
            **row,
            "url": change_page("launches.launch", row["id"]),
            "status_label": LaunchStatus(row["status"]).label,
            "team_label": LaunchTeam(row["team"]).label if row["team"] in LaunchTeam.values else row["team"],
            "percent": round(100 * row["items_done"] / row["items_total"]) if row["items_total"] else 0,
            "at_risk": row["status"] == LaunchStatus.AT_RISK,
            "open_after_ship": row["status"] == LaunchStatus.SHIPPED and row["items_done"] < row["items_total"],
        }
        for row in data.get("rows", [])
    ]
    return {
        "figure": figure,
        "rows": rows,
        "url": changelist(
            "launches.launch", target_date__gte=data.get("start", ""), target_date__lt=data.get("end", "")
        )
        if data
        else changelist("launches.launch"),
    }


def coverage_charts(figure: Figure) -> dict:
    """One bar chart per dimension; segments under the minimum in red, each linked to its feedback."""
    data = figure.data
    minimum = data.get("minimum", 15)
    dimensions = []
    for dimension in data.get("dimensions", []):
        segments = dimension["segments"]
        on_item = dimension["key"] == "product" or dimension.get("on") == "feedback"  # maturity: on the item too
        lookup = f"{dimension['key']}__exact" if on_item else f"customer__{dimension['key']}__exact"
        chart = {
            "labels": [segment["label"] for segment in segments],
            "datasets": [
                {
                    "label": "Feedback items",
                    "data": [segment["items"] for segment in segments],
                    "backgroundColor": ["#dc2626" if segment["flag"] else "#2563eb" for segment in segments],
                }
            ],
        }
        dimensions.append(
            {
                **dimension,
                "chart": json.dumps(chart),
                "flagged": sum(segment["flag"] for segment in segments),
                "segments": [
                    {**segment, "url": changelist("feedback.feedbackitem", **{lookup: segment["value"]})}
                    for segment in segments
                ],
            }
        )
    options = bar_options(maxBarThickness=18)
    return {"figure": figure, "dimensions": dimensions, "minimum": minimum, "options": options}
