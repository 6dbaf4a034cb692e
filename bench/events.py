"""`make bench` (BENCH_ONLY=events): product events intake through the REST API, against issue 11's goal.

**The measure**: ``POST /api/events/`` under gunicorn (``bench.api.start_gunicorn``: DEBUG off, ``API_WORKERS``
workers), ``BENCH_EVENTS_BATCHES`` (20) batches of 1,000 events from ``BENCH_EVENTS_CLIENTS`` (4) concurrent clients
(threads of this process, keep-alive HTTP/1.1, on the same cores as the server: the figures are a floor). Each event
names its account by CRM id, domain or hub id in turn, carries a persona and small properties, and happened in the
last 30 days; the names cycle through seed 004's known events and one custom name. Every batch is sent twice: the
first delivery creates, the second must answer "duplicate" for every event and add no row (idempotency: the rows are
counted). Printed: events/minute of each delivery and its ratio to the goal (≥ 10,000 a minute), the rows stored,
and any refused request.

**The data**: needs only accounts, not the 1M feedback rows: ``BENCH_EVENTS_CUSTOMERS`` (1,000) bench accounts
(CRM ids ``bench-ev-…``) are made when missing and kept. The bench's events (ids ``bench-ev-…``) are deleted before
and after (bench data: a plain delete). ``BENCH_EVENTS_EXISTING`` (0) events of other ids (``bench-bg-…``) are there
first, made in SQL when missing and kept across runs, so the intake is measured against a table of that size (its
unique index and the B-trees a new row enters grow with it). Run alone, ``python -m bench.events`` uses its own
embedded servers in ``.data/bench-events`` (never the 1M bench database) and stops them afterwards if it started
them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BATCH = 1_000
PREFIX = "bench-ev-"
GOAL_PER_MINUTE = 10_000
NAMES = [
    "value_delivered",
    "feature_completed",
    "report_sent",
    "campaign_ended",
    "support_contact_closed",
    "experiment_exposure",
    "dashboard.pinned",  # a custom name
]
PERSONAS = ["analyst", "admin", "executive", "developer", ""]


def ensure_customers(count: int) -> list[tuple[int, str, str]]:
    """``count`` bench accounts (made when missing, kept): (id, CRM id, domain) each."""
    from customers.choices import Industry, Lifecycle, Region, Tier
    from customers.models import Customer

    have = set(Customer.objects.filter(crm_id__startswith=PREFIX).values_list("crm_id", flat=True))
    missing = [n for n in range(count) if f"{PREFIX}{n}" not in have]
    Customer.objects.bulk_create(
        [
            Customer(
                name=f"Bench events {n}",
                domain=f"{PREFIX}{n}.example",
                crm_id=f"{PREFIX}{n}",
                industry=Industry.TECHNOLOGY,
                region=Region.EUROPE,
                tier=Tier.MID_MARKET if n % 3 else Tier.ENTERPRISE,
                arr=50_000 + 1_000 * (n % 100),
                lifecycle_stage=Lifecycle.ACTIVE,
            )
            for n in missing
        ],
        batch_size=1_000,
    )
    return list(
        Customer.objects.filter(crm_id__startswith=PREFIX).order_by("id").values_list("id", "crm_id", "domain")[:count]
    )


FILL_SQL = """
INSERT INTO insights_productevent (event_id, name, customer_id, contact, persona, occurred_at, properties)
SELECT %(prefix)s || g, (%(names)s::text[])[1 + g %% %(n_names)s], (%(customers)s::bigint[])[1 + g %% %(n_customers)s],
       'user' || (g %% 5000) || '@bench.example', (%(personas)s::text[])[1 + g %% %(n_personas)s],
       now() - make_interval(secs => (g * 97) %% (30 * 86400)), jsonb_build_object('plan', 'pro', 'n', g)
  FROM generate_series(%(start)s, %(stop)s - 1) AS g
"""
BACKGROUND = "bench-bg-"


def ensure_existing(count: int, customers: list[tuple[int, str, str]]) -> int:
    """At least ``count`` background events (ids ``bench-bg-<n>``), added in SQL in chunks; the table's size."""
    from django.db import connection

    from insights.models import ProductEvent

    have = ProductEvent.objects.filter(event_id__startswith=BACKGROUND).count()
    if have < count:
        print(f"  adding {count - have:,} background events (kept for the next run)…", flush=True)
        params = {
            "prefix": BACKGROUND,
            "names": NAMES,
            "n_names": len(NAMES),
            "customers": [pk for pk, _, _ in customers],
            "n_customers": len(customers),
            "personas": PERSONAS,
            "n_personas": len(PERSONAS),
        }
        with connection.cursor() as cursor:
            for start in range(have, count, 200_000):  # ids continue from what is there (a count, not a max: kept)
                cursor.execute(FILL_SQL, {**params, "start": start, "stop": min(count, start + 200_000)})
            cursor.execute("VACUUM ANALYZE insights_productevent")
    return ProductEvent.objects.count()


