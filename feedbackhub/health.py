"""Liveness and readiness probes (``/healthz``, ``/readyz``) and the cheap readings they share with ``/metrics``.

``/healthz`` says the process answers: no database, no Redis. ``/readyz`` checks what a web process needs to serve
(the database with a short statement timeout, migrations applied, Redis) and reports what the hub needs to keep
working (a worker answering, beat's last tick, queue depths, the outbox backlog, Redis' eviction policy). A failed
required part answers 503; the others only make it "degraded" (200). Nothing secret is in the answer: no URL, host,
password or error text beyond the exception's class.

The probes are answered by ``ProbeMiddleware``, first in MIDDLEWARE, before host validation and the HTTPS redirect: a
load balancer or a container HEALTHCHECK asks by IP address or plain HTTP, and must get the probe, not a 400 or 301.

This module imports no other app (tests/test_structure.py): the outbox and feedback tables are found through the
app registry at call time.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse

STATEMENT_TIMEOUT_MS = 500  # a readiness query slower than this means the database is not fit to serve
REDIS_TIMEOUT_SECONDS = 0.3
WORKER_PING_TIMEOUT_SECONDS = 0.4  # waited in full only when no worker answers
WORKER_PING_CACHE_SECONDS = 15  # a probe every few seconds must not ping every worker every time
MIGRATIONS_CACHE_SECONDS = 10  # loading the migration graph costs ~100 ms: done once per this many seconds
# Written by the beat holding the lock (feedbackhub.beat) through the Django cache, whose KEY_PREFIX makes it
# feedbackhub:...:beat:last_tick in Redis; an ISO 8601 time (epoch seconds accepted too).
BEAT_LAST_TICK_KEY = "beat:last_tick"
BEAT_STALE_SECONDS = 300
EXACT_COUNT_UP_TO = 10_000  # counted exactly up to here (index only), past it the planner's estimate
PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport keeps priority levels 3, 6, 9 in "<queue>\x06\x16<level>"

log = logging.getLogger(__name__)
_cache: dict[str, tuple[float, object]] = {}
_clients: dict[str, redis.Redis] = {}


def cached(key: str, seconds: float, compute):
    """``compute()``, remembered in this process for ``seconds``."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and now - hit[0] < seconds:
        return hit[1]
    value = compute()
    _cache[key] = (now, value)
    return value


def redis_client() -> redis.Redis:
    """A client of settings.REDIS_URL (read at each call: tests point it elsewhere) with short timeouts."""
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
    return _clients[url]


def queue_names() -> list[str]:
    """The Celery queues: the default one plus those of settings CELERY_TASK_QUEUES (names, Queue objects or a dict)."""
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or "celery"]
    configured = getattr(settings, "CELERY_TASK_QUEUES", None) or []
    for queue in configured:
        name = queue if isinstance(queue, str) else getattr(queue, "name", None)
        if name and name not in names:
            names.append(name)
    return names


def queue_depths(client: redis.Redis) -> dict[str, int]:
    """LLEN of each Celery queue (its priority lists included), in one round trip."""
    names = queue_names()
    pipe = client.pipeline(transaction=False)
    for name in names:
        for key in (name, *(f"{name}{PRIORITY_SEPARATOR}{level}" for level in (3, 6, 9))):
            pipe.llen(key)
    lengths = pipe.execute()
    return {name: sum(lengths[i * 4 : i * 4 + 4]) for i, name in enumerate(names)}


def _count(cursor, table: str, condition: str) -> int:
    """Rows of ``table`` matching ``condition``: exact up to EXACT_COUNT_UP_TO (an index-only read of a partial
    index), past it the planner's estimate, so the cost stays bounded at a million rows."""
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {condition} LIMIT %s) AS capped", [EXACT_COUNT_UP_TO + 1]
    )
    exact = cursor.fetchone()[0]
    if exact <= EXACT_COUNT_UP_TO:
        return exact
    cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE {condition}")
    plan = cursor.fetchone()[0]
    return max(exact, int(plan[0]["Plan"]["Plan Rows"]))


def backlog_counts() -> dict[str, int]:
    """Outbox pending and failed notifications and untriaged feedback (statement timeout: a slow count fails)."""
    notification = apps.get_model("notifications", "Notification")._meta.db_table
    feedback = apps.get_model("feedback", "FeedbackItem")._meta.db_table
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS * 2}")
        return {
            "outbox_pending": _count(cursor, notification, "status = 'pending'"),
            "outbox_failed": _count(cursor, notification, "status = 'failed'"),
            "triage_backlog": _count(cursor, feedback, "triaged_at IS NULL"),
        }


