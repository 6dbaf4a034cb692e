"""Insights background jobs (thin: they call services)."""

from celery import shared_task

from insights import escalations, health, services


@shared_task(ignore_result=True, expires=540)
def refresh_dashboard() -> list[str]:
    """Periodic (every 10 minutes): recompute the dashboard's figures."""
    return services.refresh_dashboard()


@shared_task(ignore_result=True, expires=3300)
def check_escalations() -> int:
    """Periodic (hourly): evaluate every enabled escalation rule; returns escalations opened.

    Safe on several workers: one check at a time (an advisory lock; a second returns at once), and one open
    escalation per condition (the database's unique constraint). A run not started within 55 minutes is dropped.
    """
    return escalations.check_all().opened


@shared_task(ignore_result=True, expires=6 * 3600)
def refresh_customer_health() -> dict[str, int]:
    """Periodic (daily): every account's usage signals, then its health score (``insights.health``)."""
    return health.refresh_customer_health()


# Issue 11's jobs live beside their services; importing them here registers them with Celery's autodiscovery.
from insights.journey_tasks import *  # noqa: E402, F403
from insights.kpi_tasks import *  # noqa: E402, F403
from insights.retro_tasks import *  # noqa: E402, F403
from insights.shadow_tasks import *  # noqa: E402, F403
from insights.technical_tasks import *  # noqa: E402, F403
