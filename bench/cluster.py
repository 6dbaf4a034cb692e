"""``BENCH_ONLY=cluster make bench``: triage throughput of the hub on namespaced test hosts (tests/cluster), one
worker host against two.

Each layout gets a fresh cluster (PostgreSQL + Redis on ``db``, gunicorn on ``web``, workers, one beat) and
``BENCH_CLUSTER_ITEMS`` items (default 10,000) posted through the API in batches of 100 while the workers triage them
with the offline provider; the clock runs from the first post to the last item triaged. A third layout, one host
with two pool processes, separates "more processes" from "more hosts": on a machine with 2 cores all hosts share the
same cores, so two worker hosts cannot be twice as fast here — the ratio shows what the second host costs or gains,
not how the hub scales on real machines. Needs root (network namespaces).
"""

from __future__ import annotations

import os
import threading
import time

LAYOUTS = (
    ("1 worker host × 1 process", ("w1",), 1),
    ("2 worker hosts × 1 process", ("w1", "w2"), 1),
    ("1 worker host × 2 processes", ("w1",), 2),
)


def measure(items: int, hosts: tuple[str, ...], concurrency: int) -> dict:
    from tests.cluster.hosts import Cluster, wait_for
    from tests.cluster.traffic import Ingester, SlackStub

    with Cluster() as cluster, SlackStub(cluster.net.gateway) as slack:
        cluster.slack_url = slack.url
        token = cluster.start_hub(workers=hosts, concurrency=concurrency)
        ingester = Ingester(cluster.web_url, token, total=items)
        sending = threading.Thread(target=ingester.run, daemon=True)
        sending.start()
        wait_for(lambda: cluster.hub("report")["triaged"] >= items, 3600, "every item triaged", every=1)
        triaged_after = time.monotonic() - ingester.started
        sending.join()
    return {
        "ingest": items / (ingester.finished - ingester.started),
        "triage": items / triaged_after,
        "seconds": triaged_after,
    }


def run() -> None:
    from tests.cluster.network import Network

    if reason := Network.unavailable():
        print(f"cluster bench skipped: {reason}")
        return
    items = int(os.environ.get("BENCH_CLUSTER_ITEMS", 10_000))
    print(f"\nCluster on namespaced hosts: {items:,} items through the API, offline triage ({os.cpu_count()} cores)")
    print(f"{'layout':32} {'ingest items/s':>15} {'triaged items/s':>16} {'total s':>8}")
    results = {}
    for label, hosts, concurrency in LAYOUTS:
        figures = results[label] = measure(items, hosts, concurrency)
        print(f"{label:32} {figures['ingest']:15.1f} {figures['triage']:16.1f} {figures['seconds']:8.0f}")
    one, two = results[LAYOUTS[0][0]]["triage"], results[LAYOUTS[1][0]]["triage"]
    print(f"2 worker hosts ÷ 1 worker host: {two / one:.2f}× triage throughput")
