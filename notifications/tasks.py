"""The outbox's background jobs (thin: they call ``notifications.delivery``)."""

from celery import shared_task

from notifications import delivery


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def deliver(notification_id: int) -> str:
    """Send one notification if it is pending and due; idempotent: a sent, busy or not-yet-due one is left alone.

    Acknowledged late and given back if the worker dies, so a lost worker never loses a message; the claim in
    ``delivery.deliver`` makes the redelivered task skip a message already being sent. A failure is not a task
    retry: the row waits with its backoff and the minute sweep sends it when it is due.
    """
    return delivery.deliver(notification_id)


@shared_task(ignore_result=True, expires=55)
def deliver_due() -> int:
    """Periodic (every minute): deliver what is due — never queued (broker down), backoff over, or a dead worker's."""
    return delivery.deliver_due()


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def write_weekly_digests(period_end: str | None = None) -> list[int]:
    """Weekly (Fridays 16:00 UTC) and from the digests' admin: write and send the week's digests not written yet.

    Idempotent (one digest per week and audience): a worker lost mid-run gives the task back and the rerun writes only
    what is missing. ``period_end``: an ISO date (default: the Thursday before the last Friday).
    """
    from datetime import date

    from notifications import digests

    end = date.fromisoformat(period_end) if period_end else None
    return [digest.pk for digest in digests.write_weekly_digests(end)]
