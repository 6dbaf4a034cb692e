"""`make bench` (BENCH_ONLY=kpis): the KPI dashboard on the scale data — the page's load time and the job's.

**The data**: ``bench.data.ensure_data`` (BENCH_FEEDBACK items, BENCH_CUSTOMERS customers) plus BENCH_KPI_EVENTS
(default 1,000,000) product events made here in SQL with ``generate_series`` and kept (remade when their newest is
older than a day): spread over the last 120 days across the customers, four personas, the names the metrics read
(signed_up, value_delivered, feature_started/completed with a feature, report_sent with ``accurate``, campaign_ended
with ``renewed``, support_contact_closed with ``resolution_hours``, error) and an ordinary page_view for the rest.
``bench.jobs.ensure_signals`` adds its usage snapshots and NPS answers when they are missing.

**The measure**: ``insights.kpis.refresh_kpis()`` BENCH_KPI_JOB_REPEAT (2) times (the median), then the page
``/admin/insights/kpis/`` for each window, logged in as the bench superuser, BENCH_REPEAT (15) times after a warm-up
through Django's test client with DEBUG off: median, p95, queries and HTML size. Goal: p95 ≤ 300 ms (issue 11).

``python -m bench.kpis`` runs it on its own embedded servers (``.data/bench-kpis``, BENCH_FEEDBACK default 20,000 and
BENCH_KPI_EVENTS 100,000 there) — a quick look; ``BENCH_ONLY=kpis python -m bench`` (a line ``bench/__main__.py``
does not have yet) on the 1M bench database.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

BASE_DIR = Path(__file__).resolve().parent.parent
PREFIX = "bench-kpi-"
GOAL_P95_MS = 300
HOST = "localhost"  # an ALLOWED_HOSTS name

EVENTS_SQL = """
INSERT INTO insights_productevent (event_id, name, customer_id, contact, persona, occurred_at, properties, received_at)
SELECT %(prefix)s || g.n,
       k.name,
       c.id,
       'user' || (g.n %% 7) || '@' || c.id,
       (ARRAY['analyst', 'podcaster', 'agency', 'marketer'])[1 + c.id %% 4],
       k.at,
       CASE k.name
           WHEN 'report_sent' THEN jsonb_build_object('accurate', g.n %% 10 <> 0)
           WHEN 'campaign_ended' THEN jsonb_build_object('renewed', g.n %% 3 <> 0)
           WHEN 'support_contact_closed' THEN jsonb_build_object('resolution_hours', 1 + g.n %% 48)
           WHEN 'feature_started' THEN jsonb_build_object('feature', 'f' || g.n %% 12)
           WHEN 'feature_completed' THEN jsonb_build_object('feature', 'f' || g.n %% 12)
           ELSE '{}'::jsonb
       END,
       k.at
