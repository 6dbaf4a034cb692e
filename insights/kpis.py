"""The KPI dashboard (seed 004 "KPI Dashboard"): business success, operational ease and user success, a persona
comparison side by side, and weekly trends. ``refresh_kpis`` (a task, every 15 minutes) computes every figure into
``DashboardFigure`` rows keyed ``kpi:…``; the admin page only reads them (``kpi_page``).

Every figure carries its value (None, with the reason, when it is missing or rests on too few data points), its n
(what it was computed from), its window, the time it was computed and, where the seeds give one, its target:
decision coverage ≥ 90 % and told rate ≥ 95 % (seed 003 "Platform Impact" and "Target Metrics": 90 % of feedback
gets a clear decision, 95 % of those who gave feedback are told), feedback → decision in 1–2 days (seed 003: 3–4
weeks today), CSAT 4.3 / 5 (seed 003: 3.2 today), survey response rate 70–85 % (seed 003: 15–25 % today). The
definitions live in ``insights.metrics`` (persona metrics) and ``insights.kpi_sections`` (CRM and feedback figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from insights import kpi_sections, metrics
from insights.metrics import ALL, MetricResult, Window, minimum, too_few
from insights.models import DashboardFigure
from launches.loop_figures import loop_figures
from themes.choices import ThemeStatus
from themes.models import Theme

PREFIX = "kpi:"
WINDOWS = (30, 90)  # days; the page offers each
DEFAULT_WINDOW = 30
TREND_WEEKS = 12
EXPIRE_SECONDS = 840  # the job runs every 15 minutes: a run not started within 14 is dropped
MAX_PERSONAS = 6  # the persona comparison shows the personas with the most data
NO_CAC = (
    "missing: the hub stores no customer acquisition cost (marketing and sales spend per new account), "
    "so LTV/CAC cannot be computed"
)


@dataclass(frozen=True)
class Target:
    """A goal from the seeds: ``value`` reached when the figure is ``>=`` (or ``<=``) it."""

    value: float
    op: str
    label: str

    def as_dict(self) -> dict:
        return {"value": self.value, "op": self.op, "label": self.label}


DECISION_TARGET = Target(90, ">=", "≥ 90 % (seed 003)")
TOLD_TARGET = Target(95, ">=", "≥ 95 % (seed 003)")
PROCESSING_TARGET = Target(2, "<=", "≤ 2 days (seed 003: 1–2 days; 3–4 weeks today)")
CSAT_TARGET = Target(4.3, ">=", "≥ 4.3 / 5 (seed 003; 3.2 today)")
RESPONSE_TARGET = Target(70, ">=", "≥ 70 % (seed 003: 70–85 %; 15–25 % today)")


def figure(
    key: str,
    label: str,
    *,
    value: float | None,
    n: int,
    unit: str,
    window: Window,
    min_n: int | None = None,
    reason: str = "",
    detail: str = "",
    target: Target | None = None,
    better: str = "higher",
    n_label: str = "",
) -> dict:
    """One figure as stored: with too few data points (``n < min_n``) its value is None and the reason says so."""
    min_n = minimum(min_n)
    if value is not None and n < min_n:
        value, reason = None, too_few(n)
    elif value is None and not reason:
        reason = too_few(n) if n < min_n else "no value"
    return {
        "key": key,
        "label": label,
        "value": None if value is None else round(float(value), 4),
        "n": n,
        "n_label": n_label,
        "unit": unit,
        "window": window.as_dict(),
        "reason": reason if value is None else "",
        "detail": detail if value is not None else "",
        "target": target.as_dict() if target else None,
        "better": better,
    }


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent (None of nothing)."""
    return 100 * part / whole if whole else None


def from_metric(key: str, label: str, result: MetricResult, *, unit: str, scale: float = 1, **kwargs) -> dict:
    """A persona metric's every-persona value as a figure."""
    overall = result.overall
    value = None if overall.value is None else overall.value * scale
    return figure(
        key, label, value=value, n=overall.n, unit=unit, window=result.window, reason=overall.reason, **kwargs
    )


# --- The three groups -------------------------------------------------------------------------------------------------


