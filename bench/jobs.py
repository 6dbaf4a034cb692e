"""`make bench` (BENCH_ONLY=jobs): the jobs that close the loop, timed on the scale data.

**The data**: ``bench.data.ensure_data`` (BENCH_FEEDBACK items, BENCH_CUSTOMERS customers), plus behavioural signals
made here in SQL and kept (remade when their newest day is not yesterday): ``USAGE_DAYS`` days of usage snapshots for
every live customer (50,000 customers: ~3M rows) — a weekly rhythm, most accounts steady, ~2 % down ~40 % in the last
week, ~1 % down ~45 % over the last 30 days, ~1 % silent for 16 days — and NPS answers from one customer in ten over
the last 30 days (a fifth of them detractors). The seed has no competitor mentions: that rule reads its week of
feedback and finds none. The printed counts say how many items fall in the rules' 7-day window (the seed's dates
are relative to the day it ran).

**The measure**: ``insights.escalations.check_all()`` cold, BENCH_JOBS_REPEAT (3) times — every escalation and
escalation notification deleted first, so each run finds and opens everything, notifications included — then warm,
as often: everything already open, the hourly run's usual case. Medians, and each rule's time in the median run.
Then ``notifications.digests.write_weekly_digests()`` (skipped with a message where it does not exist yet), fresh
(the period's digests deleted first) and again. Delivery is not timed: ``notifications.delivery.send_soon`` is a
no-op for the run (no worker listens; the outbox rows are what the jobs write). BENCH_EXPLAIN=1 prints the plan
(EXPLAIN ANALYZE) of every statement of one warm check that took over 20 ms.

Bench database only: it deletes escalations, escalation notifications and digests there.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench import data

USAGE_DAYS = 62  # two 30-day windows and a little: the 30-day rule compares the last 30 days with the 30 before
EXPLAIN_OVER_MS = 20


def log(message: str) -> None:
    print(message, flush=True)


USAGE_SQL = """
INSERT INTO customers_usagesnapshot
    (customer_id, taken_on, active_users, api_requests, tokens_used, features_used, created_at)
SELECT c.id, d.day::date, round(base.users * f.factor)::int, round(base.users * 120 * f.factor)::bigint,
       round(base.users * 120 * f.factor)::bigint * 900, '{}'::jsonb, now()
FROM customers_customer c
CROSS JOIN LATERAL (SELECT abs(hashtext(c.id::text)) %% 1000 AS h) hh
CROSS JOIN LATERAL (SELECT 3 + hh.h %% 150 AS users) base
CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d(day)
CROSS JOIN LATERAL (
    SELECT (CASE WHEN extract(isodow FROM d.day) >= 6 THEN 0.35 ELSE 1.0 END)
           * (0.9 + (abs(hashtext(c.id::text || d.day::text)) %% 200) / 1000.0)
           * (CASE
                  WHEN hh.h < 20 AND d.day > %(last)s::date - 7 THEN 0.6
                  WHEN hh.h BETWEEN 20 AND 29 AND d.day > %(last)s::date - 30 THEN 0.55
                  WHEN hh.h BETWEEN 30 AND 39 AND d.day > %(last)s::date - 16 THEN 0
                  ELSE 1
              END) AS factor
) f
WHERE c.lifecycle_stage NOT IN ('prospect', 'churned')
ON CONFLICT (customer_id, taken_on) DO NOTHING
"""

NPS_SQL = """
INSERT INTO insights_surveyresponse
    (kind, score, comment, customer_id, contact_email, survey, source, external_id, responded_at, created_at)
SELECT 'nps',
       CASE WHEN hh.h %% 100 < 20 THEN hh.h %% 7 ELSE 7 + hh.h %% 4 END,
       '', c.id, '', 'Quarterly NPS', 'bench', 'bench-nps-' || c.id,
       now() - (hh.h %% 30) * interval '1 day' - interval '1 hour', now()
