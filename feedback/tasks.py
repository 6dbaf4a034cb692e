"""Feedback background jobs (thin: they call ``feedback.services``)."""

from celery import shared_task

from ai.providers import get_provider
from feedback import services


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def triage_items(item_ids: list[int]) -> int:
    """Triage the given items as far as the hub can today (``services.triage_items``); idempotent."""
    return services.triage_items(item_ids=item_ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def embed_pending(batch_size: int = 64) -> int:
    """Embed the items with no vector of their current text, with the configured provider; idempotent."""
    return services.embed_pending(provider=get_provider(), batch_size=batch_size)
