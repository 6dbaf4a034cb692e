"""``manage.py backfill_vector_filters``: copy each feedback item's customer and product onto its stored vectors
where the copy is missing (vectors stored before migration 0014) or stale (``feedback.vector_filters``).

    manage.py backfill_vector_filters              # every vector, in batches of 5,000 ids
    manage.py backfill_vector_filters --chunk 20000

Idempotent (only rows whose copy differs are written; a second run writes nothing) and safe to run on a live hub:
each batch is its own short transaction. Until it has run, Ask the hub answers a segment or product filter through
the items (correct, slower); afterwards from the vector rows.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from feedback import vector_filters


class Command(BaseCommand):
    help = "Copy items' customer and product onto their vectors where missing or stale (idempotent, batched)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk", type=int, default=vector_filters.CHUNK, help="Vector ids per batch (one transaction each)."
        )

    def handle(self, *args, chunk: int, **options):
        started = time.perf_counter()
        quiet = options["verbosity"] == 0

        def progress(done: vector_filters.Backfill, last_id: int) -> None:
            if not quiet:
                rate = done.checked / max(time.perf_counter() - started, 1e-9)
                self.stdout.write(
                    f"  up to vector id {last_id:,}: {done.checked:,} checked, {done.written:,} written "
                    f"({rate:,.0f} rows/s)"
                )

        done = vector_filters.backfill(chunk=chunk, progress=progress)
        self.stdout.write(
            f"Checked {done.checked:,} vector(s) in {time.perf_counter() - started:.1f} s: {done.written:,} copied "
            f"or repaired, {done.checked - done.written:,} already in step."
        )