FROM customers_customer c
CROSS JOIN LATERAL (SELECT abs(hashtext(c.id::text || 'nps')) AS h) hh
WHERE c.id %% 10 = 0
ON CONFLICT (source, external_id) DO NOTHING
"""


def ensure_signals() -> None:
    """Usage snapshots and NPS answers for the bench customers, remade when their newest day is not yesterday."""
    from customers.models import UsageSnapshot
    from insights.models import SurveyResponse

    last = timezone.localdate() - timedelta(days=1)
    newest = UsageSnapshot.objects.order_by("-taken_on").values_list("taken_on", flat=True).first()
    if newest == last:
        return
    log(f"  making {USAGE_DAYS} days of usage snapshots and NPS answers for the bench customers (once a day)…")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE customers_usagesnapshot")
        SurveyResponse.objects.filter(source="bench").delete()
        cursor.execute(USAGE_SQL, {"first": last - timedelta(days=USAGE_DAYS - 1), "last": last})
        usage_rows = cursor.rowcount
        cursor.execute(NPS_SQL, {})
        answers = cursor.rowcount
        cursor.execute("ANALYZE customers_usagesnapshot")
        cursor.execute("ANALYZE insights_surveyresponse")
    log(f"  {usage_rows:,} snapshots and {answers:,} NPS answers in {time.perf_counter() - started:.0f} s")


@contextmanager
def outbox_not_sent():
    """``send_soon`` as a no-op: the jobs write outbox rows; delivering them is not what is timed."""
    from notifications import delivery

    original = delivery.send_soon
    delivery.send_soon = lambda notification_id: None
    try:
        yield
    finally:
        delivery.send_soon = original


def clear_escalations() -> None:
    """Delete every escalation and escalation notification (bench database only)."""
    from insights.models import Escalation
    from notifications.choices import Kind
    from notifications.models import Notification

    Notification.objects.filter(kind__in=[Kind.ESCALATION, Kind.TIME_TO_VERIFY]).delete()
    Escalation.customers.through.objects.all().delete()
    Escalation.objects.all().delete()


def timed_check():
    from insights import escalations

    started = time.perf_counter()
    report = escalations.check_all()
    return time.perf_counter() - started, report


def print_rules(report) -> None:
    for result in report.rules:
        error = f"  ERROR {result.error}" if result.error else ""
        log(
            f"    {result.name[:48]:<48} {result.seconds * 1000:8.0f} ms  found {result.found:>6,}"
            f"  opened {result.opened:>6,}{error}"
        )


def bench_escalations(repeat: int) -> None:
    from feedback.models import FeedbackItem

    week = FeedbackItem.objects.filter(received_at__gte=timezone.now() - timedelta(days=7)).count()
    log(f"  {week:,} feedback items received in the last 7 days (the window of the feedback rules)")
    cold, warm = [], []
    for _ in range(repeat):
        clear_escalations()
        seconds, report = timed_check()
        cold.append((seconds, report))
    for _ in range(repeat):
        seconds, report = timed_check()
        warm.append((seconds, report))
    for label, runs in (("cold (opens everything)", cold), ("warm (all open already)", warm)):
        times = [seconds for seconds, _ in runs]
        median_run = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        log(
            f"\n  check_all {label}: median {statistics.median(times):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in times)}), opened {median_run[1].opened:,}"
        )
        print_rules(median_run[1])
    if os.environ.get("BENCH_EXPLAIN"):
        explain_check()


def explain_check() -> None:
    """EXPLAIN ANALYZE every statement of one (warm) check that took over ``EXPLAIN_OVER_MS``."""
    from insights import escalations

    statements: list[tuple[float, str, object]] = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(record):
        escalations.check_all()
    for ms, sql, params in statements:
        if ms < EXPLAIN_OVER_MS or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        log(f"\n  --- {ms:.0f} ms ---")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            for (line,) in cursor.fetchall():
                log(f"    {line}")


def bench_digests(repeat: int) -> None:
    try:
        from notifications import digests
    except ImportError:
        log("\n  weekly digest: notifications.digests does not exist yet — skipped")
        return
    write = getattr(digests, "write_weekly_digests", None)
    if write is None:
        log("\n  weekly digest: notifications.digests.write_weekly_digests does not exist yet — skipped")
        return
    from notifications.models import Digest, Notification

    period_end = digests.default_period_end()
    times = []
    for run in range(repeat):
        if run == 0:  # this week's digests go, so the first run writes them all again
            Notification.objects.filter(key__startswith=f"digest:{period_end}:").delete()
            Digest.objects.filter(period_end=period_end).delete()
        started = time.perf_counter()
        written = write()
        times.append(time.perf_counter() - started)
        if run == 0:
            fresh = len(written)
    log(
        f"\n  write_weekly_digests (week to {period_end}): fresh {times[0]:.2f} s ({fresh:,} digests written); "
        f"again, already written: {', '.join(f'{t:.2f}' for t in times[1:]) or '—'} s"
    )


def run(*, feedback: int, customers: int) -> None:
    repeat = int(os.environ.get("BENCH_JOBS_REPEAT", 3))
    data.ensure_data(feedback=feedback, customers=customers)
    log(
        f"\nJobs that close the loop ({data.table_rows(_feedback_model()):,} feedback items, "
        f"{customers:,} customers; load average {os.getloadavg()[0]:.1f})"
    )
    ensure_signals()
    with outbox_not_sent():
        bench_escalations(repeat)
        bench_digests(repeat)


def _feedback_model():
    from feedback.models import FeedbackItem

    return FeedbackItem
