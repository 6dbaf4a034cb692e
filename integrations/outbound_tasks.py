"""Outbound automation jobs (thin: they call ``integrations.outbound_delivery`` and ``.outbound``). Registered with
Celery through ``integrations/tasks.py``. Sending is routed to the notifications queue (``feedbackhub.queues``): short
calls to other systems, never behind batch work; opening a rule's dry runs evaluates every item it recorded (tens of
thousands after weeks at 1M items), so it runs on the batch queue with the batch limits, not in the admin's request."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from integrations import outbound, outbound_delivery

__all__ = ["open_dry_runs", "send_due_outbound_actions", "send_outbound_action"]

logger = logging.getLogger(__name__)

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


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def open_dry_runs(rule_id: int, user_id: int | None = None) -> str:
    """Open the issues rule ``rule_id`` recorded as dry runs (``outbound.open_dry_runs``, logged in its admin history
    under ``user_id``). Safe to run again (a message handed out twice after a dead worker): an item whose issue was
    queued counts as ``already``, and a run of the same rule in progress makes this one skip (``busy``). No expiry:
    the person was told the history would say what was opened. Returns how it ended."""
    from django.contrib.auth import get_user_model

    from integrations.models import OutboundRule

    rule = OutboundRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return "missing"
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    try:
        result = outbound.open_dry_runs(rule=rule, user=user)
    except ValidationError as error:  # switched off again since it was asked for: its history says so (the service)
        logger.info("outbound rule %s: dry runs not opened: %s", rule_id, " ".join(error.messages))
        return "off"
    if result is None:
        return "busy"
    return f"{len(result.queued)} queued, {result.already} already, {result.unmatched} unmatched, {result.dry_runs} dry"
