"""`python -m bench.scaling_probe`: the figures docs/scaling.md quotes, measured again on any machine.

Six parts (``SCALING_ONLY``: a comma-separated subset of ``hnsw,filter,recall,partitions,redis,sizes``; default all):

- **hnsw**: HNSW builds in a scratch database (``scaling_probe_<pid>``, created on the configured PostgreSQL and
  dropped at the end). ``SCALING_ROWS`` (``100000,50000``) unit vectors of ``SCALING_DIMENSIONS`` (384: the
  offline model's; 1024 for mistral-embed's), clustered like bench/duplicates.py's
  (``CENTRES`` random centres, each vector a centre plus Gaussian noise, cosine ~0.92 to it; no model needed, seeded,
  so every run loads the same vectors), binary COPY, then ``CREATE INDEX CONCURRENTLY ... USING hnsw`` with the hub's
  parameters (m 16, ef_construction 64, cosine) for ``vector`` and for ``halfvec`` (the expression
  ``(embedding::halfvec(N))``), at ``SCALING_MWM_FITS`` (1GB) and ``SCALING_MWM_SHORT`` (64MB) of
  maintenance_work_mem, with ``max_parallel_maintenance_workers`` 0 and 1 (``FIRST_SIZE_BUILDS`` at the first size;
  the later sizes only at the memory that fits, one worker: the size and time curve). Printed per build: seconds,
  index size, bytes per vector, and whether PostgreSQL said "hnsw graph no longer fits into maintenance_work_mem"
  (and after how many tuples).
- **filter**: on the first size's table with its ``vector`` index, ``FILTER_QUERIES`` lookups (k = 10) restricted to
  a window holding ~1 % of the rows (``received_at`` is spread evenly over ``DAYS`` days; a 10-day window), as the
  hub's windowed duplicate lookup does, under ``hnsw.iterative_scan`` off / relaxed_order / strict_order at
  ef_search 40 (pgvector's default), and the hub's own settings (relaxed_order, ef_search 300, max_scan_tuples
  20,000). Printed: rows returned (mean, min), recall@10 against the exact answer (sequential scan), p50/p95 ms.
  The scan is forced onto the HNSW index (seq scans and sorts off), as on a table where the planner picks it.
- **recall**: unfiltered recall@10 of the ``vector`` index and of the ``halfvec`` index (both built at the memory
  that fits, one worker) against the exact answer, at ef_search 40, 100 and the hub's 300, for ``FILTER_QUERIES``
  new query vectors (stored ones plus noise), with the p50 latency.
- **partitions**: the embedding table's shape partitioned by month (its partial HNSW index declared on the parent),
  and the plan of a 30-day windowed lookup: which partitions are read, through which index, merged how.
- **redis**: the broker's memory per queued message. ``REDIS_MESSAGES`` (10,000) real ``feedback.tasks.triage_items``
  messages of one id (a webhook's item) and ``REDIS_BATCHES`` (1,000) of 1,000 ids (an API batch), sent through the
  hub's Celery app with a request id (as a web request sends them) to a throwaway queue, then ``MEMORY USAGE`` of
  the queue's list, the size of one message, and the projection to a backlog of 1M items; the queue is deleted.
- **sizes**: bytes per row of the hub's big tables in the configured database (heap with TOAST, indexes, each index
  of feedback items), when they hold at least 10,000 rows, and the time of ``embed_pending``'s backlog query (run
  every 5 minutes) when nothing is pending. Run it on the bench data:
  ``SCALING_ONLY=sizes FEEDBACKHUB_DATA_DIR=.data/bench python -m bench.scaling_probe``.

By default it runs on its own embedded servers in ``.data/bench-scaling`` (``FEEDBACKHUB_DATA_DIR`` or
``DATABASE_URL``/``REDIS_URL`` point it elsewhere; it writes nothing but its scratch database and throwaway queue)
and stops them afterwards if it started them. It is CPU-heavy (both cores for ~10–20 minutes at the default sizes):
run it on a quiet machine, and read the load average it prints.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

BASE_DIR = Path(__file__).resolve().parent.parent
DIMENSIONS = int(os.environ.get("SCALING_DIMENSIONS", 384))  # 384: the offline MiniLM; 1024: mistral-embed
SEED = 12
CENTRES = 2_000
NOISE = 0.425 / DIMENSIONS**0.5  # per coordinate (0.0217 at 384-d, as bench/duplicates.py): cosine ~0.92 to the centre
CHUNK = 50_000
DAYS = 1_000  # received_at spread over this many days: a 10-day window holds ~1 % of the rows
WINDOW_DAYS = 10
FILTER_QUERIES = 50
HUB_EF_SEARCH, HUB_MAX_SCAN_TUPLES = 300, 20_000  # feedback.services.HNSW_EF_SEARCH / HNSW_MAX_SCAN_TUPLES
TABLE, INDEX, HALF_INDEX = "probe_vectors", "probe_hnsw", "probe_hnsw_half"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
NOT_FITTING = "hnsw graph no longer fits into maintenance_work_mem"


def log(message: str = "") -> None:
    print(message, flush=True)


def env_ints(name: str, default: str) -> list[int]:
    return [int(value) for value in os.environ.get(name, default).split(",") if value.strip()]


# --- the scratch database ---------------------------------------------------------------------------------------


def conninfo(dbname: str) -> str:
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=dbname,
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
        **{key: value for key, value in db.get("OPTIONS", {}).items() if key.startswith("ssl")},
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    """A database of our own on the configured server (never the hub's), dropped afterwards: its conninfo."""
    import psycopg
    from django.db import connection

    name = f"scaling_probe_{os.getpid()}"
    with psycopg.connect(conninfo(connection.settings_dict["NAME"]), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        yield conninfo(name)
    finally:
        with psycopg.connect(conninfo(connection.settings_dict["NAME"]), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clustered_vectors(rows: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """``rows`` unit vectors, each one of ``centres`` plus Gaussian noise."""
    out = centres[rng.integers(0, len(centres), rows)] + rng.normal(0.0, NOISE, (rows, DIMENSIONS))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def load(conn, *, rows: int) -> float:
    """(Re)create the probe table with ``rows`` vectors (seeded: the same on every run); heap bytes per row."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    rng = np.random.default_rng(SEED)
    centres = rng.normal(0.0, 1.0, (CENTRES, DIMENSIONS))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(
        f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, received_at timestamptz NOT NULL, "
        f"embedding vector({DIMENSIONS}) NOT NULL)"
    )
    seconds = rng.uniform(0, DAYS * 86400, rows)
    with conn.transaction(), conn.cursor().copy(f"COPY {TABLE} FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["bigint", "timestamptz", "vector"])
        for start in range(0, rows, CHUNK):
            block = clustered_vectors(min(CHUNK, rows - start), rng, centres)
            for offset, vector in enumerate(block):
                copy.write_row((start + offset + 1, EPOCH + timedelta(seconds=float(seconds[start + offset])), vector))
    conn.execute(f"VACUUM ANALYZE {TABLE}")
    return conn.execute(f"SELECT pg_table_size('{TABLE}')::float / {rows}").fetchone()[0]


# --- HNSW builds --------------------------------------------------------------------------------------------------


@dataclass
class Build:
    rows: int
    kind: str  # "vector" or "halfvec"
    memory: str
    workers: int
    seconds: float
    size: int
    spilled_after: int | None  # tuples in the graph when it stopped fitting in maintenance_work_mem; None: it fit


def build(conn, *, rows: int, kind: str, memory: str, workers: int, keep: bool = False, name: str = INDEX) -> Build:
    """CREATE INDEX CONCURRENTLY with the hub's HNSW parameters; time, size and the 'no longer fits' notice."""
    notices: list[str] = []

    def handler(diagnostic) -> None:
        notices.append(diagnostic.message_primary or "")

    conn.add_notice_handler(handler)
    expression = (
        "embedding vector_cosine_ops" if kind == "vector" else f"(embedding::halfvec({DIMENSIONS})) halfvec_cosine_ops"
    )
    conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute(f"SET maintenance_work_mem = '{memory}'")
    conn.execute(f"SET max_parallel_maintenance_workers = {int(workers)}")
    started = time.perf_counter()
    conn.execute(
        f"CREATE INDEX CONCURRENTLY {name} ON {TABLE} USING hnsw ({expression}) WITH (m = 16, ef_construction = 64)"
    )
    seconds = time.perf_counter() - started
    size = conn.execute(f"SELECT pg_relation_size('{name}')").fetchone()[0]
    conn.execute("RESET maintenance_work_mem")
    conn.execute("RESET max_parallel_maintenance_workers")
    conn.remove_notice_handler(handler)
    spilled = next((text for text in notices if NOT_FITTING in text), None)
    after = int(spilled.rsplit("after", 1)[1].split()[0]) if spilled and "after" in spilled else None
    if spilled and after is None:
        after = -1
    if not keep:
        conn.execute(f"DROP INDEX {name}")
    return Build(rows, kind, memory, workers, seconds, size, after)


# At the first size: the matrix (vector and halfvec; memory that fits, one worker and none; memory that does not, no
# worker), each type's build at the memory that fits with one worker last (it is kept for the filter and recall parts).
# Later sizes: the memory that fits, one worker (the size and time curve).
FIRST_SIZE_BUILDS = [
    ("halfvec", "short", 0),
    ("halfvec", "fits", 0),
    ("halfvec", "fits", 1),
    ("vector", "short", 0),
    ("vector", "fits", 0),
    ("vector", "fits", 1),
]
LATER_SIZE_BUILDS = [("halfvec", "fits", 1), ("vector", "fits", 1)]


def run_hnsw(conn, sizes: list[int], memory: dict[str, str], *, then=None) -> list[Build]:
    """The builds at each size; ``then(conn)`` runs after the first size's builds, with its kept indexes."""
    builds: list[Build] = []
    for number, rows in enumerate(sizes):
        heap = load(conn, rows=rows)
        log(f"\n{rows:,} vectors loaded (heap with TOAST: {heap:,.0f} B a row); load average {os.getloadavg()[0]:.1f}")
        plans = FIRST_SIZE_BUILDS if number == 0 else LATER_SIZE_BUILDS
        for kind, which, workers in plans:
            # the first size's indexes at the memory that fits with one worker are kept for ``then``
            keep = number == 0 and then is not None and (which, workers) == ("fits", 1)
            name = HALF_INDEX if kind == "halfvec" else INDEX
            result = build(conn, rows=rows, kind=kind, memory=memory[which], workers=workers, keep=keep, name=name)
            builds.append(result)
            fit = "fits" if result.spilled_after is None else f"NO (notice after {result.spilled_after:,} tuples)"
            log(
                f"  {kind:<8} mwm {result.memory:>5} workers {workers}: {result.seconds:7.1f} s, "
                f"{result.size / 2**20:7.1f} MB ({result.size / rows:,.0f} B/vector), graph in memory: {fit}"
            )
        if number == 0 and then is not None:
            then(conn)
    return builds


def report_hnsw(builds: list[Build]) -> None:
    log("\nHNSW index size, extrapolated linearly (an estimate: bytes per vector of the largest build × rows)")
    for kind in ("vector", "halfvec"):
        mine = [b for b in builds if b.kind == kind]
        if not mine:
            continue
        largest = max(mine, key=lambda b: b.rows)
        per = largest.size / largest.rows
        log(
            f"  {kind:<8} {per:,.0f} B/vector at {largest.rows:,}: "
            + ", ".join(f"{n:,} → {per * n / 2**30:,.1f} GB" for n in (1_000_000, 10_000_000, 100_000_000))
        )


# --- filtered lookups ---------------------------------------------------------------------------------------------


@dataclass
class Filtered:
    label: str
    rows: list[int]
    recall: float
    ms: list[float]


def run_filter(conn, *, rows: int, fits: str) -> list[Filtered]:
    from pgvector.psycopg import register_vector

    register_vector(conn)
    if conn.execute(f"SELECT to_regclass('{INDEX}') IS NULL").fetchone()[0]:
        if conn.execute(f"SELECT to_regclass('{TABLE}') IS NULL").fetchone()[0]:
            load(conn, rows=rows)
        build(conn, rows=rows, kind="vector", memory=fits, workers=1, keep=True)
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    rng = np.random.default_rng(SEED + 1)
    queries = []
    for _ in range(FILTER_QUERIES):
        start = EPOCH + timedelta(days=float(rng.uniform(0, DAYS - WINDOW_DAYS)))
        (vector,) = conn.execute(
            f"SELECT embedding FROM {TABLE} WHERE id = %s", [int(rng.integers(1, total + 1))]
        ).fetchone()
        queries.append((vector, start, start + timedelta(days=WINDOW_DAYS)))
    sql = f"SELECT id FROM {TABLE} WHERE received_at >= %s AND received_at < %s ORDER BY embedding <=> %s LIMIT 10"
    share = conn.execute(
        f"SELECT avg(n) / {total} FROM (SELECT count(*) AS n FROM {TABLE} p, "
        "unnest(%s::timestamptz[], %s::timestamptz[]) AS w(a, b) WHERE p.received_at >= w.a AND p.received_at < w.b "
        "GROUP BY w.a) counts",
        [[q[1] for q in queries], [q[2] for q in queries]],
    ).fetchone()[0]
    # Never prepared: psycopg prepares a statement run 5 times, and PostgreSQL keeps its plan when enable_* or the
    # hnsw settings change afterwards (the exact plan would answer every "HNSW" lookup).
    truths = []
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")
        for vector, since, until in queries:
            truths.append({row[0] for row in conn.execute(sql, [since, until, vector], prepare=False)})
    settings = [
        ("off, ef_search 40 (default)", {"hnsw.iterative_scan": "off", "hnsw.ef_search": "40"}),
        ("relaxed_order, ef_search 40", {"hnsw.iterative_scan": "relaxed_order", "hnsw.ef_search": "40"}),
        ("strict_order, ef_search 40", {"hnsw.iterative_scan": "strict_order", "hnsw.ef_search": "40"}),
        (
            "hub: relaxed, ef 300, max 20k",
            {
                "hnsw.iterative_scan": "relaxed_order",
                "hnsw.ef_search": str(HUB_EF_SEARCH),
                "hnsw.max_scan_tuples": str(HUB_MAX_SCAN_TUPLES),
            },
        ),
    ]
    results = []
    for label, values in settings:
        counts, hits, wanted, times = [], 0, 0, []
        with conn.transaction():
            for name, value in {"enable_seqscan": "off", "enable_sort": "off", **values}.items():
                conn.execute("SELECT set_config(%s, %s, true)", [name, value])
            plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, [*queries[0][1:], queries[0][0]]))
            if f"Index Scan using {INDEX} on" not in plan:
                raise RuntimeError(f"the lookup does not use {INDEX}:\n{plan}")
            for (vector, since, until), truth in zip(queries, truths, strict=True):
                started = time.perf_counter()
                found = {row[0] for row in conn.execute(sql, [since, until, vector], prepare=False)}
                times.append((time.perf_counter() - started) * 1000)
                counts.append(len(found))
                hits, wanted = hits + len(found & truth), wanted + len(truth)
        results.append(Filtered(label, counts, hits / wanted if wanted else float("nan"), times))
    log(
        f"\nFiltered HNSW lookup: {total:,} vectors, k = 10, a {WINDOW_DAYS}-day window keeping {share:.2%} of the "
        f"rows, {FILTER_QUERIES} queries (exact answer: a sequential scan)"
    )
    log(f"  {'iterative scan':<31} │ rows returned mean  min │ recall@10 │ p50 ms  p95 ms")
    for r in results:
        ordered = sorted(r.ms)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        log(
            f"  {r.label:<31} │ {statistics.mean(r.rows):>17.1f} {min(r.rows):>4} │ {r.recall:>9.3f} │ "
            f"{statistics.median(r.ms):>6.1f} {p95:>7.1f}"
        )
    return results


def run_recall(conn, *, rows: int, fits: str) -> None:
    """Unfiltered recall@10 of the vector index and of the halfvec index against the exact answer, by ef_search."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    if conn.execute(f"SELECT to_regclass('{TABLE}') IS NULL").fetchone()[0]:
        load(conn, rows=rows)
    for kind, name in (("vector", INDEX), ("halfvec", HALF_INDEX)):
        if conn.execute(f"SELECT to_regclass('{name}') IS NULL").fetchone()[0]:
            build(conn, rows=rows, kind=kind, memory=fits, workers=1, keep=True, name=name)
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    rng = np.random.default_rng(SEED + 2)
    base = [row[0] for row in conn.execute(f"SELECT embedding FROM {TABLE} ORDER BY id LIMIT %s", [FILTER_QUERIES])]
    queries = [
        q.to_numpy() + rng.normal(0.0, NOISE, DIMENSIONS) for q in base
    ]  # new texts near stored ones, not stored
    queries = [(q / np.linalg.norm(q)).astype(np.float32) for q in queries]
    exact_sql = f"SELECT id FROM {TABLE} ORDER BY embedding <=> %s LIMIT 10"
    half_sql = (
        f"SELECT id FROM {TABLE} ORDER BY embedding::halfvec({DIMENSIONS}) <=> %s::halfvec({DIMENSIONS}) LIMIT 10"
    )
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")
        truths = [{row[0] for row in conn.execute(exact_sql, [q], prepare=False)} for q in queries]
    log(f"\nUnfiltered recall@10 on {total:,} vectors ({DIMENSIONS}-d), {len(queries)} new query vectors, by ef_search")
    log(f"  {'index':<8} {'ef':>4} │ recall@10 │ p50 ms")
    for kind, sql, name in (("vector", exact_sql, INDEX), ("halfvec", half_sql, HALF_INDEX)):
        for ef in (40, 100, HUB_EF_SEARCH):
            hits, times = 0, []
            with conn.transaction():
                for setting, value in {
                    "enable_seqscan": "off",
                    "enable_sort": "off",
                    "hnsw.ef_search": str(ef),
                }.items():
                    conn.execute("SELECT set_config(%s, %s, true)", [setting, value])
                plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, [queries[0]]))
                if f"Index Scan using {name} on" not in plan:
                    raise RuntimeError(f"the lookup does not use {name}:\n{plan}")
                for q, truth in zip(queries, truths, strict=True):
                    started = time.perf_counter()
                    found = {row[0] for row in conn.execute(sql, [q], prepare=False)}
                    times.append((time.perf_counter() - started) * 1000)
                    hits += len(found & truth)
            log(f"  {kind:<8} {ef:>4} │ {hits / (10 * len(queries)):>9.3f} │ {statistics.median(times):>6.1f}")


def run_partitions(conn) -> None:
    """The hub's embedding table partitioned by month (4 partitions of 2,000 rows, the partial HNSW index declared
    once on the parent): the plan of a 30-day windowed lookup, to see which partitions and indexes it reads."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.execute(
        "CREATE TABLE probe_parts (feedback_id bigint NOT NULL, received_at timestamptz NOT NULL, "
        "dimensions smallint NOT NULL, vector vector NOT NULL) PARTITION BY RANGE (received_at)"
    )
    for month in range(1, 5):
        conn.execute(
            f"CREATE TABLE probe_parts_{month} PARTITION OF probe_parts "
            f"FOR VALUES FROM ('2026-{month:02d}-01') TO ('2026-{month + 1:02d}-01')"
        )
    rng = np.random.default_rng(SEED + 3)
    centres = rng.normal(0.0, 1.0, (CENTRES, DIMENSIONS))
    vectors = clustered_vectors(8_000, rng, centres / np.linalg.norm(centres, axis=1, keepdims=True))
    with conn.transaction(), conn.cursor().copy("COPY probe_parts FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(["bigint", "timestamptz", "smallint", "vector"])
        for n, vector in enumerate(vectors):
            day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=float(rng.uniform(0, 119)))
            copy.write_row((n, day, DIMENSIONS, vector))
    conn.execute(
        f"CREATE INDEX probe_parts_hnsw ON probe_parts USING hnsw ((vector::vector({DIMENSIONS})) vector_cosine_ops) "
        f"WITH (m = 16, ef_construction = 64) WHERE dimensions = {DIMENSIONS}"
    )
    conn.execute("ANALYZE probe_parts")
    with conn.transaction():
        for name, value in {"enable_seqscan": "off", "hnsw.iterative_scan": "relaxed_order"}.items():
            conn.execute("SELECT set_config(%s, %s, true)", [name, value])
        plan = conn.execute(
            f"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) SELECT feedback_id FROM probe_parts "
            f"WHERE dimensions = {DIMENSIONS} AND received_at >= '2026-02-20' AND received_at <= '2026-03-22' "
            f"ORDER BY vector::vector({DIMENSIONS}) <=> %s::vector({DIMENSIONS}) LIMIT 10",
            [vectors[0]],
            prepare=False,
        ).fetchall()
    nodes = [line.strip().split(" (actual")[0].lstrip("-> ") for (line,) in plan if "Scan" in line or "Append" in line]
    log("\nMonthly partitions (4 × 2,000 rows), a 30-day window from 20 Feb: " + "; ".join(nodes))


