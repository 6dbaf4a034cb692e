"""Background jobs of technical metrics (issue 11 part 6), imported by ``insights.tasks`` so that Celery registers
them. Thin: the rules live in ``insights.technical_correlation``. The escalation rule ``errors_up_sentiment_down``
needs no task of its own: the hourly ``check_escalations`` evaluates it with the others."""

from celery import shared_task

from insights import technical_correlation

__all__ = ["refresh_technical_correlations"]


@shared_task(name="insights.tasks.refresh_technical_correlations", ignore_result=True, expires=6 * 3600)
def refresh_technical_correlations() -> int:
    """Periodic (daily): the weekly series, their Spearman correlations and the rising-errors list, precomputed into
    the figure "technical:correlations"; returns the correlation rows written."""
    return len(technical_correlation.refresh().data["rows"])
