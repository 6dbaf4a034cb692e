"""Processing stored webhook deliveries: through the source's connector into ingest, enrichment or the loop.

``process_delivery`` is idempotent: only a queued delivery is processed, under a row lock (a second worker given the
same id skips it), and everything it writes happens in one transaction with the status change. Ingestion itself is
idempotent on ``(source, source_id)``, so even a delivery processed again after a manual reset adds nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, is_dataclass
from datetime import timedelta

from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from customers.services import update_enrichment
from integrations.choices import DeliveryStatus
from integrations.connectors import ConnectorError, connector_for
from integrations.models import WebhookDelivery
from launches import services as launch_services
from themes import services as theme_services

logger = logging.getLogger(__name__)

NEVER_STARTED_AFTER = timedelta(minutes=2)  # queued, never tried: the broker lost it (or no worker ran)
STUCK_AFTER = timedelta(hours=1)  # queued still, past every retry's backoff: the retry was lost


class RetryLater(Exception):
    """Processing failed for a reason that may pass (the vendor down, a lock): the task retries."""


def _plain(result) -> dict | str:
    """An ingest result as JSON: its API line (``ItemResult.as_dict``), else its plain fields."""
    if hasattr(result, "as_dict"):
        return result.as_dict()
    fields = asdict(result) if is_dataclass(result) else getattr(result, "__dict__", result)
    if not isinstance(fields, dict):
        return str(result)
    return {key: value for key, value in fields.items() if isinstance(value, str | int | float | bool | None)}


def handle(delivery: WebhookDelivery) -> dict:
    """Do what the delivery asks; returns what was done (empty: nothing to take in)."""
    connector = connector_for(delivery.source)
    records = connector.webhook_items(delivery.payload, event=delivery.event)
    if delivery.source == "crm":
        report = update_enrichment(rows=records)
        return {"accounts_updated": report.updated, "accounts_unchanged": report.unchanged, "errors": report.errors}
    done: dict = {}
    if records:
        from integrations.ingest import ingest_items  # the ingest service (integrations.ingest)

        results = ingest_items(items=records, received_via=f"webhook:{delivery.source}")
        done["items"] = [_plain(result) for result in results]
    if change := connector.tracker_change(delivery.payload, event=delivery.event):
        themes = theme_services.tracker_issue_changed(key=change.key, state=change.state)
        launches = launch_services.tracker_issue_changed(key=change.key, state=change.state)
        done["tracker"] = {
            "key": change.key,
            "state": change.state,
            "themes_moved": [theme.pk for theme in themes],
            "launches": [launch.pk for launch in launches],
        }
    return done


def rejections(done: dict) -> str:
    """What ingestion refused in a processed delivery, one line per item (blank when it took everything)."""
    refused = [item for item in done.get("items", []) if isinstance(item, dict) and item.get("status") == "rejected"]
    return "\n".join(f"{item.get('source_id') or item.get('index')}: {item.get('reason', '')}" for item in refused)


def process_delivery(*, delivery_id: int, final_attempt: bool = True) -> str:
    """Process one queued delivery; returns its status afterwards ("skipped" when it was not queued or is busy).

    A failure that may pass raises ``RetryLater`` (the delivery stays queued) unless this is the final attempt;
    any other failure marks the delivery failed with the error, for a person to look at.
    """
    try:
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(pk=delivery_id, status=DeliveryStatus.QUEUED)
                .first()
            )
            if delivery is None:
                return "skipped"
            done = handle(delivery)
            delivery.status = DeliveryStatus.PROCESSED if done else DeliveryStatus.IGNORED
            delivery.result, delivery.error = done, rejections(done)
            delivery.attempts += 1
            delivery.processed_at = timezone.now()
            delivery.save(update_fields=["status", "result", "error", "attempts", "processed_at"])
            return delivery.status
    except Exception as exc:
        retry = not final_attempt and (
            (isinstance(exc, ConnectorError) and exc.retryable) or isinstance(exc, OperationalError)
        )
        logger.warning("webhook delivery %s failed (%s): %s", delivery_id, "retrying" if retry else "final", exc)
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
            attempts=F("attempts") + 1,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            status=DeliveryStatus.QUEUED if retry else DeliveryStatus.FAILED,
        )
        if retry:
            raise RetryLater(str(exc)) from exc
        return DeliveryStatus.FAILED


def waiting_deliveries(*, limit: int = 500) -> list[int]:
    """Queued deliveries nobody is working on: never tried after ``NEVER_STARTED_AFTER``, or stuck past retries."""
    now = timezone.now()
    waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.QUEUED).filter(
        Q(attempts=0, received_at__lt=now - NEVER_STARTED_AFTER) | Q(received_at__lt=now - STUCK_AFTER)
    )
    return list(waiting.order_by("received_at").values_list("pk", flat=True)[:limit])
