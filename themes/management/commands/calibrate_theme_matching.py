"""Calibrate the cosine a new item needs to join a theme (``THEME_MATCH_THRESHOLDS``) on labelled clusters.

    python manage.py calibrate_theme_matching --csv FILE [--csv FILE ...] [--text data --cluster ground_truth]
        [--where ori_lang=en] [--sample 1000]

Each file's clusters play existing themes (those of 3+ items); each item is held out and matched back to the theme
centres as ``themes.matching`` does. Prints precision, recall and F1 by threshold, per file and pooled, and the lowest
threshold whose pooled precision reaches ``--precision`` (a match is applied without review: precision first).
"""

from __future__ import annotations

import csv
import json
import random

from django.core.management.base import BaseCommand, CommandError

from ai.evaluation.themes import match_scores, matching_table
from ai.providers import get_provider

THRESHOLDS = [round(0.40 + 0.05 * step, 2) for step in range(11)]  # 0.40 .. 0.90


class Command(BaseCommand):
    help = "Calibrate the theme-matching threshold of the configured provider on labelled clusters (CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--csv", action="append", required=True, help="A labelled file; repeat for several.")
        parser.add_argument("--text", default="text", help="Column of the text (default: text).")
        parser.add_argument("--cluster", default="cluster", help="Column of the cluster label (default: cluster).")
        parser.add_argument("--where", action="append", default=[], help="Keep rows where COLUMN=VALUE.")
        parser.add_argument("--split", default="", help="Also treat each value of this column as its own file.")
        parser.add_argument("--sample", type=int, default=0, help="At most this many rows per file (seeded shuffle).")
        parser.add_argument("--precision", type=float, default=0.85, help="Precision the chosen threshold needs.")

    def handle(self, *args, **options):
        provider = get_provider()
        conditions = [condition.split("=", 1) for condition in options["where"]]
        pooled, figures = [], {}
        for path in options["csv"]:
            try:
                with open(path, newline="", encoding="utf-8") as handle:
                    rows = [row for row in csv.DictReader(handle) if all(row.get(k) == v for k, v in conditions)]
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error}") from error
            if options["sample"]:
                random.Random(0).shuffle(rows)
                rows = rows[: options["sample"]]
            groups = {path: rows}
            if options["split"]:
                groups = {
                    f"{path}[{value}]": [r for r in rows if r[options["split"]] == value]
                    for value in sorted({r[options["split"]] for r in rows})
                }
            for name, group in groups.items():
                labelled = [{"text": r[options["text"]], "cluster": r[options["cluster"]]} for r in group]
                scores = match_scores(labelled, provider.embed([row["text"] for row in labelled]))
                pooled += scores
                self._print_table(f"{name} ({len(labelled)} items)", matching_table(scores, THRESHOLDS))
        table = matching_table(pooled, THRESHOLDS)
        self._print_table(f"pooled ({len(pooled)} items)", table)
        chosen = next((row for row in table if row["precision"] >= options["precision"]), table[-1])
        figures = {"provider": provider.name, "n": len(pooled), **chosen}
        self.stdout.write(f"Lowest threshold with precision >= {options['precision']}: {chosen['threshold']}")
        self.stdout.write(json.dumps(figures))

    def _print_table(self, title: str, table: list[dict]) -> None:
        self.stdout.write(title)
        self.stdout.write("  threshold  precision  recall    F1  matched")
        for row in table:
            self.stdout.write(
                f"  {row['threshold']:9.2f}  {row['precision']:9.3f}  {row['recall']:6.3f}  {row['f1']:4.2f}"
                f"  {row['matched']:7d}"
            )
