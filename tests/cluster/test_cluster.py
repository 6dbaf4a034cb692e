"""The hub on four test hosts (network namespaces joined by veth cables to a bridge): PostgreSQL + Redis on ``db``,
gunicorn on ``web``, a Celery worker on each of ``w1`` and ``w2``, and two beats (on ``web`` and ``w2``).

An integration posts ``CLUSTER_ITEMS`` (20,000) feedback items through the API in batches of 100, while the workers
triage them (the offline provider, for real: embeddings, classifier, duplicates, theme matching). A quarter of the
way, ``w1``'s cable is pulled for longer than the broker's visibility timeout, then plugged back. Then:

- every item the API accepted is stored and triaged, with exactly one triage record: the messages ``w1`` held when
  its cable was pulled were delivered again to ``w2`` while it was out (the test sees the same task ids received by
  both), and the second delivery changed nothing when ``w1`` came back and finished them too;
- each theme's fifth item, posted while ``w1`` is away, tips it over the "time to verify" mark: one Slack message per
  theme, received once by Slack;
- with two beats running, a 2-second periodic task is sent once per period, not twice;
- ``/readyz`` turns 503 when Redis, then PostgreSQL, goes away and 200 when each is back; ``/metrics`` refuses a
  request without its token.

The figures (items/s, how long ``w1`` took to take work again after its cable came back, when its messages went to
``w2``) are printed; ``make bench`` (BENCH_ONLY=cluster) compares one worker host with two.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import datetime

import pytest

from tests.cluster.hosts import METRICS_TOKEN, VISIBILITY_TIMEOUT, Cluster, wait_for
from tests.cluster.hub import PROBE_EVERY, PROBE_QUEUE
from tests.cluster.network import Network
from tests.cluster.traffic import THEMES, Ingester, SlackStub, tipping_items

pytestmark = pytest.mark.slow

ITEMS = int(os.environ.get("CLUSTER_ITEMS", 20_000))
TOTAL = ITEMS + THEMES  # with one tipping item per theme
CUT_AFTER = ITEMS // 4  # items triaged before w1's cable is pulled
CUT_SECONDS = VISIBILITY_TIMEOUT + 15  # longer than the visibility timeout: what w1 held is given to w2
BEAT_WINDOW = 12  # seconds of probe sends counted
RECEIVED = re.compile(
    r"\[([\d-]+ [\d:,]+): INFO/MainProcess\] Task feedback\.tasks\.triage_items\[([0-9a-f-]+)\] received"
)
TOOK_WORK = re.compile(r"Task [\w.]+\[[0-9a-f-]+\] received")


def received(log: str) -> dict[str, datetime]:
    """When a worker took each triage message (by task id), from its log."""
    return {task: datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f") for at, task in RECEIVED.findall(log)}


@pytest.fixture(scope="module")
def namespaces():
    reason = Network.unavailable()
    if reason:
        pytest.skip(f"no test hosts on this machine: {reason}")


def triaged(cluster: Cluster) -> int:
    return cluster.report()["triaged"]


def test_given_four_hosts_and_a_cut_worker_then_every_item_is_triaged_once_and_every_message_sent_once(
    namespaces, capsys
):
    with Cluster() as cluster, SlackStub(cluster.net.gateway) as slack:
        cluster.slack_url = slack.url
        # The second beat (on w2) stands for one started by mistake, or during a rolling update: the lock keeps it idle.
        token = cluster.start_hub(workers=("w1", "w2"), beats=("web", "w2"))

        ingester = Ingester(cluster.web_url, token, total=ITEMS)
        sending = threading.Thread(target=ingester.run, daemon=True)
        started = time.monotonic()
        sending.start()

        wait_for(lambda: triaged(cluster) >= CUT_AFTER, 1200, lambda: cluster.tail("w1") + cluster.tail("w2"), 2)
        cluster.net.cut("w1")
        cut_at, cut_clock = time.monotonic(), datetime.now()
        ingester.post(tipping_items())  # each theme's fifth item: "time to verify" messages while w1 is away
        time.sleep(max(0.0, CUT_SECONDS - (time.monotonic() - cut_at)))
        w1_log_at_restore = len(cluster.log("w1"))
        cluster.net.restore("w1")
        restored_at, restore_clock = time.monotonic(), datetime.now()
        wait_for(lambda: TOOK_WORK.search(cluster.log("w1")[w1_log_at_restore:]), 300, lambda: cluster.tail("w1"), 0.2)
        w1_back_after = time.monotonic() - restored_at

        sending.join(timeout=1800)
        assert not sending.is_alive(), "the ingestion did not finish"
        report = wait_for(
            lambda: (r := cluster.report())["triaged"] == TOTAL and r["pending_triage_rows"] == 0 and r,
            1800,
            lambda: json.dumps(cluster.report()) + cluster.tail("w1") + cluster.tail("w2"),
            3,
        )
        all_triaged_after = time.monotonic() - started
        report = wait_for(
            lambda: (r := cluster.report())["slack_sent"] >= THEMES and r["slack_not_sent"] == 0 and r,
            300,
            lambda: json.dumps(cluster.report()) + cluster.tail("w2"),
            2,
        )
        time.sleep(3)  # a message sent twice would arrive now
        report = cluster.report()

        taken_by_w1, taken_by_w2 = received(cluster.log("w1")), received(cluster.log("w2"))
        # Messages w1 took before its cable was pulled and w2 took while it was out: handed over by the broker.
        redelivered = {
            task: (taken_by_w2[task] - at).total_seconds()
            for task, at in taken_by_w1.items()
            if at < cut_clock and task in taken_by_w2 and cut_clock < taken_by_w2[task] < restore_clock
        }

        # Two beats: the probe is sent once per period.
        cluster.hub("tick", "on")
        redis = cluster.redis()
        wait_for(lambda: redis.llen(PROBE_QUEUE) > 0, 60, lambda: cluster.tail("beat-1") + cluster.tail("beat-2"))
        before = redis.llen(PROBE_QUEUE)
        time.sleep(BEAT_WINDOW)
        probe_sends = redis.llen(PROBE_QUEUE) - before
        holders = [name for name in ("beat-1", "beat-2") if "holding the scheduler lock" in cluster.log(name)]

        # Readiness follows Redis and PostgreSQL; the metrics refuse an anonymous request.
        readiness = [cluster.get("/readyz")[0]]
        cluster.stop_redis()
        readiness.append(wait_for(lambda: (code := cluster.get("/readyz")[0]) == 503 and code, 60, "readyz 503"))
        cluster.start_redis()
        readiness.append(wait_for(lambda: (code := cluster.get("/readyz")[0]) == 200 and code, 60, "readyz 200"))
        cluster.stop_postgres()
        readiness.append(wait_for(lambda: (code := cluster.get("/readyz")[0]) == 503 and code, 60, "readyz 503"))
        cluster.start_postgres()
        readiness.append(wait_for(lambda: (code := cluster.get("/readyz")[0]) == 200 and code, 60, "readyz 200"))
        anonymous_metrics = cluster.get("/metrics")[0]
        with_token = cluster.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})

    with capsys.disabled():  # the figures go to the make test output
        print(
            f"\ncluster: {ITEMS:,} items ingested in {ingester.finished - ingester.started:.0f} s "
            f"({ingester.retries} batch retries); all triaged after {all_triaged_after:.0f} s "
            f"= {ITEMS / all_triaged_after:.1f} items/s with 2 worker hosts (w1 cut for {CUT_SECONDS} s at "
            f"{cut_at - started:.0f} s); w1 took work again {w1_back_after:.1f} s after its cable came back; "
            f"{len(redelivered)} triage message(s) w1 held redelivered to w2 after "
            f"{', '.join(f'{seconds:.0f}' for seconds in redelivered.values())} s; "
            f"beat probe: {probe_sends} sends in {BEAT_WINDOW} s; "
            f"readiness {readiness}"
        )
    assert ingester.accepted == ITEMS
    assert report["items"] == TOTAL
    assert report["triaged"] == TOTAL
    assert report["triage_records"] == TOTAL
    assert report["items_with_other_than_one_record"] == 0
    assert report["pending_triage_rows"] == 0
    assert redelivered, "no message w1 held was delivered again: the cut did not test redelivery"
    assert report["themes_at_mark"] == THEMES
    assert report["escalations"] == THEMES
    assert report["slack_sent"] == THEMES and report["slack_not_sent"] == 0
    assert len(slack.received) == THEMES and slack.repeated() == []
    assert BEAT_WINDOW / PROBE_EVERY - 1 <= probe_sends <= BEAT_WINDOW / PROBE_EVERY + 1
    assert holders, "no beat took the scheduler lock"  # the sends above show that only one of them sent
    assert readiness == [200, 503, 200, 503, 200]
    assert anonymous_metrics in (401, 403)
    assert with_token[0] == 200 and b"feedbackhub_" in with_token[1]
