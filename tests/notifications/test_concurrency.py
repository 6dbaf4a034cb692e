"""Several workers at once: two delivering one notification post it once; a real Celery worker on Redis delivers
what ``enqueue`` queued on commit. These tests commit (``transaction=True``): each thread has its own connection."""

from __future__ import annotations

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, transaction

from feedbackhub.celery import app
from notifications import delivery
from notifications.choices import Channel, Kind, Status
from notifications.models import Notification
from notifications.services import enqueue
from tests.notifications.slack_stub import Reply, slack_fixture  # noqa: F401 — the `slack` fixture

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work) -> list:
    """Run ``work()`` in ``count`` threads started together, each with its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as error:  # noqa: BLE001 — shown in the assertion
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_given_two_workers_delivering_the_same_notification_at_once_then_slack_gets_one_post(slack):
    slack.reply(Reply(200, "ok", delay=0.5))  # the first post is slow: the second worker arrives while it is in flight
    notification = Notification.objects.create(
        key="race", kind=Kind.ALERT, channel=Channel.SLACK, recipient="product", body="Churn risk: Acme"
    )

    outcomes = in_threads(2, lambda: delivery.deliver(notification.pk))

    notification.refresh_from_db()
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(slack.carrying("Churn risk: Acme")) == 1
    assert (notification.status, notification.attempts) == (Status.SENT, 1)


def test_given_many_sweeps_at_once_then_each_due_notification_is_posted_once(slack):
    for n in range(6):
        Notification.objects.create(key=f"sweep-{n}", channel=Channel.SLACK, recipient="product", body=f"message {n}")

    sent = in_threads(3, delivery.deliver_due)

    assert sum(sent) == 6 and len(slack.posts) == 6
    assert sorted(post.body["text"] for post in slack.posts) == [f"message {n}" for n in range(6)]
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_given_a_notification_enqueued_in_a_change_then_a_celery_worker_on_redis_delivers_it_to_slack(slack):
    app.control.purge()
    with transaction.atomic():  # committed: sent to Redis on commit
        notification, _ = enqueue(
            key="worker:1", kind=Kind.CHANGELOG, channel=Channel.SLACK, recipient="product", body="Shipped: SSO"
        )

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            notification.refresh_from_db()
            if notification.status not in (Status.PENDING, Status.SENDING):
                break
            time.sleep(0.1)

    assert slack.accepted("Shipped: SSO") == 1
    assert notification.status == Status.SENT
