"""``manage.py fetch_feedback <source> [--since 2026-12-01]``: pull a source's feedback through its connector.

The backfill (no ``--since``: everything) or an incremental pull (``fetch_since``), handed to ingestion like any
webhook's items; ingestion is idempotent on (source, source_id), so running it twice adds nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from integrations.connectors import CONNECTORS, ConnectorError, connector_for
from integrations.ingest import ingest_items

FEEDBACK_SOURCES = sorted(set(CONNECTORS) - {"crm"})  # the CRM sync has its own command (sync_crm)


class Command(BaseCommand):
    help = "Fetch a source's feedback through its connector (all of it, or what changed since a date) and ingest it."

    def add_arguments(self, parser):
        parser.add_argument("source", choices=FEEDBACK_SOURCES)
        parser.add_argument("--since", help="ISO date or time (UTC unless it says otherwise); default: everything.")

    def handle(self, *args, source: str, since: str | None = None, **options):
        when = None
        if since:
            try:
                when = datetime.fromisoformat(since.replace("Z", "+00:00"))
            except ValueError:
                raise CommandError(f"--since {since!r} is not an ISO date, e.g. 2026-12-01.") from None
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
        connector = connector_for(source)
        try:
            connector.authenticate()
            items = connector.fetch_since(when)
        except ConnectorError as exc:
            raise CommandError(f"{source}: {exc}") from exc
        results = ingest_items(items=items, received_via=f"connector:{source}")
        counts = {status: sum(r.status == status for r in results) for status in ("created", "updated", "rejected")}
        for result in results:
            if result.status == "rejected":
                self.stdout.write(f"{result.source_id or result.index}: {result.as_dict().get('reason', '')}")
        self.stdout.write(
            f"{source}: {len(items)} fetched, {counts['created']} created, {counts['updated']} updated, "
            f"{counts['rejected']} rejected."
        )
