"""The hub's background jobs (thin: they call ``feedbackhub.sheet_jobs``)."""

from celery import shared_task

from feedbackhub import sheet_jobs


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_sheet_job(job_id: int) -> str:
    """Run one spreadsheet export or import; idempotent: a job that is over, or running elsewhere, is left alone."""
    return sheet_jobs.run_job(job_id=job_id)


@shared_task(ignore_result=True, expires=55)
def requeue_sheet_jobs() -> int:
    """Periodic (every minute): send again the jobs the broker never got, or whose worker died."""
    return sheet_jobs.requeue_waiting_jobs()