def business(*, window: Window, retention_month: MetricResult) -> list[dict]:
    counts = kpi_sections.business_figures(window=window)
    arr_then, arr_now = counts["arr_then"] or 0, counts["arr_now"] or 0
    return [
        figure(
            "conversion",
            "Conversion (free → paid)",
            value=share(counts["converted"], counts["free_then"]),
            n=counts["free_then"],
            n_label="free accounts",
            unit="%",
            window=window,
            detail=f"{counts['converted']} converted",
        ),
        figure(
            "logo_retention",
            "Retention (accounts not churned)",
            value=share(counts["retained"], counts["live_then"]),
            n=counts["live_then"],
            n_label="live accounts",
            unit="%",
            window=window,
        ),
        from_metric(
            "product_retention", "Product retention, month 1", retention_month, unit="%", scale=100, n_label="accounts"
        ),
        figure(
            "upsell",
            "Upsell (plan or tier upgrade)",
            value=share(counts["upsold"], counts["paid_then"]),
            n=counts["paid_then"],
            n_label="paying accounts",
            unit="%",
            window=window,
            detail=f"{counts['upsold']} upgraded",
        ),
        figure(
            "expansion",
            "Expansion (ARR up, same plan)",
            value=share(counts["expanded"], counts["live_then"]),
            n=counts["live_then"],
            n_label="live accounts",
            unit="%",
            window=window,
            detail=f"{counts['expanded']} expanded",
        ),
        figure(
            "net_revenue_retention",
            "Net revenue retention",
            value=100 * arr_now / arr_then if arr_then else None,
            n=counts["live_then"],
            n_label="live accounts",
            unit="%",
            window=window,
            detail=f"ARR ${arr_then:,.0f} → ${arr_now:,.0f}",
        ),
        figure(
            "usage_expansion",
            f"Usage expansion (active users +{kpi_sections.USAGE_GROWTH_PERCENT} %, 30 days)",
            value=share(counts["usage_grew"], counts["usage_n"]),
            n=counts["usage_n"],
            n_label="accounts with usage",
            unit="%",
            window=Window.last(30, now=window.end),
        ),
        figure("ltv_cac", "LTV / CAC", value=None, n=0, unit="ratio", window=window, reason=NO_CAC),
    ]


def operations(*, window: Window, incidents: MetricResult, resolution: MetricResult) -> list[dict]:
    items = kpi_sections.feedback_figures(window=window)
    escalated = kpi_sections.escalation_figures(window=window)
    invitations = kpi_sections.invitation_figures(window=window)
    told = told_figures(window=window)
    return [
        from_metric(
            "support_frequency",
            "Support cases per account per month",
            incidents,
            unit="per account·month",
            better="lower",
            n_label="active accounts",
        ),
        from_metric(
            "support_resolution",
            "Support resolution time (median)",
            resolution,
            unit="hours",
            better="lower",
            n_label="cases",
            detail=_p90(resolution, "h"),
        ),
        figure(
            "escalation_resolution",
            "Escalation resolution time (median)",
            value=escalated["median_hours"],
            n=escalated["resolved"],
            n_label="resolved",
            unit="hours",
            window=window,
            better="lower",
            detail=f"p90 {escalated['p90_hours']:.1f} h" if escalated["p90_hours"] is not None else "",
        ),
        figure(
            "automation_coverage",
            "Automation coverage (triaged, no human edit)",
            value=share(items["automated"], items["triaged"]),
            n=items["triaged"],
            n_label="triaged items",
            unit="%",
            window=window,
        ),
        figure(
            "processing_time",
            "Feedback → decision (median)",
            value=items["median_days"],
            n=items["timed"],
            n_label="decided items",
            unit="days",
            window=window,
            target=PROCESSING_TARGET,
            better="lower",
            detail=f"p90 {items['p90_days']:.1f} days" if items["p90_days"] is not None else "",
        ),
        figure(
            "decision_coverage",
            "Decision coverage",
            value=share(items["decided"], items["items"]),
            n=items["items"],
            n_label="items",
            unit="%",
            window=window,
            target=DECISION_TARGET,
            detail=f"{items['decided']} decided",
        ),
        figure(
            "told_rate",
            "Told rate (requesters told when shipped)",
            value=share(told.told, told.updates),
            n=told.updates,
            n_label="customer updates",
            unit="%",
            window=window,
            target=TOLD_TARGET,
            detail=f"{told.told} told, {told.overdue} overdue",
        ),
        figure(
            "response_rate",
            "Survey response rate",
            value=share(invitations["answered"], invitations["sent"]),
            n=invitations["sent"],
            n_label="surveys sent",
            unit="%",
            window=window,
            target=RESPONSE_TARGET,
        ),
    ]


