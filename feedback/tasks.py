"""Feedback background jobs (thin: they call ``feedback.services``, ``feedback.triage`` and ``feedback.training``)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection

from ai.providers import get_provider
from ai.providers.base import ProviderUnavailable
from feedback import services, training, triage

EMBED_LOCK_KEY = 0x454D4244  # "EMBD": the advisory lock one embedding backfill holds while it runs
# Worth another try later: the database went away or was restarted, the provider did not answer.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ProviderUnavailable)


@shared_task(
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def triage_items(item_ids: list[int], force: bool = False) -> int:
    """Triage the given items (``feedback.triage.triage_items``); idempotent: a re-delivered message triages nothing
    twice. Returns the items triaged."""
    return triage.triage_items(item_ids=item_ids, force=force).triaged


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def triage_untriaged() -> int:
    """Periodic (every minute): triage the oldest items still untriaged (``feedback.triage.untriaged_backlog``)."""
    return triage.triage_items(item_ids=triage.untriaged_backlog()).triaged


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def embed_pending(batch_size: int = 64) -> int:
    """Periodic (every 5 minutes): embed the triaged items with no vector of their current text (edited, or all of them
    after a provider switch), with the configured provider; new items are left to their triage. Idempotent. One run at
    a time (a session advisory lock, gone with a dead worker's connection): a run that finds another in progress
    returns 0 at once instead of embedding the same items beside it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [EMBED_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return 0
    try:
        return services.embed_pending(provider=get_provider(), batch_size=batch_size, leave_to_triage=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [EMBED_LOCK_KEY])


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def retrain_classifier() -> str:
    """Periodic (daily): retrain the offline classifier on the seed set and the PMs' corrections, if any changed."""
    return training.retrain_classifier().message
