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
