"""The admin home page's dashboard (unfold's DASHBOARD_CALLBACK): reads precomputed figures only."""

from __future__ import annotations

import logging

from insights import selectors

log = logging.getLogger(__name__)
QUEUED_FOR = 120  # seconds during which further page views do not queue another refresh


def dashboard_callback(request, context: dict) -> dict:
    """Add the dashboard to the admin index's context; ask the job for figures if none exist yet."""
    dashboard = selectors.dashboard(user=request.user)
    if not dashboard["ready"]:
        _ask_for_figures()
    context["dashboard"] = dashboard
    return context


def _ask_for_figures() -> None:
    """Queue a refresh (a fresh install before its first scheduled run); a broker outage only delays it."""
    from django.core.cache import cache

    from insights.tasks import refresh_dashboard

    try:
        if cache.add("insights:dashboard-refresh-queued", True, timeout=QUEUED_FOR):  # once, however many reloads
            refresh_dashboard.apply_async(expires=540, retry=False)
    except Exception:  # noqa: BLE001 - the page must render while Redis is down; beat retries on schedule
        log.warning("Could not queue the dashboard refresh; the scheduled job will compute the figures.", exc_info=True)
