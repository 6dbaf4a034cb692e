"""Background jobs of the KPI dashboard (issue 11, part 3), imported by insights.tasks so that Celery registers them."""

from celery import shared_task

from insights import kpis

__all__ = ["refresh_kpis"]


@shared_task(name="insights.tasks.refresh_kpis", ignore_result=True, expires=kpis.EXPIRE_SECONDS)
def refresh_kpis() -> list[str]:
    """Periodic (every 15 minutes): recompute the KPI dashboard's figures (``insights.kpis.refresh_kpis``); named
    like the other insights jobs (``insights.tasks.*``), which is what the schedule names."""
    return kpis.refresh_kpis()
