"""The connectors' incremental sync (every 15 minutes, ``integrations.tasks.sync_connectors``): what webhooks missed.

Webhooks bring feedback as it happens; the sync catches what they did not (a delivery the vendor dropped, a source
with no webhook configured, an outage of the hub). For each configured connector it pulls ``fetch_since(last
successful sync − OVERLAP)`` and hands the records to ingestion (``integrations.ingest.ingest_items``, idempotent on
``(source, source_id)``: the overlap re-reads a few minutes and adds nothing twice) — or, for the CRM, to the
account enrichment (``customers.services.update_enrichment``), as its webhook does.

- State: one ``ConnectorSync`` row per source (last start, end, status, error, counts; the admin shows them). The
  watermark ``synced_until`` is the *start* of the last successful sync, so records changed while it ran are read
  again next time; it does not move on a failure, so the next run catches up.
- The first sync of a source has no watermark: it reads everything (the backfill, like ``manage.py fetch_feedback``).
- One source failing never stops another: each source is its own task, and its error is stored on its row.
- Two workers never sync one source at once: a sync holds a PostgreSQL session advisory lock on the source's row,
  released when it ends or when its worker's connection dies (a killed worker leaves no lock behind).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from customers.services import update_enrichment
from feedbackhub.advisory_lock import advisory_lock
from integrations.choices import SyncStatus
from integrations.connectors import CONNECTORS, connector_for
from integrations.ingest import REJECTED, ingest_items
from integrations.models import ConnectorSync

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)  # re-read before the watermark: vendor clocks and search indexes lag a little
LOCK_NAMESPACE = 0x5359  # "SY": the first key of the advisory lock a running sync holds (the second is its row id)
MAX_REJECTIONS_KEPT = 20  # rejected records listed on the row (the counts cover them all)
MAX_PROBLEM_LENGTH = 300  # characters of each listed rejection (a vendor's id can be long)
BUSY = "busy"
# What a source needs besides a token and an API address before it can be synced (an empty list reads nothing).
REQUIRED_OPTIONS = {"zendesk": ("email",), "slack": ("channels",), "github": ("repositories",)}


@dataclass
class SyncOutcome:
    """What one sync of one source did: its status (``SyncStatus``, or ``busy`` when another worker held it)."""

    source: str
    status: str
    result: dict = field(default_factory=dict)
    error: str = ""


def is_configured(source: str) -> bool:
    """Whether ``settings.CONNECTORS`` gives ``source`` what a sync needs: a token, an API address, its options."""
    options = settings.CONNECTORS.get(source, {})
    connector = connector_for(source)
    return bool(connector.token and connector.base_url) and all(
        options.get(name) for name in REQUIRED_OPTIONS.get(source, ())
    )


def configured_sources() -> list[str]:
    """The sources the 15-minute sync pulls from, in a stable order."""
    return [source for source in sorted(CONNECTORS) if is_configured(source)]


def sync_connector(*, source: str) -> SyncOutcome:
    """Pull what changed at ``source`` since its last successful sync (less ``OVERLAP``) and take it in.

    Any failure (the vendor refusing or down, a record ingestion cannot store) is recorded on the source's row and
    returned, never raised: the next scheduled run tries again from the same watermark. ``busy`` when another worker
    is syncing the source right now.
    """
    state, _ = ConnectorSync.objects.get_or_create(source=source)
    with _sync_lock(state.pk) as held:
        if not held:
            log.info("Sync of %s skipped: another worker is running it.", source)
            return SyncOutcome(source=source, status=BUSY)
        state.refresh_from_db()  # the run that held the lock before may have moved the watermark
        started = timezone.now()
        since = state.synced_until - OVERLAP if state.synced_until else None
        ConnectorSync.objects.filter(pk=state.pk).update(last_started_at=started)
        try:
            records = connector_for(source).fetch_since(since)
            result = _take_in(source, records)
        except Exception as error:  # noqa: BLE001 - stored on the row for the admin; the next run tries again
            message = f"{type(error).__name__}: {error}"[:2000]
            log.warning("Sync of %s failed: %s", source, message, exc_info=True)
            ConnectorSync.objects.filter(pk=state.pk).update(
                last_finished_at=timezone.now(),
                last_status=SyncStatus.FAILED,
                last_error=message,
                last_result={},
                failures=F("failures") + 1,
            )
            return SyncOutcome(source=source, status=SyncStatus.FAILED, error=message)
        ConnectorSync.objects.filter(pk=state.pk).update(
            synced_until=started,
            last_finished_at=timezone.now(),
            last_status=SyncStatus.SUCCEEDED,
            last_error="",
            last_result=result,
            failures=0,
        )
        return SyncOutcome(source=source, status=SyncStatus.SUCCEEDED, result=result)


def _take_in(source: str, records: list) -> dict:
    """Hand the fetched records to ingestion (or, for the CRM, to the enrichment); what became of them."""
    if source == "crm":
        report = update_enrichment(rows=records)
        return {
            "fetched": len(records),
            "updated": report.updated,
            "unchanged": report.unchanged,
            "problems": [
                f"row {number}: {message}"[:MAX_PROBLEM_LENGTH]
                for number, message in report.errors[:MAX_REJECTIONS_KEPT]
            ],
        }
    results = ingest_items(items=records, received_via=f"sync:{source}")
    counts = {status: sum(1 for result in results if result.status == status) for status in ("created", "updated")}
    rejected = [result.as_dict() for result in results if result.status == REJECTED]
    problems = [
        f"{line['source_id'][:80] or line['index']}: {line['reason']}" for line in rejected[:MAX_REJECTIONS_KEPT]
    ]
    return {
        "fetched": len(records),
        **counts,
        "rejected": len(rejected),
        "problems": [problem[:MAX_PROBLEM_LENGTH] for problem in problems],
    }


def _sync_lock(row_id: int):
    """A source's sync row: one worker syncs it at a time (``feedbackhub.advisory_lock``)."""
    return advisory_lock(LOCK_NAMESPACE, row_id)
