"""``manage.py evaluate_triage --task {category,sentiment,duplicates,themes} --csv FILE [--provider NAME]``.

Triages (or embeds) a labelled CSV as the hub would, compares with the labels, prints a readable report and, as its
last line, one line of JSON with the figures (always ``n`` and ``seconds``). Each task is a module of
``ai.evaluation`` with ``evaluate(rows, provider) -> (report, figures)``.
"""

from __future__ import annotations

import csv
import importlib
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ai.evaluation import EvaluationError

# The CSV columns each task needs (more columns are ignored).
COLUMNS = {
    "category": ("text", "label"),
    "sentiment": ("text", "sentiment"),
    "duplicates": ("text_a", "text_b", "is_duplicate"),
    "themes": ("text", "cluster"),
}


def read_rows(path: Path, required: tuple[str, ...]) -> list[dict]:
    """The CSV's rows as dicts (UTF-8, with or without a BOM; header names trimmed, case-insensitive)."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
            if not header:
                raise CommandError(f"{path} is empty: expected a header line with {', '.join(required)}")
            missing = [column for column in required if column not in header]
            if missing:
                raise CommandError(
                    f"{path}: missing column(s) {', '.join(missing)}; the header has {', '.join(header)} "
                    f"and this task needs {', '.join(required)}"
                )
            rows = [
                {name: (value or "") for name, value in zip(header, row.values(), strict=False)}
                for row in reader
                if any((value or "").strip() for value in row.values() if isinstance(value, str))
            ]
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text ({error})") from error
    except csv.Error as error:
        raise CommandError(f"{path}: not a readable CSV ({error})") from error
    if not rows:
        raise CommandError(f"{path} has a header but no rows to evaluate")
    return rows


class Command(BaseCommand):
    help = "Measure the AI triage against a labelled CSV; the last line printed is one line of JSON with the figures."

    def add_arguments(self, parser):
        parser.add_argument("--task", required=True, choices=sorted(COLUMNS))
        parser.add_argument("--csv", required=True, type=Path, help="the labelled CSV (UTF-8)")
        parser.add_argument("--provider", default="offline", help="the AI provider to measure (default: offline)")

    def handle(self, *args, task: str, csv: Path, provider: str, **options):
        rows = read_rows(csv, COLUMNS[task])
        try:
            module = importlib.import_module(f"ai.evaluation.{task}")
        except ModuleNotFoundError as error:
            if error.name != f"ai.evaluation.{task}":
                raise
            raise CommandError(
                f"the {task} evaluation is not installed: ai/evaluation/{task}.py with "
                "evaluate(rows, provider) -> (report, figures) is missing"
            ) from error
        from ai.providers import get_provider

        try:
            chosen = get_provider(provider)
        except Exception as error:  # ImproperlyConfigured and friends: say which provider and why
            raise CommandError(f"provider {provider!r}: {error}") from error
        started = time.perf_counter()
        try:
            report, figures = module.evaluate(rows, chosen)
        except EvaluationError as error:
            raise CommandError(f"{csv}: {error}") from error
        figures = {**figures, "task": task, "provider": getattr(chosen, "name", provider)}
        figures.setdefault("n", len(rows))
        figures.setdefault("seconds", round(time.perf_counter() - started, 2))
        self.stdout.write(report)
        self.stdout.write(json.dumps(figures, ensure_ascii=False, sort_keys=False))