def told_figures(*, window: Window):
    """``launches.loop_figures`` over the themes shipped in the window (its told rate is the loop's own)."""
    shipped = Theme.objects.filter(
        status=ThemeStatus.SHIPPED, shipped_at__gte=window.start, shipped_at__lt=window.end
    ).values_list("id", flat=True)
    return loop_figures(today=timezone.localdate(window.end), theme_ids=list(shipped)).overall


def users(*, window: Window, persona: dict[str, MetricResult]) -> list[dict]:
    ttv = persona["time_to_value"]
    return [
        from_metric("task_completion", "Task completion", persona["task_completion"], unit="%", scale=100,
                    n_label="tasks started"),
        from_metric("nps", "NPS", persona["nps"], unit="score", n_label="answers"),
        from_metric("csat", "CSAT (satisfied, 4–5)", persona["csat"], unit="%", scale=100, n_label="answers"),
        from_metric("csat_mean", "CSAT (mean score)", persona["csat_mean"], unit="/ 5", n_label="answers",
                    target=CSAT_TARGET),
        from_metric("feature_reuse", "Feature reuse", persona["feature_reuse"], unit="%", scale=100,
                    n_label="accounts"),
        from_metric("time_to_value", "Time to value (median)", ttv, unit="minutes", better="lower",
                    n_label="accounts", detail=_p90(ttv, "min")),
        from_metric("report_accuracy", "Report accuracy", persona["report_accuracy"], unit="%", scale=100,
                    n_label="reports"),
        from_metric("renewal_success", "Renewal success", persona["renewal_success"], unit="%", scale=100,
                    n_label="campaigns"),
        from_metric("errors", "Errors per account per month", persona["errors"], unit="per account·month",
                    better="lower", n_label="active accounts"),
    ]  # fmt: skip


def _p90(result: MetricResult, unit: str) -> str:
    p90 = result.overall.extra.get("p90")
    if p90 is None:
        return ""
    return f"p90 {readable_minutes(p90)}" if unit == "min" else f"p90 {p90:.1f} {unit}"


def readable_minutes(minutes: float) -> str:
    """A duration in minutes as people say it: "45 min", "6.5 h", "3.8 days"."""
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


# --- Personas side by side, trends ------------------------------------------------------------------------------------

# (key, label, unit, scale, better)
PERSONA_ROWS = [
    ("time_to_value", "Time to value (median)", "minutes", 1, "lower"),
    ("task_completion", "Task completion", "%", 100, "higher"),
    ("feature_reuse", "Feature reuse", "%", 100, "higher"),
    ("retention_week", "Retention, week 1", "%", 100, "higher"),
    ("report_accuracy", "Report accuracy", "%", 100, "higher"),
    ("renewal_success", "Renewal success", "%", 100, "higher"),
    ("errors", "Errors / account·month", "per account·month", 1, "lower"),
    ("incidents", "Support cases / account·month", "per account·month", 1, "lower"),
    ("nps", "NPS", "score", 1, "higher"),
    ("csat", "CSAT (satisfied)", "%", 100, "higher"),
]


def persona_comparison(persona: dict[str, MetricResult], *, window: Window) -> dict:
    """Each persona metric per persona segment, side by side: the personas with the most data points first."""
    weight: dict[str, int] = {}
    for result in persona.values():
        for name, value in result.by_persona.items():
            if name != ALL:
                weight[name] = weight.get(name, 0) + value.n
    names = sorted(weight, key=lambda name: (-weight[name], name))[:MAX_PERSONAS]
    rows = []
    for key, label, unit, scale, better in PERSONA_ROWS:
        result = persona[key]
        cells = []
        for name in [*names, ALL]:
            value = result.by_persona.get(name)
            if value is None:
                cells.append({"value": None, "n": 0, "reason": too_few(0)})
            else:
                number = None if value.value is None else round(value.value * scale, 4)
                cells.append({"value": number, "n": value.n, "reason": value.reason})
        rows.append({"key": key, "label": label, "unit": unit, "better": better, "cells": cells})
    return {"personas": names, "rows": rows, "window": window.as_dict(), "min_n": minimum(None)}