# --- Redis --------------------------------------------------------------------------------------------------------


def run_redis(*, messages: int, batches: int) -> None:
    import redis
    from django.conf import settings

    from feedback.tasks import triage_items
    from feedbackhub import logs

    client = redis.Redis.from_url(settings.REDIS_URL)
    log(
        f"\nRedis per queued message (redis {client.info('server')['redis_version']}, maxmemory-policy "
        f"{client.config_get('maxmemory-policy').get('maxmemory-policy')})"
    )
    token = logs.request_id_var.set(uuid.uuid4().hex)  # a web request's id rides in every message's headers
    try:
        for label, count, ids in (("1 id (a webhook)", messages, 1), ("1,000 ids (an API batch)", batches, 1_000)):
            queue = f"scaling-probe-{os.getpid()}-{ids}"
            before = client.info("memory")["used_memory"]
            started = time.perf_counter()
            with triage_items.app.connection_for_write() as broker:
                for n in range(count):
                    first = 10_000_000 + n * ids  # 8-digit ids, as in a table past 10M rows
                    triage_items.apply_async((list(range(first, first + ids)),), queue=queue, connection=broker)
            seconds = time.perf_counter() - started
            try:
                length = client.llen(queue)
                usage = client.memory_usage(queue, samples=0)
                one = len(client.lindex(queue, 0))
                grown = client.info("memory")["used_memory"] - before
            finally:
                # the list, and kombu's binding records of the queue (``_kombu.binding[_permanent].<queue>``)
                client.delete(queue, *client.scan_iter(f"_kombu.binding*.{queue}"))
            per_item = usage / (length * ids)
            log(
                f"  {label:<25} {length:,} messages in {seconds:.1f} s: one message {one:,} B, MEMORY USAGE "
                f"{usage / 2**20:,.1f} MB = {usage / length:,.0f} B/message (used_memory grew "
                f"{grown / 2**20:,.1f} MB); 1M items queued → {per_item * 1e6 / 2**20:,.0f} MB"
            )
    finally:
        logs.request_id_var.reset(token)


