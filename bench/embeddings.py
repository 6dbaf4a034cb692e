"""`python -m bench.embeddings [CSV]`: the offline embedder's throughput, batched against one text at a time.

Reads the texts of a CSV (its `text` or `data` column; default ai/seed/minibar_garmin_connect.en.csv, the shipped
copy of mini-bar's real Garmin app reviews), embeds BENCH_EMBED_N of them (default 1,000) BENCH_REPEAT times
(default 3) per batch size, and prints the median sentences/s, the mean word-piece count, and each batch size's
speed-up over batch size 1 measured in the same run. Needs no database.
"""

from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from pathlib import Path

from ai.providers.offline import OfflineEmbedder

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "ai" / "seed" / "minibar_garmin_connect.en.csv"  # shipped copy


def read_texts(path: Path, limit: int) -> list[str]:
    """The first ``limit`` non-empty texts of ``path``."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        column = "text" if "text" in (rows.fieldnames or []) else "data"
        texts = [row[column].strip() for row in rows if row[column].strip()]
    return texts[:limit]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    texts = read_texts(path, int(os.environ.get("BENCH_EMBED_N", 1000)))
    repeat = int(os.environ.get("BENCH_REPEAT", 3))
    embedder = OfflineEmbedder()
    tokenizer, _ = embedder._load()
    pieces = statistics.mean(sum(e.attention_mask) for e in tokenizer.encode_batch(texts))
    print(f"{len(texts)} texts from {path.name}, {pieces:.0f} word pieces on average, {os.cpu_count()} CPUs")
    baseline = None
    for batch_size in (1, 16, 32, 64):
        embedder.batch_size = batch_size
        embedder.embed(texts[:batch_size])  # warm-up
        rates = []
        for _ in range(repeat):
            start = time.perf_counter()
            embedder.embed(texts)
            rates.append(len(texts) / (time.perf_counter() - start))
        rate = statistics.median(rates)
        baseline = baseline or rate
        print(f"batch {batch_size:>3}: {rate:8.0f} sentences/s (median of {repeat}), ×{rate / baseline:.2f} vs batch 1")


if __name__ == "__main__":
    main()
