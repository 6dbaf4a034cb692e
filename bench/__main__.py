"""`make bench`: admin changelists at scale, FeedbackHub's admin against Django's stock changelist.

Uses its own embedded servers in .data/bench, seeds them once with `seed_scale` (BENCH_FEEDBACK, default 1,000,000
feedback items; BENCH_CUSTOMERS, default 50,000 customers) and keeps the data for the next run. Prints the median
and p95 of each page over BENCH_REPEAT requests (default 15) and the ratio stock / ours measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
os.environ.setdefault("FEEDBACKHUB_DATA_DIR", str(BASE_DIR / ".data" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
sys.path.insert(0, str(BASE_DIR))


def main() -> None:
    from feedbackhub import embedded

    started = embedded.ensure_services(quiet=True)
    try:
        import django

        django.setup()
        from bench.admin_changelists import run

        run(
            feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
            customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            repeat=int(os.environ.get("BENCH_REPEAT", 15)),
        )
    finally:
        if started:
            embedded.stop_services()


def timed(call, repeat: int) -> tuple[float, float]:
    """Median and p95 wall time of ``call`` in milliseconds (one warm-up call first)."""
    call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


if __name__ == "__main__":
    main()
