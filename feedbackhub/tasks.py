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


@shared_task(bind=True, ignore_result=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def process_event(self, event_id: int) -> bool:
    """Run the handlers of one domain event (``feedbackhub.events.process``), retried with backoff when one fails."""
    from feedbackhub import events

    try:
        return events.process(event_id)
    except Exception as error:
        raise self.retry(exc=error, countdown=min(600, 10 * 2**self.request.retries)) from error


@shared_task(ignore_result=True, expires=55)
def process_pending_events() -> int:
    """Periodic (every minute): process the domain events the broker never got, or whose handlers failed."""
    from feedbackhub import events

    return events.process_pending()
