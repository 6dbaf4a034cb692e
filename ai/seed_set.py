"""The shipped labelled seed: mini-bar's Garmin Connect reviews in English and French (MIT; ``ai/seed/README.md``).

One reader for every model trained on it (the classifier, the sentiment scorer, their seed vectors), so the rows are
always read in the same order and labelled by the same rule.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent / "seed"
SEED_FILES = ("minibar_garmin_connect.en.csv", "minibar_garmin_connect.fr.csv")
OTHER = "other"  # "neither a bug nor a request": the classifier's bucket, always refined
FLAGS = ("problem_report", "feature_request", "irrelevant")


def seed_rows() -> Iterator[dict[str, str]]:
    """Every review of the seed files, in file order (the order ``classifier.seed_vectors()`` is aligned with)."""
    for name in SEED_FILES:
        with open(SEED_DIR / name, encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)


def category_label(row: dict[str, str]) -> str | None:
    """bug, feature_request or other from the row's human flags; None when it carries two (its label is ambiguous:
    a bug report that also asks for a feature, 67 of 4,000 rows)."""
    flags = [row[flag] == "1" for flag in FLAGS]
    if sum(flags) != 1:
        return None
    return "bug" if flags[0] else "feature_request" if flags[1] else OTHER
