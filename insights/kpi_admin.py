"""The KPI dashboard page of the admin (``/admin/insights/kpis/``, URL name ``admin:insights_kpis``).

It reads the figures ``insights.kpis.refresh_kpis`` stored (one query: the ``kpi:`` rows) and never computes one; with
none yet it queues the job once and says so. Staff with the view permission of the dashboard's figures
(``insights.view_dashboardfigure``) or of experiments (the roles that read the loop's measures: product ops,
leadership) may open it. The URL is added to the admin site through unfold's ``extra_urls`` hook (the page belongs to
no model).
"""

from __future__ import annotations

import json
import logging

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from insights import kpis, metrics
from insights.models import DashboardFigure

log = logging.getLogger(__name__)
URL_NAME = "insights_kpis"
PERMISSIONS = ("insights.view_dashboardfigure", "insights.view_experiment")
QUEUED_FOR = 120  # seconds during which further page views do not queue another refresh
GROUPS = [
    ("business", "Business success", "Conversion, retention, upsell and expansion from the CRM and usage snapshots."),
    ("operations", "Operational ease", "Support load, automation, and how fast and how fully the loop closes."),
    ("users", "User success", "What product events and survey answers say about the people using the product."),
]
COLOURS = ["#2563eb", "#16a34a", "#ea580c", "#7c3aed", "#dc2626", "#0891b2"]
UNITS = {"%": "{:.0f} %", "days": "{:.1f} days", "hours": "{:.1f} h", "minutes": "{:.0f} min", "score": "{:+.0f}",
         "/ 5": "{:.2f} / 5", "ratio": "{:.2f}", "per account·month": "{:.2f}"}  # fmt: skip


def may_view(user) -> bool:
    return user.is_active and user.is_staff and any(user.has_perm(permission) for permission in PERMISSIONS)


def formatted(value: float | None, unit: str) -> str:
    if value is not None and unit == "minutes":
        return kpis.readable_minutes(value)
    return "—" if value is None else UNITS.get(unit, "{:.2f}").format(value)


def target_status(item: dict) -> str:
    """ "met", "missed" or "" (no target, or no value)."""
    target, value = item.get("target"), item.get("value")
    if not target or value is None:
        return ""
    reached = value >= target["value"] if target["op"] == ">=" else value <= target["value"]
    return "met" if reached else "missed"


def card(item: dict, computed_at) -> dict:
    return {
        **item,
        "shown": formatted(item["value"], item["unit"]),
        "status": target_status(item),
        "days": round(item["window"]["days"]),
        "computed_at": computed_at,
    }


def line_options(*, unit: str) -> str:
    """Chart.js options: no grow-in animation (a screenshot shows the values), gaps where a week had too few points,
    and a value axis that says its numbers (from zero, except NPS which runs from −100)."""
    scale = {"display": True, "ticks": {"display": True}}
    if unit != "score":
        scale.update(min=0, beginAtZero=True)
    if unit == "%":
        scale["max"] = 100
    options = {
        "animation": False,
        "spanGaps": False,
        "plugins": {"legend": {"display": False}},
        "scales": {"y": scale, "x": {"display": True}},
    }
    return json.dumps(options)


def trend_charts(data: dict) -> list[dict]:
    labels = [week[5:] for week in data.get("weeks", [])]
    charts = []
    for index, series in enumerate(data.get("series", [])):
        points = series["points"]
        chart = {
            "labels": labels,
            "datasets": [
                {
                    "label": series["label"],
                    "data": [point["value"] for point in points],
                    "borderColor": COLOURS[index % len(COLOURS)],
                    "backgroundColor": COLOURS[index % len(COLOURS)],
                    "pointRadius": 3,
                }
            ],
        }
        charts.append(
            {
                **series,
                "chart": json.dumps(chart),
                "options": line_options(unit=series["unit"]),
                "weeks_shown": sum(point["value"] is not None for point in points),
                "n": sum(point["n"] for point in points),
                "table": [
                    {"week": week, "shown": formatted(point["value"], series["unit"]), "n": point["n"]}
                    for week, point in zip(data.get("weeks", []), points, strict=False)
                ],
            }
        )
    return charts


def persona_table(data: dict) -> dict:
    rows = [
        {
            **row,
            "cells": [{**cell, "shown": formatted(cell["value"], row["unit"])} for cell in row["cells"]],
        }
        for row in data.get("rows", [])
    ]
    personas = [name or "(no persona)" for name in data.get("personas", [])]
    return {"personas": personas, "rows": rows, "min_n": data.get("min_n", metrics.MIN_N)}


def kpi_page(*, window: int) -> dict:
    """The page's context for ``window`` days, from the stored figures only (one query)."""
    stored = {row.key: row for row in DashboardFigure.objects.filter(key__startswith=kpis.PREFIX)}
    prefix = f"{kpis.PREFIX}{window}:"
    groups = []
    for key, title, intro in GROUPS:
        row = stored.get(prefix + key)
        if row is not None:
            cards = [card(item, row.computed_at) for item in row.data]
            groups.append({"key": key, "title": title, "intro": intro, "cards": cards})
    personas, trend = stored.get(prefix + "personas"), stored.get(f"{kpis.PREFIX}trends")
    computed = [row.computed_at for key, row in stored.items() if key.startswith(prefix)]
    return {
        "ready": bool(groups),
        "window": window,
        "windows": kpis.WINDOWS,
        "groups": groups,
        "personas": persona_table(personas.data) if personas else None,
        "trends": trend_charts(trend.data) if trend else [],
        "trend_weeks": len(trend.data.get("weeks", [])) if trend else 0,
        "computed_at": min(computed) if computed else None,
        "min_n": metrics.MIN_N,
    }


def chosen_window(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("window", kpis.DEFAULT_WINDOW))
    except ValueError:
        return kpis.DEFAULT_WINDOW
    return days if days in kpis.WINDOWS else kpis.DEFAULT_WINDOW


def kpi_view(request: HttpRequest) -> HttpResponse:
    """GET: the dashboard for the chosen window (``?window=30``)."""
    if not may_view(request.user):
        raise PermissionDenied
    page = kpi_page(window=chosen_window(request))
    if not page["ready"]:
        ask_for_kpis()
    context = {
        **admin.site.each_context(request),
        "title": "KPI dashboard",
        "kpis": page,
        "page_url": reverse(f"admin:{URL_NAME}"),
    }
    return TemplateResponse(request, "admin/insights/kpis.html", context)


def ask_for_kpis() -> None:
    """Queue a refresh (a fresh install before its first scheduled run); a broker outage only delays it."""
    from django.core.cache import cache

    from insights.kpi_tasks import refresh_kpis

    try:
        if cache.add("insights:kpi-refresh-queued", True, timeout=QUEUED_FOR):  # once, however many reloads
            refresh_kpis.apply_async(expires=kpis.EXPIRE_SECONDS, retry=False)
    except Exception:  # noqa: BLE001 - the page must render while Redis is down; beat retries on schedule
        log.warning("Could not queue the KPI refresh; the scheduled job will compute the figures.", exc_info=True)


def _extra_urls(previous):
    def extra_urls() -> list:
        earlier = previous() if callable(previous) else []
        return [path("insights/kpis/", admin.site.admin_view(kpi_view), name=URL_NAME), *earlier]

    return extra_urls


if not getattr(admin.site, "_kpi_urls_added", False):  # unfold's AdminSite.get_urls calls ``extra_urls()``
    admin.site.extra_urls = _extra_urls(getattr(admin.site, "extra_urls", None))
    admin.site._kpi_urls_added = True
