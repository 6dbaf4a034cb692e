"""Captures are rate limited per key and per client IP in the real Redis cache: 429 with Retry-After past either rate;
with Redis down they are let through (and logged), as the API's token throttle is."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from feedback.models import FeedbackItem
from integrations import capture
from tests.integrations.test_capture import FEEDBACK, ORIGIN, post

pytestmark = pytest.mark.django_db

THUMBS = {"kind": "thumbs_up", "feature": "exports"}


@pytest.fixture
def key():
    return capture.create_capture_key(name="Le Chat web", product="le_chat", allowed_origins=[ORIGIN])


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, moved by hand: 10 s into a one-minute window."""
    now = {"now": 1_000_010.0 - 1_000_010.0 % 60 + 10}
    monkeypatch.setattr(capture, "clock", lambda: now["now"])
    return now


def rates(settings, *, per_key="1000/min", per_ip="1000/min"):
    settings.CAPTURE_KEY_RATE, settings.CAPTURE_IP_RATE = per_key, per_ip


def test_given_a_key_past_its_rate_then_429_with_retry_after_whatever_the_ip(client, key, settings, clock):
    rates(settings, per_key="3/min")

    statuses = [post(client, key, THUMBS, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(3)]
    refused = post(client, key, THUMBS, REMOTE_ADDR="10.0.0.9")

    assert statuses == [202, 202, 202]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"  # the window ends 50 s after the clock's 10th second
    assert refused["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read it
    assert "Retry-After" in refused["Access-Control-Expose-Headers"]


def test_given_an_ip_past_its_rate_then_it_waits_and_another_ip_does_not(client, key, settings, clock):
    rates(settings, per_ip="2/min")

    first = [post(client, key, FEEDBACK, REMOTE_ADDR="192.0.2.1").status_code for _ in range(3)]
    other = post(client, key, FEEDBACK, REMOTE_ADDR="192.0.2.2")

    assert first == [202, 202, 429]
    assert other.status_code == 202
    assert FeedbackItem.objects.count() == 3


def test_given_the_window_is_over_then_the_ip_gets_through_again(client, key, settings, clock):
    rates(settings, per_ip="1/min")
    post(client, key, THUMBS, REMOTE_ADDR="192.0.2.1")
    assert post(client, key, THUMBS, REMOTE_ADDR="192.0.2.1").status_code == 429

    clock["now"] += 50

    assert post(client, key, THUMBS, REMOTE_ADDR="192.0.2.1").status_code == 202


def test_given_captures_then_the_counts_are_in_the_shared_cache_by_key_id_and_ip(client, key, settings, clock):
    rates(settings)

    post(client, key, THUMBS, REMOTE_ADDR="192.0.2.7")

    start = int(clock["now"] // 60) * 60
    assert cache.get(f"capture:throttle:key:{key.pk}:{start}") == 1
    assert cache.get(f"capture:throttle:ip:192.0.2.7:{start}") == 1


def test_given_redis_down_then_captures_are_let_through_and_logged(client, key, settings, monkeypatch, caplog):
    rates(settings, per_key="1/min", per_ip="1/min")

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "add", down)
    with caplog.at_level(logging.WARNING, logger="integrations.capture"):
        statuses = [post(client, key, THUMBS).status_code for _ in range(3)]

    assert statuses == [202, 202, 202]
    assert "Capture rate not checked" in caplog.text


def test_given_no_proxy_then_a_forwarded_for_header_the_client_wrote_does_not_pick_its_bucket(
    client, key, settings, clock
):
    rates(settings, per_ip="2/min")
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0  # the default (NUM_PROXIES unset)

    spoofed = [
        post(client, key, THUMBS, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]

    assert spoofed == [202, 202, 429]
    start = int(clock["now"] // 60) * 60
    assert cache.get(f"capture:throttle:ip:192.0.2.1:{start}") == 3


def test_given_one_proxy_then_the_address_it_appended_is_counted_not_what_the_client_wrote_before_it(
    client, key, settings, clock
):
    rates(settings, per_ip="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def through_proxy(written: str, seen: str) -> int:
        forwarded = f"{written}, {seen}"  # the client's header, then the address the load balancer saw
        return post(client, key, THUMBS, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).status_code

    same_client = [through_proxy(f"203.0.113.{n}", "198.51.100.7") for n in range(3)]
    another_client = through_proxy("203.0.113.1", "198.51.100.8")

    assert same_client == [202, 202, 429]
    assert another_client == 202  # the proxy's own address (REMOTE_ADDR) is not everyone's bucket
