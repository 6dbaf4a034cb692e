"""Queues by kind of work, with a real worker: each task lands on its queue in Redis, and a worker role started with
``-Q notifications`` takes the notification and leaves the batch work queued (a re-embed never delays an alert).
"""

from __future__ import annotations

import pytest
import redis as redis_py

from feedback.tasks import embed_pending, triage_items
from feedbackhub.tasks import process_event
from notifications.tasks import deliver
from tests.jobs.real_worker import Worker, own_redis, sending_to, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class QueueWorker(Worker):
    """A worker of one role: it consumes only the queues it is given (``celery worker -Q …``)."""

    def __init__(self, *args, queues: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.queues = queues

    def arguments(self) -> list[str]:
        return [*super().arguments(), f"--queues={self.queues}"]


@pytest.fixture(scope="module")
def redis():
    with own_redis() as redis, sending_to(redis):
        yield redis


def depths(client: redis_py.Redis) -> dict[str, int]:
    return {name: client.llen(name) for name in ("triage", "notifications", "batch", "default", "celery")}


def test_given_tasks_of_each_kind_then_each_lands_on_its_queue_and_a_worker_takes_only_its_own(redis, tmp_path):
    client = redis_py.Redis.from_url(redis.url)
    client.flushdb()

    triage_items.delay([])
    deliver.delay(0)  # no such notification: the worker has nothing to send, and says so
    embed_pending.delay()
    process_event.delay(0)
    queued = depths(client)

    worker = QueueWorker(redis, "notifications-role", tmp_path, queues="notifications")
    try:
        worker.start()
        wait_for(lambda: client.llen("notifications") == 0 and "succeeded" in worker.log(), 60, worker.describe)
    finally:
        worker.stop()
    after = depths(client)

    assert queued == {"triage": 1, "notifications": 1, "batch": 1, "default": 1, "celery": 0}
    received = [line.split("Task ")[1].split("[")[0] for line in worker.log().splitlines() if "] received" in line]
    assert received == ["notifications.tasks.deliver"]
    assert after == {"triage": 1, "notifications": 0, "batch": 1, "default": 1, "celery": 0}
