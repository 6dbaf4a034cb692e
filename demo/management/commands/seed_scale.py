"""`manage.py seed_scale --feedback N --customers N`: bulk scale data for benchmarks, loaded with COPY.

Development and benchmarks only: refuses when DEBUG is off.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from demo import safety, scale


class Command(BaseCommand):
    help = (
        "Bulk-load scale data for benchmarks with PostgreSQL COPY in one transaction: customers, feedback (with "
        "duplicates and theme links) and themes. Indexes are dropped during the load and rebuilt afterwards. "
        "Development and benchmarks only (DEBUG on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--feedback", type=int, default=0, help="Feedback items to insert (e.g. 1000000).")
        parser.add_argument(
            "--customers",
            type=int,
            default=0,
            help="Customers to insert (e.g. 50000); with 0, feedback goes to the existing customers.",
        )
        parser.add_argument(
            "--batch", type=int, default=50_000, help="Feedback rows per generated chunk and COPY (default 50000)."
        )
        parser.add_argument(
            "--themes", type=int, default=200, help="Themes to create and link feedback to (default 200)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: same seed and batch, same content (ids stay unique)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes generating feedback (default: one per CPU; 0 generates in this process).",
        )

    def handle(self, *args, feedback: int, customers: int, batch: int, themes: int, seed: int, workers: int, **options):
        safety.require_development(safety.SCALE_REFUSED)
        self.validate(feedback=feedback, customers=customers, batch=batch, themes=themes, workers=workers)
        verbosity = options.get("verbosity", 1)
        try:
            report = scale.seed_scale(
                feedback=feedback,
                customers=customers,
                themes=themes,
                batch=batch,
                seed=seed,
                workers=workers,
                progress=verbosity >= 1,
                log=self.log if verbosity >= 1 else lambda message: None,
            )
        except KeyboardInterrupt:
            message = "Interrupted: the transaction was rolled back, nothing was written."
            raise CommandError(message, returncode=130) from None
        seconds = report.total_seconds
        rows = report.customers + report.feedback + report.links
        self.stdout.write(
            self.style.SUCCESS(
                f"Inserted {report.customers:,} customers, {report.feedback:,} feedback items "
                f"({report.duplicates:,} duplicates), {report.themes:,} themes and {report.links:,} theme links "
                f"in {seconds:.1f} s (run token {report.token})."
            )
        )
        timings = ", ".join(f"{name} {value:.1f} s" for name, value in report.timings.items())
        self.stdout.write(f"Phases: {timings}.")
        load = report.timings.get("feedback", 0.0)
        if report.feedback and load:
            self.stdout.write(f"Feedback COPY: {report.feedback / load:,.0f} rows/s.")
        if seconds:
            self.stdout.write(f"Overall, indexes and commit included: {rows / seconds:,.0f} rows/s.")

    def log(self, message: str) -> None:
        """Print a progress line now (the progress bars write to stderr in between)."""
        self.stdout.write(message)
        self.stdout.flush()

    @staticmethod
    def validate(*, feedback: int, customers: int, batch: int, themes: int, workers: int) -> None:
        """Refuse arguments that cannot work, saying what to pass instead."""
        counts = (("--feedback", feedback), ("--customers", customers), ("--themes", themes), ("--workers", workers))
        for name, value in counts:
            if value < 0:
                raise CommandError(f"{name} must be 0 or a positive whole number (got {value}).")
        if batch <= 0:
            raise CommandError(f"--batch must be a positive whole number of rows per COPY (got {batch}), e.g. 50000.")
        if not feedback and not customers:
            raise CommandError("Nothing to do: pass --feedback N and/or --customers N (e.g. --feedback 1000000).")
        if feedback and not customers and not Customer.objects.exists():
            raise CommandError(
                "There are no customers to attach feedback to: pass --customers N (e.g. --customers 50000) "
                "or load the demo first (manage.py load_demo)."
            )