def check_database() -> dict:
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def check_migrations() -> dict:
    unapplied = cached("migrations", MIGRATIONS_CACHE_SECONDS, _unapplied_migrations)
    return {"ok": unapplied == 0, "unapplied": unapplied}


def check_redis(client: redis.Redis) -> dict:
    client.ping()
    policy = client.info("memory").get("maxmemory_policy", "unknown")
    answer = {"ok": True, "maxmemory_policy": policy}
    if policy != "noeviction":
        answer["warning"] = "maxmemory-policy is not noeviction: Redis may drop queued tasks under memory pressure"
    return answer


def _ping_workers() -> int:
    from feedbackhub.celery import app

    return len(app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS, limit=1) or [])


def check_workers() -> dict:
    answering = cached("workers", WORKER_PING_CACHE_SECONDS, _ping_workers)
    return {"ok": answering > 0, "answering": answering}


def check_beat() -> dict:
    raw = cache.get(BEAT_LAST_TICK_KEY)
    if raw is None:
        return {"ok": None, "state": "unknown"}
    if isinstance(raw, datetime):
        tick = raw.timestamp()
    elif isinstance(raw, int | float):
        tick = float(raw)
    else:
        tick = datetime.fromisoformat(str(raw)).timestamp()
    age = max(0.0, datetime.now(UTC).timestamp() - tick)
    return {"ok": age < BEAT_STALE_SECONDS, "last_tick_age_seconds": round(age, 1)}


def _run(check, *args) -> dict:
    try:
        return check(*args)
    except Exception as error:  # any failure is the answer; its class only (no hosts, no secrets)
        return {"ok": False, "error": type(error).__name__}


def readiness() -> tuple[bool, dict]:
    """(ready?, the details): ready when the database, migrations and Redis are fine."""
    checks = {"database": _run(check_database)}
    checks["migrations"] = _run(check_migrations) if checks["database"]["ok"] else {"ok": False, "error": "skipped"}
    client = redis_client()
    checks["redis"] = _run(check_redis, client)
    redis_ok = checks["redis"]["ok"]
    skipped = {"ok": None, "error": "skipped: redis is down"}
    checks["workers"] = _run(check_workers) if redis_ok else skipped
    checks["beat"] = _run(check_beat) if redis_ok else skipped
    checks["queues"] = _run(lambda: {"ok": True, "depths": queue_depths(client)}) if redis_ok else skipped
    checks["backlog"] = _run(lambda: {"ok": True, **backlog_counts()}) if checks["database"]["ok"] else skipped
    ready = all(checks[name]["ok"] for name in ("database", "migrations", "redis"))
    degraded = any(check["ok"] is False for check in checks.values()) or "warning" in checks["redis"]
    return ready, {"status": "fail" if not ready else "degraded" if degraded else "ok", "checks": checks}


def healthz(request) -> JsonResponse:
    """The process is alive."""
    return JsonResponse({"status": "ok"})


def readyz(request) -> JsonResponse:
    """Ready to serve (200, "ok" or "degraded") or not (503, "fail")."""
    started = time.monotonic()
    ready, body = readiness()
    body["seconds"] = round(time.monotonic() - started, 3)
    response = JsonResponse(body, status=200 if ready else 503, headers={"Cache-Control": "no-store"})
    if not ready:  # one line naming the failed parts, instead of Django's "Service Unavailable" at every probe
        failed = sorted(name for name, check in body["checks"].items() if check["ok"] is False)
        log.warning("not ready: %s", ", ".join(failed))
        response._has_been_logged = True
    return response


def scrape(request) -> HttpResponse:
    """/metrics (``feedbackhub.metrics``: its own bearer token). Prometheus scrapes each web host by its address and
    port, which ALLOWED_HOSTS does not list: Django's host check would answer 400."""
    from feedbackhub import metrics

    return metrics.metrics(request)


PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": scrape}


class ProbeMiddleware:
    """Answers GET/HEAD /healthz, /readyz and /metrics before anything else (host checks, HTTPS redirect, sessions,
    login): load balancers and scrapers ask by address, over plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
