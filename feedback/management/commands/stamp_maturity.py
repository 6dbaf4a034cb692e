"""``manage.py stamp_maturity``: stamp the feedback maturity (``feedback.maturity``) of the items stored before it was
stamped at capture, or again after customers' start dates or usage data were corrected.

    manage.py stamp_maturity              # every item; only those whose stamp changes are written
    manage.py stamp_maturity --limit 1000

Items are read in id order in chunks of ``CHUNK``: one query reads a chunk, one stamps it (``stamp_many``), one
writes the items whose stamp differs from the stored one. Idempotent: a second run writes nothing. A run that stops
keeps what it wrote.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from feedback.maturity import STAMP_FIELDS, stamp_items
from feedback.models import FeedbackItem

CHUNK = 1000


class Command(BaseCommand):
    help = "Stamp the time and usage maturity of stored feedback items (idempotent: unchanged items are not written)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="Stop after this many items.")
        parser.add_argument("--chunk", type=int, default=CHUNK, help=f"Items per batch (default {CHUNK}).")

    def handle(self, *args, limit: int | None, chunk: int, **options):
        items = FeedbackItem.objects.order_by("pk")
        total = items.count() if limit is None else min(limit, items.count())
        started, done, written, last_id = time.perf_counter(), 0, 0, 0
        with tqdm(total=total, unit="item", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            while done < total:
                batch = list(
                    items.filter(pk__gt=last_id).only("pk", "received_at", "customer_id", "feature", *STAMP_FIELDS)[
                        : min(chunk, total - done)
                    ]
                )
                if not batch:
                    break
                written += stamp_items(batch)
                done, last_id = done + len(batch), batch[-1].pk
                bar.update(len(batch))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Checked {done:,} item(s) in {seconds:.1f} s: {written:,} stamped, {done - written:,} already up to date."
        )
