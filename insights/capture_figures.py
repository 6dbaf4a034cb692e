"""The dashboard's in-product capture panel: thumbs up/down per feature and the searches that found nothing.

Computed by the dashboard job (``insights.services.refresh_dashboard``) from ``CaptureSignal``, the widget's counts
(one row per key, day, kind and feature or query), over the last 30 days; the page reads the stored figure
(``capture_panel``). A search that found nothing is a feature request in the customer's own words (seed 001), so
the queries are listed by how often they were typed; features by how many thumbs they got, with the share down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, Sum
from django.urls import reverse

from integrations.choices import CaptureKind
from integrations.models import CaptureSignal

WINDOW_DAYS = 30
TOP = 10


def capture_signals(*, now: datetime) -> tuple[dict, int]:
    """Thumbs per feature (up, down, share down) and the top zero-result queries of the last 30 days."""
    since = (now - timedelta(days=WINDOW_DAYS)).date()
    recent = CaptureSignal.objects.filter(day__gte=since)
    thumbs = list(
        recent.filter(kind__in=[CaptureKind.THUMBS_UP, CaptureKind.THUMBS_DOWN])
        .values("feature")
        .annotate(
            up=Sum("count", filter=Q(kind=CaptureKind.THUMBS_UP), default=0),
            down=Sum("count", filter=Q(kind=CaptureKind.THUMBS_DOWN), default=0),
        )
        .order_by()
    )
    features = sorted(
        (
            {**row, "total": row["up"] + row["down"], "down_share": round(row["down"] / (row["up"] + row["down"]), 3)}
            for row in thumbs
            if row["up"] + row["down"]
        ),
        key=lambda row: (-row["total"], row["feature"]),
    )[:TOP]
    queries = list(
        recent.filter(kind=CaptureKind.ZERO_RESULTS)
        .values("query")
        .annotate(searches=Sum("count"), days=Count("day", distinct=True), last=Max("last_at"))
        .order_by("-searches", "query")[:TOP]
    )
    rows = [{**row, "last": row["last"].isoformat()} for row in queries]
    total = recent.aggregate(n=Sum("count", default=0))["n"]
    return {"since": since.isoformat(), "features": features, "queries": rows, "window_days": WINDOW_DAYS}, total


def capture_panel(figure) -> dict:
    """The stored figure as the panel shows it: each feature and query linked to its signal rows."""
    changelist = reverse("admin:integrations_capturesignal_changelist")
    data = figure.data
    since = data.get("since", "")
    features = [
        {
            **row,
            "down_percent": round(100 * row["down_share"]),
            "url": f"{changelist}?{urlencode({'q': row['feature']})}",
        }
        for row in data.get("features", [])
    ]
    queries = [
        {**row, "url": f"{changelist}?{urlencode({'kind__exact': CaptureKind.ZERO_RESULTS, 'q': row['query']})}"}
        for row in data.get("queries", [])
    ]
    return {
        "figure": figure,
        "features": features,
        "queries": queries,
        "since": since,
        "window_days": data.get("window_days", WINDOW_DAYS),
        "url": changelist,
        "empty": not features and not queries,
    }
