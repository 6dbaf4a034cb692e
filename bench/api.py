"""`make bench`, the REST API: gunicorn with several workers over the same 1M-row data as the admin bench.

- **Ingest**: ``POST /api/feedback/ingest/`` in batches of 1,000 (validation, customer matching and the idempotent
  upsert included), from ``API_INGEST_CLIENTS`` (4) concurrent clients: items/s for a first delivery (every item
  created) and for the same batches again (every item updated). Goal ≥ 2,000 items/s.
- **List latency**: ``GET /api/feedback/`` at the first page and at a cursor deep in the million rows, one client:
  median and p95. Goal p95 ≤ 25 ms at any depth.
- **List throughput**: ``API_CLIENTS`` (8) clients for ``API_SECONDS`` (10) against ``API_WORKERS`` (4) gunicorn
  workers: requests/s. Goal ≥ 150.

The clients run in this process (threads, keep-alive HTTP/1.1) on the same 2 cores as the server, so the figures are
a floor. The bench's ingested items (source ``in_app``, ids ``bench-api-…``) are deleted before and after (bench
data: a plain delete, not the service).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.utils import timezone

from bench import data
from feedback.models import FeedbackItem
from feedbackhub import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
BATCH = 1_000
SOURCE = "in_app"
SOURCE_ID_PREFIX = "bench-api-"
GOALS = {"ingest": 2_000, "p95": 25.0, "throughput": 150.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    """The hub's web server as production runs it (DEBUG off), on loopback, over the bench's embedded servers."""
    root = Path(os.environ["FEEDBACKHUB_DATA_DIR"])
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": embedded.postgres_url(root),
        "REDIS_URL": embedded.redis_url(root),
        "SECURE_SSL_REDIRECT": "0",
        "API_TOKEN_RATE": "100000000/min",  # the bench measures the server, not the per-token throttle
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "feedbackhub.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.5)  # every worker up, not just the listening socket
                return server
        except OSError as error:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}") from error
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


class Api:
    """One keep-alive connection to the server, authenticated with a bench token."""

    def __init__(self, port: int, key: str):
        self.port, self.key = port, key
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.key}", "Host": "127.0.0.1", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def batches(count: int, *, crm_ids: list[str]) -> list[bytes]:
    """``count`` batches of ``BATCH`` new items, half of them from known customers (matched by CRM id)."""
    now = timezone.now()
    result = []
    for b in range(count):
        items = []
        for i in range(BATCH):
            n = b * BATCH + i
            item = {
                "source": SOURCE,
                "source_id": f"{SOURCE_ID_PREFIX}{n}",
                "received_at": (now - timedelta(minutes=n)).isoformat(),
                "verbatim": f"Bench item {n}: batch inference jobs time out after 60 seconds on large inputs.",
                "summary": f"Batch jobs time out ({n})",
                "tags": ["bench", "batch"],
            }
            if n % 2 and crm_ids:
                item["customer_crm_id"] = crm_ids[n % len(crm_ids)]
            items.append(item)
        result.append(json.dumps({"items": items}).encode())
    return result


def ingest(port: int, key: str, bodies: list[bytes], clients: int) -> tuple[float, list[str]]:
    """Post ``bodies`` from ``clients`` threads; items/s over the wall time, and any non-2xx answers."""
    queue, errors, lock = list(bodies), [], threading.Lock()

    def work():
        api = Api(port, key)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            status, answer = api.request("POST", "/api/feedback/ingest/", body)
            if status >= 300:
                with lock:
                    errors.append(f"{status}: {answer[:200]!r}")
        api.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(bodies) * BATCH / (time.perf_counter() - started), errors


def deep_cursor(depth: int) -> str:
    """A cursor ``depth`` rows into the newest-first list, encoded as feedbackhub.api.KeysetCursorPagination does
    (the position is every column of the ordering: received_at, then id)."""
    received, pk = FeedbackItem.objects.order_by("-received_at", "-id").values_list("received_at", "id")[depth]
    position = json.dumps([str(received), str(pk)], separators=(",", ":"))
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def latency(port: int, key: str, path: str, repeat: int) -> tuple[float, float, int]:
    """Median and p95 (ms) of ``repeat`` GETs of ``path`` on one keep-alive connection, after one warm-up."""
    api = Api(port, key)
    status, body = api.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        api.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
    api.close()
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)], len(json.loads(body)["results"])


def throughput(port: int, key: str, paths: list[str], clients: int, seconds: float) -> float:
    """Requests/s that ``clients`` threads get through ``paths`` (round robin) in ``seconds``."""
    done, lock, stop = [0], threading.Lock(), time.monotonic() + seconds

    def work(offset: int):
        api, n, count = Api(port, key), offset, 0
        while time.monotonic() < stop:
            status, _ = api.request("GET", paths[n % len(paths)])
            n += 1
            count += status == 200
        api.close()
        with lock:
            done[0] += count

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started)


def run(*, repeat: int) -> None:
    from customers.models import Customer
    from integrations.services import create_token, revoke_token

    workers = int(os.environ.get("API_WORKERS", 4))
    clients = int(os.environ.get("API_CLIENTS", 8))  # enough to keep 4 workers busy (the clients share the cores)
    ingest_clients = int(os.environ.get("API_INGEST_CLIENTS", 4))
    seconds = float(os.environ.get("API_SECONDS", 10))
    ingest_batches = int(os.environ.get("API_BATCHES", 20))
    FeedbackItem.objects.filter(source=SOURCE, source_id__startswith=SOURCE_ID_PREFIX).delete()
    new = create_token(name="bench", owner=data.superuser(), scopes=["read", "write", "ingest"])
    crm_ids = list(Customer.objects.exclude(crm_id="").values_list("crm_id", flat=True)[:500])
    port = free_port()
    server = start_gunicorn(port, workers)
    try:
        print(
            f"\nREST API: gunicorn with {workers} workers on 127.0.0.1; clients are threads of this process "
            f"({ingest_clients} posting batches, {clients} reading lists)."
        )
        bodies = batches(ingest_batches, crm_ids=crm_ids)
        created, errors = ingest(port, new.key, bodies, ingest_clients)
        updated, errors_again = ingest(port, new.key, bodies, ingest_clients)
        stored = FeedbackItem.objects.filter(source=SOURCE, source_id__startswith=SOURCE_ID_PREFIX).count()
        print(
            f"  ingest, {ingest_batches} batches of {BATCH:,}: {created:,.0f} items/s created, {updated:,.0f} items/s "
            f"updated (goal ≥ {GOALS['ingest']:,}); {stored:,} rows for {ingest_batches * BATCH:,} items sent twice"
        )
        for error in (errors + errors_again)[:5]:
            print(f"    refused: {error}")
        fields = "id,received_at,source,status,category,summary"
        shallow = f"/api/feedback/?{urlencode({'fields': fields})}"
        deep = f"/api/feedback/?{urlencode({'fields': fields, 'cursor': deep_cursor(900_000)})}"
        full = "/api/feedback/"
        rows = []
        for label, path in (("first page", shallow), ("cursor at row 900,000", deep), ("first page, all fields", full)):
            p50, p95, count = latency(port, new.key, path, repeat)
            rows.append((label, p50, p95, count))
            print(f"  list {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({count} rows; goal p95 ≤ {GOALS['p95']:.0f})")
        rate = throughput(port, new.key, [shallow, deep], clients, seconds)
        goal = GOALS["throughput"]
        print(f"  list throughput, {clients} clients, {seconds:.0f} s: {rate:,.0f} requests/s (goal ≥ {goal:.0f})")
        missed = [
            *(["ingest"] if min(created, updated) < GOALS["ingest"] else []),
            *(f"p95 of {label}" for label, _, p95, _ in rows if p95 > GOALS["p95"]),
            *(["throughput"] if rate < GOALS["throughput"] else []),
        ]
        print(f"  goals missed: {', '.join(missed) if missed else 'none'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        revoke_token(token=new.token)
        FeedbackItem.objects.filter(source=SOURCE, source_id__startswith=SOURCE_ID_PREFIX).delete()
