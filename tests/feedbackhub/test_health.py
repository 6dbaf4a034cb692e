"""/healthz and /readyz: no login, nothing secret, red when the database or Redis is unreachable and green again."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from feedbackhub import embedded, health
from notifications.models import Notification
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_probe_cache(monkeypatch):
    """Each test sees its own migrations and worker answers (the probe caches them for some seconds)."""
    monkeypatch.setattr(health, "_cache", {})
    monkeypatch.setattr(health, "WORKER_PING_TIMEOUT_SECONDS", 0.1)


@pytest.fixture
def own_redis(data_root, settings):
    """A Redis of the test's own, as settings.REDIS_URL (its policy and queues are changed freely)."""
    embedded.start_redis(data_root, persistent=False)
    settings.REDIS_URL = embedded.redis_url(data_root)
    return redis.Redis.from_url(settings.REDIS_URL)


def readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def test_given_any_host_and_plain_http_when_healthz_then_ok_without_the_database(
    client, settings, django_assert_num_queries
):
    settings.SECURE_SSL_REDIRECT = True  # production: every other plain-HTTP request is redirected
    settings.ALLOWED_HOSTS = ["feedback.acme.example"]  # a load balancer probes by IP address

    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    other = client.get("/admin/", HTTP_HOST="feedback.acme.example")

    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert other.status_code == 301  # the same settings redirect a page


def test_given_everything_up_when_readyz_then_200_and_nothing_secret(client, settings):
    status, body = readyz(client)

    assert status == 200
    assert body["status"] in {"ok", "degraded"}  # no worker runs in this test: degraded
    assert {name: body["checks"][name]["ok"] for name in ("database", "migrations", "redis")} == dict.fromkeys(
        ("database", "migrations", "redis"), True
    )
    assert body["checks"]["workers"] == {"ok": False, "answering": 0}
    assert body["checks"]["beat"]["state"] == "unknown" or "last_tick_age_seconds" in body["checks"]["beat"]
    text = json.dumps(body)
    db = connection.settings_dict
    assert settings.REDIS_URL not in text and str(db["HOST"]) not in text and settings.SECRET_KEY not in text


@pytest.mark.django_db(transaction=True)  # the connection is closed: no test transaction around it
def test_given_the_database_unreachable_when_readyz_then_503_and_green_again_after(client):
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there (a closed port, or a socket that does not exist)
    try:
        status_down, body_down = readyz(client)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    status_up, body_up = readyz(client)

    assert status_down == 503
    assert body_down["status"] == "fail"
    assert body_down["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body_down["checks"]["migrations"]["ok"] is False
    assert body_down["checks"]["redis"]["ok"] is True
    assert status_up == 200
    assert body_up["checks"]["database"] == {"ok": True}


def test_given_redis_down_when_readyz_then_503_and_green_again_after(client, settings):
    redis_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # a closed port
    started = time.monotonic()
    status_down, body_down = readyz(client)
    seconds_down = time.monotonic() - started
    settings.REDIS_URL = redis_url
    status_up, body_up = readyz(client)

    assert status_down == 503
    assert body_down["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body_down["checks"]["workers"]["ok"] is None  # not asked: the broker is the same Redis
    assert body_down["checks"]["database"] == {"ok": True}
    assert seconds_down < 1
    assert status_up == 200
    assert body_up["checks"]["redis"]["ok"] is True


def test_given_unapplied_migrations_when_readyz_then_503(client, monkeypatch):
    monkeypatch.setattr(health, "_unapplied_migrations", lambda: 2)

    status, body = readyz(client)

    assert status == 503
    assert body["checks"]["migrations"] == {"ok": False, "unapplied": 2}


def test_given_the_migrations_result_when_asked_again_soon_then_it_is_not_computed_again(monkeypatch):
    calls = []
    monkeypatch.setattr(health, "_unapplied_migrations", lambda: calls.append(1) or 0)

    health.check_migrations()
    health.check_migrations()

    assert calls == [1]


def test_given_a_redis_that_may_evict_when_readyz_then_degraded_with_a_warning(client, own_redis):
    own_redis.config_set("maxmemory-policy", "allkeys-lru")

    status, body = readyz(client)

    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["maxmemory_policy"] == "allkeys-lru"
    assert "noeviction" in body["checks"]["redis"]["warning"]


def test_given_queued_tasks_when_readyz_then_each_queue_depth_counts_its_priority_lists(client, own_redis, settings):
    from kombu import Queue

    settings.CELERY_TASK_QUEUES = [Queue("celery"), Queue("notifications")]
    settings.CELERY_TASK_DEFAULT_QUEUE = "celery"
    own_redis.rpush("celery", "a", "b")
    own_redis.rpush("notifications", "c")
    own_redis.rpush("notifications\x06\x166", "d")

    status, body = readyz(client)

    assert body["checks"]["queues"] == {"ok": True, "depths": {"celery": 2, "notifications": 2}}


def test_given_beat_ticked_or_not_when_readyz_then_its_age_or_unknown(client):
    status_unknown, body_unknown = readyz(client)
    cache.set("beat:last_tick", (timezone.now() - timedelta(seconds=12)).isoformat())  # as feedbackhub.beat writes it
    _, body_fresh = readyz(client)
    cache.set("beat:last_tick", "2020-01-01T00:00:00+00:00")
    _, body_stale = readyz(client)

    assert status_unknown == 200
    assert body_unknown["checks"]["beat"] == {"ok": None, "state": "unknown"}
    assert body_fresh["checks"]["beat"]["ok"] is True
    assert 11 <= body_fresh["checks"]["beat"]["last_tick_age_seconds"] < 60
    assert body_stale["checks"]["beat"]["ok"] is False
    assert body_stale["status"] == "degraded"


def test_given_pending_and_failed_notifications_and_untriaged_items_then_the_backlog_counts_them(monkeypatch):
    for n in range(3):
        Notification.objects.create(key=f"p{n}-{uuid.uuid4()}", channel="email", recipient="a@b.example", body="x")
    Notification.objects.create(
        key=f"f-{uuid.uuid4()}", channel="email", recipient="a@b.example", body="x", status="failed"
    )
    make_feedback()

    exact = health.backlog_counts()
    monkeypatch.setattr(health, "EXACT_COUNT_UP_TO", 1)
    capped = health.backlog_counts()

    assert exact == {"outbox_pending": 3, "outbox_failed": 1, "triage_backlog": 1}
    assert capped["outbox_pending"] >= 2  # past the cap: the planner's estimate, never less than what was counted
    assert capped["outbox_failed"] == 1


def test_given_the_beat_lock_then_readiness_reads_the_key_it_writes():
    from feedbackhub.beat import LAST_TICK_CACHE_KEY

    assert health.BEAT_LAST_TICK_KEY == LAST_TICK_CACHE_KEY
