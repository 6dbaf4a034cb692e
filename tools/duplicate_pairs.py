"""Labelled pairs for calibrating the duplicate threshold: ``python tools/duplicate_pairs.py OUT_DIR [DATA_DIR]``.

Writes ``text_a,text_b,is_duplicate`` CSVs (the format of ``manage.py evaluate_triage --task duplicates``) from the
real labelled data in DATA_DIR (default ../shared/data, see its README; never read at run or test time):

- ``minibar_pairs.csv``: every pair of English reviews within each mini-bar cluster file (feature requests, problem
  reports; MIT): a duplicate when both carry the same hand-assigned ``ground_truth`` cluster;
- ``banking77_pairs.csv``: 40 intents drawn with a fixed seed, 12 messages each, every pair (CC BY 4.0): a duplicate
  when both have the same intent;
- ``all_pairs.csv``: both.
"""

from __future__ import annotations

import csv
import itertools
import random
import sys
from collections import defaultdict
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
INTENTS, PER_INTENT, SEED = 40, 12, 8


def write(path: Path, pairs: list[tuple[str, str, int]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text_a", "text_b", "is_duplicate"])
        writer.writerows(pairs)
    print(f"{path}: {len(pairs):,} pairs, {sum(pair[2] for pair in pairs):,} duplicates")


def minibar(data: Path) -> list[tuple[str, str, int]]:
    pairs = []
    for kind in ("feature_request", "problem_report"):
        with (data / "minibar" / f"garmin_connect.clusters.{kind}.csv").open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["ori_lang"] == "en"]
        for a, b in itertools.combinations(rows, 2):
            pairs.append((a["data"].strip(), b["data"].strip(), int(a["ground_truth"] == b["ground_truth"])))
    return pairs


def banking77(data: Path) -> list[tuple[str, str, int]]:
    rng = random.Random(SEED)
    by_intent = defaultdict(list)
    with (data / "banking77" / "train.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"].strip())
    texts = [
        (text, intent)
        for intent in rng.sample(sorted(by_intent), INTENTS)
        for text in rng.sample(by_intent[intent], PER_INTENT)
    ]
    return [(a, b, int(x == y)) for (a, x), (b, y) in itertools.combinations(texts, 2)]


def main() -> None:
    out = Path(sys.argv[1])
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DATA
    out.mkdir(parents=True, exist_ok=True)
    reviews, banking = minibar(data), banking77(data)
    write(out / "minibar_pairs.csv", reviews)
    write(out / "banking77_pairs.csv", banking)
    write(out / "all_pairs.csv", reviews + banking)


if __name__ == "__main__":
    main()
