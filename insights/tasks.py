"""Insights background jobs (thin: they call services)."""

from celery import shared_task

from insights import services


@shared_task(ignore_result=True, expires=540)
def refresh_dashboard() -> list[str]:
    """Periodic (every 10 minutes): recompute the dashboard's figures."""
    return services.refresh_dashboard()