# --- table sizes --------------------------------------------------------------------------------------------------


def run_sizes() -> None:
    from django.apps import apps
    from django.db import connection

    from feedback.models import FeedbackEmbedding, FeedbackItem, TriageRecord

    tables = [
        FeedbackItem._meta.db_table,
        FeedbackEmbedding._meta.db_table,
        TriageRecord._meta.db_table,
        FeedbackItem.themes.through._meta.db_table,
        apps.get_model("feedback", "FeedbackItemHistory")._meta.db_table,  # pghistory: a row per update of an item
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        log(f"\nTable sizes in database {cursor.fetchone()[0]} (bytes per row: size ÷ the planner's row count)")
        for table in tables:
            cursor.execute("SELECT to_regclass(%s) IS NULL", [table])
            if cursor.fetchone()[0]:
                log(f"  {table}: no such table (a database the hub has not migrated)")
                continue
            cursor.execute(
                "SELECT c.reltuples::bigint, pg_relation_size(c.oid), pg_table_size(c.oid), pg_indexes_size(c.oid) "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                [table],
            )
            rows, heap, with_toast, indexes = cursor.fetchone()
            if rows < 10_000:  # too few for sizes per row: the average width of its rows' data only
                cursor.execute(f"SELECT count(*), avg(pg_column_size(t.*)) FROM (SELECT * FROM {table} LIMIT 10000) t")
                count, width = cursor.fetchone()
                log(f"  {table}: {count:,} rows, too few for sizes per row; row data {width or 0:,.0f} B on average")
                continue
            log(
                f"  {table}: {rows:,} rows; heap {heap / rows:,.0f} B/row, +TOAST {(with_toast - heap) / rows:,.0f}, "
                f"indexes {indexes / rows:,.0f}: total {(with_toast + indexes) / rows:,.0f} B/row "
                f"({(with_toast + indexes) / 2**30:,.2f} GB)"
            )
            if table == FeedbackItem._meta.db_table:
                cursor.execute(
                    "SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass ORDER BY 2 DESC",
                    [table],
                )
                log("    " + ", ".join(f"{name} {size / rows:,.0f}" for name, size in cursor.fetchall()))
                cursor.execute(
                    f"SELECT avg(octet_length(verbatim)), avg(pg_column_size(raw_payload)) FROM {table} "
                    "TABLESAMPLE SYSTEM (1) REPEATABLE (12)"
                )
                verbatim, payload = cursor.fetchone()
                log(f"    average verbatim {verbatim or 0:,.0f} B, raw_payload {payload or 0:,.0f} B (1 % sample)")
    backlog_scan()


def backlog_scan() -> None:
    """What ``embed_pending`` (every 5 minutes) costs when nothing is pending: its first query, timed twice."""
    from feedback import services
    from feedback.models import EmbeddingSpace, FeedbackEmbedding

    space_id = FeedbackEmbedding.objects.order_by().values_list("space_id", flat=True).first()
    if space_id is None:
        return
    space = EmbeddingSpace.objects.get(pk=space_id)
    times, found = [], 0
    for _ in range(2):
        started = time.perf_counter()
        found = len(services.items_needing_embedding(space=space).values_list("pk", flat=True)[:64])
        times.append(time.perf_counter() - started)
    log(
        f"  embed_pending's backlog query in {space}: {found} item(s) pending, "
        f"{times[0]:.1f} s then {times[1]:.1f} s (every 5 minutes, whether or not anything is pending)"
    )


# --- entry point --------------------------------------------------------------------------------------------------


def run() -> None:
    import psycopg

    parts = {
        part.strip() for part in os.environ.get("SCALING_ONLY", "hnsw,filter,recall,partitions,redis,sizes").split(",")
    }
    sizes = env_ints("SCALING_ROWS", "100000,50000")
    fits = os.environ.get("SCALING_MWM_FITS", "1GB")
    short = os.environ.get("SCALING_MWM_SHORT", "64MB")
    log(f"Scaling probe: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; parts {sorted(parts)}")
    if parts & {"hnsw", "filter", "recall", "partitions"}:
        with scratch_database() as info, psycopg.connect(info, autocommit=True) as conn:
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
            log(f"PostgreSQL {conn.info.server_version // 10000}, pgvector {version}, database {conn.info.dbname}")

            def on_first_size(c) -> None:  # the first size's table, its vector and halfvec indexes kept if built
                if "filter" in parts:
                    run_filter(c, rows=sizes[0], fits=fits)
                if "recall" in parts:
                    run_recall(c, rows=sizes[0], fits=fits)
                if "partitions" in parts:
                    run_partitions(c)

            if "hnsw" in parts:
                report_hnsw(run_hnsw(conn, sizes, {"fits": fits, "short": short}, then=on_first_size))
            else:
                on_first_size(conn)
    if "redis" in parts:
        run_redis(
            messages=int(os.environ.get("REDIS_MESSAGES", 10_000)), batches=int(os.environ.get("REDIS_BATCHES", 1_000))
        )
    if "sizes" in parts:
        run_sizes()
    log(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    from bench.standalone import run_alone

    run_alone("bench-scaling", run)


if __name__ == "__main__":
    main()
