"""Outbound automation jobs (thin: they call ``integrations.outbound_delivery``). Registered with Celery through
``integrations/tasks.py``; routed to the notifications queue (``feedbackhub.queues``): short calls to other systems,
never behind batch work."""

from celery import shared_task

from integrations import outbound_delivery

__all__ = ["send_due_outbound_actions", "send_outbound_action"]

SWEEP_EXPIRES = 55  # a sweep not started within the minute is dropped: the next one does the work


@shared_task(ignore_result=True, acks_late=True)
def send_outbound_action(action_id: int) -> str:
    """Send one outbound action if it is due (idempotent: one already sent, or in another worker's hands, is skipped);
    a failure is recorded on the row with its backoff — the sweep retries it, not Celery."""
    return outbound_delivery.deliver(action_id)


@shared_task(ignore_result=True, expires=SWEEP_EXPIRES)
def send_due_outbound_actions() -> int:
    """Periodic (every minute): send the pending actions whose time has come (never queued, backoff over, a dead
    worker's lease over); returns how many were sent."""
    return outbound_delivery.deliver_due()
