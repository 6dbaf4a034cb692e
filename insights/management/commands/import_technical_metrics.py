"""`manage.py import_technical_metrics FILE`: technical samples from a CSV export or a saved Prometheus scrape.

    manage.py import_technical_metrics samples.csv [--dry-run]
    manage.py import_technical_metrics scrape.prom [--period 1h]
    manage.py import_technical_metrics scrape.prom --period-start 2026-12-01T10:00Z --period-end 2026-12-01T11:00Z

The format follows the file's ending (``.csv``; ``.prom``/``.txt``/anything else: Prometheus text format), or
``--format``. The columns and the metric names read are in ``insights.technical_files``.

**Per valid line, not all or nothing**: each sample stands alone, as in an API batch; the valid ones are stored
(an upsert: re-running the same file changes nothing, and a fixed file can simply be imported again) and every bad
line is listed with its number and reason. The command then ends with an error status when any line was rejected, so
a script notices. A wrong header or an unreadable file is refused before anything is stored. ``--dry-run`` checks
every line and stores nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from insights import technical, technical_files
from insights.choices import SampleSource

CHUNK = 1_000
DURATION = re.compile(r"^(\d+)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def moment(text: str):
    value = parse_datetime(text.strip().replace("Z", "+00:00"))
    if value is None or value.tzinfo is None:
        raise CommandError(f"“{text}” is not an ISO 8601 date and time with its time zone (e.g. 2026-12-01T10:00Z).")
    return value


def duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"“{text}” is not a period like 15m, 1h or 1d.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Import technical metrics (requests, errors, latency per account and product) from a CSV or Prometheus file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "prometheus"], help="Default: by the file's ending.")
        parser.add_argument("--period-start", help="Prometheus: the period of every line (with --period-end).")
        parser.add_argument("--period-end", help="Prometheus: the end of that period.")
        parser.add_argument(
            "--period",
            default="1h",
            help="Prometheus without --period-*: each line's timestamp ends a period this long (15m, 1h, 1d).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every line; store nothing.")

    def handle(self, *args, file: Path, format: str | None, dry_run: bool, verbosity: int, **options):
        kind = format or ("csv" if file.suffix.lower() == ".csv" else "prometheus")
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file.name}: cannot read it as a UTF-8 text file ({error}).") from error
        try:
            if kind == "csv":
                parsed, source = technical_files.parse_csv(text), SampleSource.CSV
            else:
                start, end = options["period_start"], options["period_end"]
                parsed = technical_files.parse_prometheus(
                    text,
                    period_start=moment(start) if start else None,
                    period_end=moment(end) if end else None,
                    period=duration(options["period"]),
                )
                source = SampleSource.PROMETHEUS
        except technical_files.FileFormatError as error:
            raise CommandError(f"{file.name}: {error}") from error
        problems = [str(error) for error in parsed.errors]
        counts = dict.fromkeys(technical.STATES, 0)
        with tqdm(
            total=len(parsed.items), desc=file.name, unit="sample", file=self.stderr._out, disable=verbosity == 0
        ) as bar:
            for offset in range(0, len(parsed.items), CHUNK):
                items, lines = parsed.items[offset : offset + CHUNK], parsed.lines[offset : offset + CHUNK]
                for result in technical.record_samples(items=items, source=source, lines=lines, write=not dry_run):
                    counts[result.status] += 1
                    if result.status == technical.REJECTED:
                        problems.append(f"{result.line}: {result.reason}")
                bar.update(len(items))
        for problem in problems:
            self.stdout.write(problem)
        verb = "would be stored" if dry_run else "stored"
        self.stdout.write(
            f"{file.name}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged "
            f"({verb}); {len(problems)} line(s) rejected; {parsed.skipped} skipped (other metrics, blank lines)."
        )
        if problems:
            raise CommandError(
                f"{len(problems)} line(s) rejected (the valid ones were {verb}): fix them and import again."
            )