def bodies(count: int, customers: list[tuple[int, str, str]]) -> list[bytes]:
    """``count`` request bodies of ``BATCH`` new events each (every event id unique across the run)."""
    from django.utils import timezone

    now = timezone.now()
    result = []
    for b in range(count):
        items = []
        for i in range(BATCH):
            n = b * BATCH + i
            pk, crm_id, domain = customers[n % len(customers)]
            account = [{"customer_crm_id": crm_id}, {"customer_domain": domain}, {"customer": pk}][n % 3]
            items.append(
                {
                    "event_id": f"{PREFIX}{n}",
                    "name": NAMES[n % len(NAMES)],
                    **account,
                    "contact": f"user{n % 5000}@{domain}",
                    "persona": PERSONAS[n % len(PERSONAS)],
                    "occurred_at": (now - timedelta(seconds=(n * 97) % (30 * 86_400))).isoformat(),
                    "properties": {"plan": "pro", "duration_ms": n % 9_000, "report": f"r-{n % 40}"},
                }
            )
        result.append(json.dumps({"items": items}).encode())
    return result


def post_all(port: int, key: str, payloads: list[bytes], clients: int) -> tuple[float, dict[str, int], list[str]]:
    """Post ``payloads`` from ``clients`` threads: events/minute over the wall time, the reply counts, refusals."""
    from bench.api import Api

    queue, errors, lock = list(payloads), [], threading.Lock()
    counts = {"created": 0, "duplicate": 0, "rejected": 0}

    def work():
        api = Api(port, key)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            status, answer = api.request("POST", "/api/events/", body)
            with lock:
                if status >= 300:
                    errors.append(f"{status}: {answer[:200]!r}")
                else:
                    reply = json.loads(answer)
                    for state in counts:
                        counts[state] += reply[state]
        api.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(payloads) * BATCH * 60 / (time.perf_counter() - started), counts, errors


def run() -> None:
    from django.core.management import call_command

    from bench import data
    from bench.api import free_port, start_gunicorn
    from insights.models import ProductEvent
    from integrations.services import create_token, revoke_token

    workers = int(os.environ.get("API_WORKERS", 4))
    clients = int(os.environ.get("BENCH_EVENTS_CLIENTS", 4))
    count = int(os.environ.get("BENCH_EVENTS_BATCHES", 20))
    call_command("migrate", interactive=False, verbosity=0)
    customers = ensure_customers(int(os.environ.get("BENCH_EVENTS_CUSTOMERS", 1_000)))
    mine = ProductEvent.objects.filter(event_id__startswith=PREFIX)
    mine.delete()
    table = ensure_existing(int(os.environ.get("BENCH_EVENTS_EXISTING", 0)), customers)
    new = create_token(name="bench events", owner=data.superuser(), scopes=["ingest"])
    payloads = bodies(count, customers)
    port = free_port()
    server = start_gunicorn(port, workers)
    try:
        sent = count * BATCH
        print(
            f"\nProduct events intake: POST /api/events/, gunicorn with {workers} workers; {count} batches of "
            f"{BATCH:,} from {clients} clients, each batch sent twice; {len(customers):,} accounts; "
            f"{table:,} events in the table before."
        )
        first, first_counts, errors = post_all(port, new.key, payloads, clients)
        stored_once = mine.count()
        again, again_counts, errors_again = post_all(port, new.key, payloads, clients)
        stored = mine.count()
        for label, rate, counts in (("first delivery", first, first_counts), ("sent again", again, again_counts)):
            print(
                f"  {label}: {rate:,.0f} events/minute = {rate / GOAL_PER_MINUTE:.1f}× the goal "
                f"(≥ {GOAL_PER_MINUTE:,}/minute); created {counts['created']:,}, duplicate {counts['duplicate']:,}, "
                f"rejected {counts['rejected']:,}"
            )
        idempotent = stored_once == stored == sent and again_counts["duplicate"] == sent
        print(
            f"  rows: {stored_once:,} after the first delivery, {stored:,} after the second, for {sent:,} events: "
            f"re-sending added {stored - stored_once:,} rows ({'idempotent' if idempotent else 'NOT idempotent'})"
        )
        for error in (errors + errors_again)[:5]:
            print(f"    refused: {error}")
        missed = [
            *(["rate"] if min(first, again) < GOAL_PER_MINUTE else []),
            *(["idempotency"] if not idempotent else []),
            *(["refused requests"] if errors or errors_again else []),
        ]
        print(f"  goals missed: {', '.join(missed) if missed else 'none'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        revoke_token(token=new.token)
        mine.delete()


def main() -> None:
    """``python -m bench.events``: the intake bench on its own embedded servers (not the 1M bench database)."""
    from bench.standalone import run_alone

    run_alone("bench-events", run)


if __name__ == "__main__":
    main()
