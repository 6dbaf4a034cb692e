"""Compute the dashboard's figures from the domain tables (a job runs this; page views never scan).

Each figure is stored with the number of rows behind it and the time it was computed. The figures cover:
key figures, feedback volume by month and category, top themes by ARR, churn signals and at-risk accounts,
launches this quarter, and coverage by segment (seed 001's "Coverage Dashboard": red flag under 15 data points).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from customers.choices import Industry, Language, Lifecycle, Region, Tier
from customers.models import Customer
from feedback.choices import Category, Product, Status, TimeMaturity, UsageMaturity
from feedback.models import FeedbackItem
from insights import capture_figures
from insights.models import DashboardFigure
from launches.models import Launch
from themes.models import Theme

COVERAGE_MIN_DATA_POINTS = 15  # seed 001: red flag if any segment has fewer
VOLUME_MONTHS = 12
CHURN_WINDOW_DAYS = 90
TOP = 10
# Coverage dimensions: (key, label, choices, where the value lives: "feedback" or the customer's field name).
COVERAGE_DIMENSIONS = [
    ("product", "Model / product", Product, "feedback"),
    ("industry", "Industry", Industry, "industry"),
    ("tier", "Tier", Tier, "tier"),
    ("region", "Region", Region, "region"),
    ("language", "Language", Language, "language"),
    ("lifecycle_stage", "Lifecycle", Lifecycle, "lifecycle_stage"),
    # feedback maturity at capture (issue 13, feedback.maturity); items not stamped are in no segment
    ("time_maturity", "Maturity (time)", TimeMaturity, "feedback"),
    ("usage_maturity", "Maturity (usage)", UsageMaturity, "feedback"),
]


def quarter_bounds(day: date) -> tuple[date, date]:
    """First day of ``day``'s quarter and first day of the next one."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month + 3 > 12), (first_month + 3 - 1) % 12 + 1, 1)
    return start, end


def month_starts(*, until: date, count: int) -> list[date]:
    """The first days of the ``count`` months up to and including ``until``'s month, oldest first."""
    months, year, month = [], until.year, until.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def refresh_dashboard(*, now: datetime | None = None) -> list[str]:
    """Recompute every dashboard figure; returns the keys written (all in one transaction)."""
    now = now or timezone.now()
    figures = {
        "totals": key_figures(now=now),
        "volume": volume_by_category(now=now),
        "themes": top_themes(),
        "churn": churn_signals(now=now),
        "launches": launches_this_quarter(today=timezone.localdate(now)),
        "coverage": coverage(),
        "capture": capture_figures.capture_signals(now=now),  # in-product thumbs and empty searches
    }
    with transaction.atomic():
        for key, (data, sample_size) in figures.items():
            DashboardFigure.objects.update_or_create(
                key=key, defaults={"data": data, "sample_size": sample_size, "computed_at": now}
            )
    return list(figures)


def key_figures(*, now: datetime) -> tuple[dict, int]:
    """Counts a product ops lead checks first."""
    week_ago = now - timedelta(days=7)
    feedback = FeedbackItem.objects.aggregate(
        total=Count("id"),
        untriaged=Count("id", filter=Q(triaged_at__isnull=True)),
        new_this_week=Count("id", filter=Q(received_at__gte=week_ago)),
        open=Count("id", filter=~Q(status__in=[Status.SHIPPED, Status.WONT_DO])),
    )
    at_risk = Customer.objects.at_risk().aggregate(accounts=Count("id"), arr=Sum("arr"))
    start, end = quarter_bounds(timezone.localdate(now))
    data = {
        **feedback,
        "customers": Customer.objects.count(),
        "at_risk_accounts": at_risk["accounts"],
        "arr_at_risk": float(at_risk["arr"] or 0),
        "themes": Theme.objects.count(),
        "launches_this_quarter": Launch.objects.filter(target_date__gte=start, target_date__lt=end).count(),
        "week_ago": week_ago.isoformat(),
    }
    return data, feedback["total"]