def persona_metrics(*, window: Window) -> dict[str, MetricResult]:
    """Every persona metric over ``window`` (one query each)."""
    nps, csat, csat_mean = metrics.survey_scores(window=window)
    return {
        "time_to_value": metrics.time_to_value(window=window),
        "task_completion": metrics.task_completion(window=window),
        "feature_reuse": metrics.feature_reuse(window=window),
        "retention_week": metrics.retention(window=window, period="week", number=1),
        "report_accuracy": metrics.report_accuracy(window=window),
        "renewal_success": metrics.renewal_success(window=window),
        "errors": metrics.errors_per_account(window=window),
        "incidents": metrics.support_incidents_per_account(window=window),
        "nps": nps,
        "csat": csat,
        "csat_mean": csat_mean,
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


# What a week's trends read, each once per week however many series use it.
WEEK_SOURCES: dict[str, Callable[[Window], object]] = {
    "survey": lambda week: metrics.survey_scores(window=week),
    "feedback": lambda week: kpi_sections.feedback_figures(window=week),
    "support": lambda week: metrics.support_incidents_per_account(window=week).overall,
}
# (key, label, unit, read: source getter → (value, n))
TRENDS: list[tuple[str, str, str, Callable[[Callable[[str], object]], tuple[float | None, int]]]] = [
    ("nps", "NPS", "score", lambda get: (get("survey")[0].overall.value, get("survey")[0].overall.n)),
    (
        "csat",
        "CSAT (satisfied)",
        "%",
        lambda get: (_percent(get("survey")[1].overall.value), get("survey")[1].overall.n),
    ),
    (
        "decision_coverage",
        "Decision coverage (of the items received that week)",
        "%",
        lambda get: (share(get("feedback")["decided"], get("feedback")["items"]), get("feedback")["items"]),
    ),
    (
        "automation_coverage",
        "Automation coverage",
        "%",
        lambda get: (share(get("feedback")["automated"], get("feedback")["triaged"]), get("feedback")["triaged"]),
    ),
    (
        "support_frequency",
        "Support cases per account per month",
        "per account·month",
        lambda get: (get("support").value, get("support").n),
    ),
]


def _week_reader(week: Window) -> Callable[[str], object]:
    cache: dict[str, object] = {}

    def get(source: str) -> object:
        if source not in cache:
            cache[source] = WEEK_SOURCES[source](week)
        return cache[source]

    return get


def trends(*, now: datetime, weeks: int = TREND_WEEKS) -> dict:
    """Weekly series (oldest first) of the figures whose trend matters; a week with too few points is a gap."""
    ends = [now - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    weeks_ = [Window(start=end - timedelta(days=7), end=end) for end in ends]
    readers = [_week_reader(week) for week in weeks_]
    series = []
    for key, label, unit, read in TRENDS:
        points = []
        for get in readers:
            value, n = read(get)
            points.append({"value": None if value is None or n < minimum(None) else round(value, 2), "n": n})
        series.append({"key": key, "label": label, "unit": unit, "points": points})
    return {"weeks": [week.start.date().isoformat() for week in weeks_], "series": series, "min_n": minimum(None)}


# --- The job ----------------------------------------------------------------------------------------------------------


def refresh_kpis(*, now: datetime | None = None, windows: tuple[int, ...] = WINDOWS) -> list[str]:
    """Compute every KPI figure (each window, the trends) and store them; returns the keys written."""
    now = now or timezone.now()
    stored: dict[str, tuple[object, int]] = {}
    for days in windows:
        window = Window.last(days, now=now)
        persona = persona_metrics(window=window)
        retention_month = metrics.retention(window=window, period="month", number=1)
        support = metrics.support_resolution_hours(window=window)
        groups = {
            "business": business(window=window, retention_month=retention_month),
            "operations": operations(window=window, incidents=persona["incidents"], resolution=support),
            "users": users(window=window, persona=persona),
        }
        for name, figures in groups.items():
            stored[f"{PREFIX}{days}:{name}"] = (figures, max((f["n"] for f in figures), default=0))
        comparison = persona_comparison(persona, window=window)
        stored[f"{PREFIX}{days}:personas"] = (comparison, sum(result.overall.n for result in persona.values()))
    trend = trends(now=now)
    stored[f"{PREFIX}trends"] = (trend, sum(p["n"] for s in trend["series"] for p in s["points"]))
    with transaction.atomic():
        for key, (data, sample_size) in stored.items():
            DashboardFigure.objects.update_or_create(
                key=key, defaults={"data": data, "sample_size": max(0, int(sample_size)), "computed_at": now}
            )
    return list(stored)
