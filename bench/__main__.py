"""`make bench`: FeedbackHub's admin at scale against Django's stock admin, measured in the same run.

Uses its own embedded servers in .data/bench, seeds them once with `seed_scale` (BENCH_FEEDBACK, default 1,000,000
feedback items; BENCH_CUSTOMERS, default 50,000 customers) and keeps the data for the next run. Prints, per page,
the median and p95 over BENCH_REPEAT requests (default 15), the queries, the HTML size and the ratio plain ÷ ours,
then the goals missed (see bench/admin_changelists.py); then the REST API under gunicorn (bench/api.py: ingest rate,
list latency at shallow and deep cursors, list throughput), then the duplicate lookup on 1M vectors
(bench/duplicates.py: HNSW against exact search, all items and the 30-day window).
BENCH_ONLY=admin, api or duplicates runs one part. Stops the servers afterwards if it started them.
Last, offline triage throughput end to end (bench/triage.py; BENCH_ONLY=triage runs it alone). BENCH_ONLY=jobs times
the jobs that close the loop on the scale data (bench/jobs.py: the escalation check, the weekly digest).
BENCH_ONLY=events measures the product events intake through the API (bench/events.py); BENCH_ONLY=kpis the KPI
dashboard's job and page on the scale data plus BENCH_KPI_EVENTS product events (bench/kpis.py). BENCH_ONLY=cluster
compares one worker host with two on namespaced test hosts (bench/cluster.py; root only); BENCH_ONLY=scaling measures
what docs/scaling.md cites (bench/scaling_probe.py). BENCH_ONLY=ask times Ask the hub's retrieval with each filter kind
on the 1M vectors (bench/ask.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
os.environ.setdefault("FEEDBACKHUB_DATA_DIR", str(BASE_DIR / ".data" / "bench"))
os.environ.setdefault("DEBUG", "1")  # seed_scale refuses otherwise; the requests themselves run with DEBUG off
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
sys.path.insert(0, str(BASE_DIR))


# The bench's PostgreSQL, when the bench starts it: the 1M × 384 HNSW index (1.9 GB) fits in its buffers, as pgvector
# advises for a server answering vector lookups (the default 256 MB reads most of each lookup's pages from the OS).
BENCH_POSTGRES = {"shared_buffers": "3GB"}


def main() -> None:
    if os.environ.get("BENCH_ONLY") == "cluster":  # its own servers, on namespaced hosts: none of the bench's
        from bench import cluster

        cluster.run()
        return
    from feedbackhub import embedded

    tuned = not os.environ.get("DATABASE_URL") and embedded.start_postgres(tuning=BENCH_POSTGRES)
    started = embedded.ensure_services(quiet=True)
    try:
        import django

        django.setup()
        only = os.environ.get("BENCH_ONLY", "")  # "admin", "api", "duplicates", "triage", "jobs", "events", "kpis"
        if only == "scaling":  # HNSW builds, filtered lookups, Redis and table sizes for docs/scaling.md
            from bench import scaling_probe

            scaling_probe.run()
            return
        if only == "ask":  # Ask the hub's retrieval on the 1M items and vectors, each filter kind (issue 13)
            from bench import ask

            ask.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            )
            return
        if only == "triage":  # before the admin benches' imports: it needs none of them
            from bench import triage

            triage.run()
            return
        if only == "jobs":  # the hourly escalation check and the weekly digest on the scale data
            from bench import jobs

            jobs.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            )
            return
        if only == "events":  # product events through the REST API (issue 11): its own accounts, not the 1M rows
            from bench import events

            events.run()
            return
        if only == "kpis":  # the KPI dashboard on the scale data: its job and its page (issue 11)
            from bench import kpis

            kpis.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
                events=int(os.environ.get("BENCH_KPI_EVENTS", 1_000_000)),
                repeat=int(os.environ.get("BENCH_REPEAT", 15)),
            )
            return
        if only == "duplicates":  # the same: vectors and the lookup only
            from bench import duplicates

            duplicates.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            )
            return
        from bench import admin_changelists, api

        if only != "api":
            admin_changelists.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
                repeat=int(os.environ.get("BENCH_REPEAT", 15)),
            )
        if only != "admin":
            if only == "api":
                from bench import data

                data.ensure_data(
                    feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                    customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
                )
            api.run(repeat=max(20, int(os.environ.get("BENCH_REPEAT", 15)) * 3))
        if not only:
            from bench import duplicates

            duplicates.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            )
        if not only:
            from bench import ask

            ask.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
            )
        if not only:
            from bench import events, kpis

            events.run()
            kpis.run(
                feedback=int(os.environ.get("BENCH_FEEDBACK", 1_000_000)),
                customers=int(os.environ.get("BENCH_CUSTOMERS", 50_000)),
                events=int(os.environ.get("BENCH_KPI_EVENTS", 1_000_000)),
                repeat=int(os.environ.get("BENCH_REPEAT", 15)),
            )
        if not only:
            from bench import triage

            triage.run()
        if not only:
            from bench import cluster

            cluster.run()
    finally:
        if started or tuned:
            embedded.stop_services()


if __name__ == "__main__":
    main()
