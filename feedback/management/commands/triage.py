"""``manage.py triage``: triage feedback in bulk (a backfill, or again after a provider or classifier change).

    manage.py triage                      # the items never triaged
    manage.py triage --since 2026-11-01   # the items received since that day (not triaged yet, unless --force)
    manage.py triage --all --force        # every item, again (fields a person set are still kept)

Items are read in id order in chunks and triaged in batches through ``feedback.triage.triage_items`` (the rule the
Celery task runs), with a progress bar; a run that stops keeps what it did, and the next run goes on from there.
"""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as day_start

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from ai.providers import get_provider
from feedback import triage
from feedback.models import FeedbackItem

CHUNK = 1024


class Command(BaseCommand):
    help = "Triage feedback items with the configured AI provider (idempotent; --force triages again)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", dest="every", action="store_true", help="Every item, not only the untriaged ones.")
        which.add_argument("--since", metavar="DATE", help="Items received on or after DATE (YYYY-MM-DD).")
        parser.add_argument("--force", action="store_true", help="Triage again items triaged already.")
        parser.add_argument("--limit", type=int, help="Stop after this many items.")

    def handle(self, *args, every: bool, since: str | None, force: bool, limit: int | None, **options):
        items = FeedbackItem.objects.all()
        if since:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError as error:
                raise CommandError(f"--since wants a date as YYYY-MM-DD, got {since!r}.") from error
            items = items.filter(received_at__gte=timezone.make_aware(datetime.combine(day, day_start.min)))
        if not force:
            items = items.untriaged()
        elif not (every or since):
            raise CommandError("--force triages items again: say which with --all or --since DATE.")
        total = items.count() if limit is None else min(limit, items.count())
        loading = time.perf_counter()
        provider = get_provider()
        provider.embed(["warm-up"])  # the model loads before the clock starts, as in a running worker
        triage.use_active_classifier(provider)
        self.stderr.write(f"Model loaded in {time.perf_counter() - loading:.1f} s; {total:,} item(s) to triage.")
        started, done, last_id = time.perf_counter(), 0, 0
        totals = triage.TriageRun()
        with tqdm(total=total, unit="item", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            while done < total:
                ids = list(
                    items.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[: min(CHUNK, total - done)]
                )
                if not ids:
                    break
                run = triage.triage_items(item_ids=ids, force=force, provider=provider)
                for name in ("applied", "shadow", "needs_review", "skipped", "embedded"):
                    setattr(totals, name, getattr(totals, name) + getattr(run, name))
                done, last_id = done + len(ids), ids[-1]
                bar.update(len(ids))
        seconds = time.perf_counter() - started
        rate = totals.triaged / seconds if seconds else 0.0
        self.stdout.write(
            f"Triaged {totals.triaged:,} item(s) in {seconds:.1f} s ({rate:,.0f} items/s): {totals.applied:,} applied, "
            f"{totals.shadow:,} shadow, {totals.needs_review:,} need a person; {totals.embedded:,} embedded, "
            f"{totals.skipped:,} skipped."
        )
