"""Integration background jobs (thin: they call ``integrations.deliveries``, ``.ingest`` and ``.sync``)."""

from celery import shared_task

from integrations import deliveries

MAX_RETRIES = 6  # backoff 1, 2, 4 … 64 s (jittered, capped at 10 min): a vendor's short outage passes
SYNC_EXPIRES = 14 * 60  # a source's sync not started before the next 15-minute run is dropped: that run does it


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(deliveries.RetryLater,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_RETRIES,
)
def process_delivery(self, delivery_id: int) -> str:
    """Process one stored webhook delivery (idempotent: a delivery no longer queued is skipped)."""
    return deliveries.process_delivery(delivery_id=delivery_id, final_attempt=self.request.retries >= MAX_RETRIES)


@shared_task(ignore_result=True, expires=55)
def requeue_waiting_deliveries() -> int:
    """Periodic (every minute): send again the deliveries left queued (broker lost them, or a retry was lost)."""
    ids = deliveries.waiting_deliveries()
    for delivery_id in ids:
        process_delivery.delay(delivery_id)
    return len(ids)


@shared_task(ignore_result=True, expires=55)
def send_pending_triage() -> int:
    """Periodic (every minute): queue for triage the ingested items whose message never reached the broker."""
    from integrations import ingest

    return ingest.send_pending_triage()


@shared_task(ignore_result=True)
def sync_connectors() -> list[str]:
    """Periodic (every 15 minutes): one ``sync_connector`` task per configured connector, so a slow or failing
    source never holds up the others; returns the sources queued."""
    from integrations import sync

    sources = sync.configured_sources()
    for source in sources:
        sync_connector.apply_async((source,), expires=SYNC_EXPIRES)
    return sources


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def sync_connector(source: str) -> str:
    """Pull what changed at ``source`` since its last successful sync and ingest it (``integrations.sync``); safe on
    several workers (one runs it, the others answer ``busy``). Returns how it ended."""
    from integrations import sync

    return sync.sync_connector(source=source).status


# Issue 13's outbound jobs live beside their services; importing them here registers them with Celery's autodiscovery.
from integrations.community_tasks import *  # noqa: E402, F403  (and the community listening jobs, likewise)
from integrations.outbound_tasks import *  # noqa: E402, F403