FROM generate_series(0, %(count)s - 1) AS g(n)
CROSS JOIN LATERAL (SELECT ids.id FROM ids WHERE ids.rank = 1 + g.n %% %(customers)s) AS c
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN g.n %% 100 < 2 THEN 'signed_up'
               WHEN g.n %% 100 < 6 THEN 'value_delivered'
               WHEN g.n %% 100 < 16 THEN 'feature_started'
               WHEN g.n %% 100 < 24 THEN 'feature_completed'
               WHEN g.n %% 100 < 30 THEN 'report_sent'
               WHEN g.n %% 100 < 32 THEN 'campaign_ended'
               WHEN g.n %% 100 < 35 THEN 'support_contact_closed'
               WHEN g.n %% 100 < 38 THEN 'error'
               ELSE 'page_view'
           END AS name,
           now() - interval '120 days' * (1 - g.n::double precision / %(count)s)
               - interval '1 minute' * (g.n %% 59) AS at
) AS k
ON CONFLICT (event_id) DO NOTHING
"""


def ensure_events(count: int, report: Callable[[str], None]) -> None:
    """``count`` product events over the last 120 days (kept; remade when the newest is a day old or the count
    differs)."""
    from insights.models import ProductEvent

    mine = ProductEvent.objects.filter(event_id__startswith=PREFIX)
    newest = mine.filter(event_id=f"{PREFIX}{count - 1}").values_list("occurred_at", flat=True).first()
    if newest and (time.time() - newest.timestamp()) < 86400 and not mine.filter(event_id=f"{PREFIX}{count}").exists():
        return
    report(f"  making {count:,} product events (once a day)…")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM insights_productevent WHERE event_id LIKE %s", [f"{PREFIX}%"])
        cursor.execute(
            "CREATE TEMPORARY TABLE ids ON COMMIT DROP AS "
            "SELECT id, row_number() OVER (ORDER BY id) AS rank FROM customers_customer"
        )
        cursor.execute("SELECT count(*) FROM ids")
        customers = cursor.fetchone()[0]
        cursor.execute("CREATE INDEX ON ids (rank)")
        cursor.execute(EVENTS_SQL, {"prefix": PREFIX, "count": count, "customers": customers})
        made = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE insights_productevent")
    report(f"  {made:,} events for {customers:,} accounts in {time.perf_counter() - started:.0f} s")


def time_job(repeat: int) -> tuple[float, list[float]]:
    from insights import kpis

    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        kpis.refresh_kpis()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), samples


def run(
    report: Callable[[str], None] = print,
    *,
    feedback: int,
    customers: int,
    events: int = 1_000_000,
    repeat: int = 15,
    job_repeat: int = 2,
) -> dict:
    """Measure the KPI job and page on the scale data; ``report`` prints each line. Returns the figures."""
    from bench import data, jobs
    from bench.timing import measure
    from feedback.models import FeedbackItem
    from insights import kpis
    from insights.models import ProductEvent

    data.ensure_data(feedback=feedback, customers=customers)
    jobs.ensure_signals()
    ensure_events(events, report)
    report(
        f"\nKPI dashboard ({data.table_rows(FeedbackItem):,} feedback items, {data.table_rows(ProductEvent):,} product "
        f"events, {customers:,} customers; load average {os.getloadavg()[0]:.1f})"
    )
    job_ms, samples = time_job(job_repeat)
    each = ", ".join(f"{sample:,.0f}" for sample in samples)
    report(f"  job insights.kpis.refresh_kpis: median {job_ms:,.0f} ms of {len(samples)} runs ({each} ms)")
    figures = {"job_ms": job_ms, "pages": {}}
    with override_settings(DEBUG=False):
        client = Client(HTTP_HOST=HOST)
        client.force_login(data.superuser())
        for days in kpis.WINDOWS:
            url = f"/admin/insights/kpis/?window={days}"
            page = measure(client, url, repeat)
            figures["pages"][days] = page
            verdict = "ok" if page.p95 <= GOAL_P95_MS else "MISSED"
            report(
                f"  page {url}: median {page.p50:.0f} ms, p95 {page.p95:.0f} ms of {page.samples} "
                f"({page.queries} queries, {page.html_kb:.0f} kB) — goal p95 ≤ {GOAL_P95_MS} ms: {verdict}"
            )
    return figures


def main() -> None:
    """``python -m bench.kpis``: on its own embedded servers (.data/bench-kpis), at a small scale by default."""
    from bench.standalone import run_alone

    run_alone(
        "bench-kpis",
        lambda: run(
            feedback=int(os.environ.get("BENCH_FEEDBACK", 20_000)),
            customers=int(os.environ.get("BENCH_CUSTOMERS", 2_000)),
            events=int(os.environ.get("BENCH_KPI_EVENTS", 100_000)),
            repeat=int(os.environ.get("BENCH_REPEAT", 15)),
            job_repeat=int(os.environ.get("BENCH_KPI_JOB_REPEAT", 2)),
        ),
    )


if __name__ == "__main__":
    main()