def volume_by_category(*, now: datetime) -> tuple[dict, int]:
    """Items received per month and category over the last twelve months (this month included)."""
    months = month_starts(until=timezone.localdate(now), count=VOLUME_MONTHS)
    since = timezone.make_aware(datetime.combine(months[0], datetime.min.time()))
    rows = (
        FeedbackItem.objects.filter(received_at__gte=since)
        .annotate(month=TruncMonth("received_at"))
        .values_list("month", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    for month, category, n in rows:
        counts[category or ""][timezone.localdate(month).replace(day=1).isoformat()] += n
    labels = [month.isoformat() for month in months]
    series = [
        {"category": value, "label": label, "counts": [counts[value][m] for m in labels]}
        for value, label in [*Category.choices, ("", "Untriaged")]
        if counts.get(value)
    ]
    total = sum(sum(entry["counts"]) for entry in series)
    return {"months": labels, "since": since.isoformat(), "series": series}, total


def top_themes() -> tuple[dict, int]:
    """The ten themes with the most ARR impacted, with ARR at risk and their rollups' age."""
    themes = list(
        Theme.objects.by_arr_impact().values(
            "id",
            "name",
            "status",
            "feedback_count",
            "unique_customers",
            "arr_impacted",
            "arr_at_risk",
            "rollups_refreshed_at",
        )[:TOP]
    )
    rows = [
        {
            **theme,
            "arr_impacted": float(theme["arr_impacted"]),
            "arr_at_risk": float(theme["arr_at_risk"]),
            "rollups_refreshed_at": theme["rollups_refreshed_at"].isoformat()
            if theme["rollups_refreshed_at"]
            else None,
        }
        for theme in themes
    ]
    return {"rows": rows, "themes_total": Theme.objects.count()}, sum(theme["feedback_count"] for theme in themes)


def churn_signals(*, now: datetime) -> tuple[dict, int]:
    """Churn-signal feedback of the last 90 days, and the at-risk accounts with the most ARR."""
    since = now - timedelta(days=CHURN_WINDOW_DAYS)
    recent = FeedbackItem.objects.filter(category=Category.CHURN_SIGNAL, received_at__gte=since)
    signals = recent.count()
    per_account = dict(recent.exclude(customer=None).values_list("customer").annotate(n=Count("id")).order_by())
    accounts = list(
        Customer.objects.at_risk()
        .order_by("-arr", "id")
        .values(
            "id",
            "name",
            "arr",
            "tier",
            "lifecycle_stage",
            "health_score",
            "renewal_date",
            "account_owner__first_name",
            "account_owner__last_name",
            "account_owner__username",
            "account_owner",
        )[:TOP]
    )
    rows = [
        {
            "id": account["id"],
            "name": account["name"],
            "arr": float(account["arr"]),
            "tier": account["tier"],
            "lifecycle_stage": account["lifecycle_stage"],
            "health_score": account["health_score"],
            "renewal_date": account["renewal_date"].isoformat() if account["renewal_date"] else None,
            "owner": " ".join(filter(None, [account["account_owner__first_name"], account["account_owner__last_name"]]))
            or account["account_owner__username"]
            or "",
            "churn_signals": per_account.get(account["id"], 0),
            "owner_id": account["account_owner"],
        }
        for account in accounts
    ]
    data = {"signals": signals, "accounts_signalling": len(per_account), "since": since.isoformat(), "rows": rows}
    return data, signals


def launches_this_quarter(*, today: date) -> tuple[dict, int]:
    """Launches whose target date falls in this quarter, with their checklist progress."""
    start, end = quarter_bounds(today)
    launches = list(
        Launch.objects.filter(target_date__gte=start, target_date__lt=end)
        .order_by("target_date", "id")
        .annotate(
            items_total=Count("checklist_items"),
            items_done=Count("checklist_items", filter=Q(checklist_items__done_at__isnull=False)),
        )
        .values("id", "name", "status", "launch_type", "team", "target_date", "items_total", "items_done")
    )
    rows = [{**launch, "target_date": launch["target_date"].isoformat()} for launch in launches]
    return {"start": start.isoformat(), "end": end.isoformat(), "rows": rows}, len(rows)


def coverage() -> tuple[dict, int]:
    """Feedback items and customers per segment value, for each coverage dimension (flagged under 15 items).

    Reads one row per customer (feedback counted per customer by the index on customer), not one per item.
    """
    per_customer = dict(
        FeedbackItem.objects.exclude(customer=None).values_list("customer").annotate(n=Count("id")).order_by()
    )
    per_value = {  # one GROUP BY per dimension stored on the item (product, maturity)
        key: dict(FeedbackItem.objects.values_list(key).annotate(n=Count("id")).order_by())
        for key, _, _, source in COVERAGE_DIMENSIONS
        if source == "feedback"
    }
    customer_fields = [field for _, _, _, field in COVERAGE_DIMENSIONS if field != "feedback"]
    items: dict[str, Counter] = defaultdict(Counter)
    customers: dict[str, Counter] = defaultdict(Counter)
    for customer_id, *values in (
        Customer.objects.filter(id__in=list(per_customer)).values_list("id", *customer_fields).iterator(chunk_size=5000)
    ):
        for field, value in zip(customer_fields, values, strict=True):
            items[field][value] += per_customer[customer_id]
            customers[field][value] += 1
    dimensions = []
    for key, label, choices, source in COVERAGE_DIMENSIONS:
        counts = per_value[key] if source == "feedback" else items[source]
        segments = [
            {
                "value": value,
                "label": text,
                "items": counts.get(value, 0),
                "customers": customers[source].get(value) if source != "feedback" else None,
                "flag": counts.get(value, 0) < COVERAGE_MIN_DATA_POINTS,
            }
            for value, text in choices.choices
        ]
        dimensions.append({"key": key, "label": label, "segments": segments, "on": source})
    total = sum(per_value["product"].values())
    return {
        "dimensions": dimensions,
        "minimum": COVERAGE_MIN_DATA_POINTS,
        "with_customer": sum(per_customer.values()),
    }, total
