"""Each token has its own request budget, counted in the real Redis cache; past it, 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from integrations.choices import Scope
from integrations.throttles import TokenRateThrottle
from tests.integrations.conftest import call

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.integrations.probe_urls")]

URL = "/api/groups/"


@pytest.fixture
def rate(settings):
    """Three requests a minute per token (the setting is read per request)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/min"}}


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand: ``clock["now"] += 30``."""
    now = {"now": 1_000_000.0}
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: now["now"])
    return now


def test_given_a_token_past_its_budget_then_429_with_retry_after(client, make_key, rate, clock):
    key = make_key([Scope.READ])

    statuses = [call(client, "get", URL, key=key).status_code for _ in range(3)]
    clock["now"] += 20
    refused = call(client, "get", URL, key=key)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"  # the first request leaves the one-minute window in 40 s
    assert "throttled" in refused.json()["detail"].lower()


def test_given_the_wait_is_over_then_the_token_gets_through_again(client, make_key, rate, clock):
    key = make_key([Scope.READ])
    for _ in range(3):
        call(client, "get", URL, key=key)

    clock["now"] += 61

    assert call(client, "get", URL, key=key).status_code == 200


def test_given_one_token_throttled_then_another_token_is_not(client, make_key, rate, clock):
    busy, quiet = make_key([Scope.READ]), make_key([Scope.READ])
    for _ in range(4):
        call(client, "get", URL, key=busy)

    assert call(client, "get", URL, key=busy).status_code == 429
    assert call(client, "get", URL, key=quiet).status_code == 200


def test_given_token_requests_then_the_count_is_kept_in_the_shared_cache_by_prefix(client, make_key, rate, clock):
    key = make_key([Scope.READ])

    call(client, "get", URL, key=key)
    call(client, "get", URL, key=key)

    assert cache.get(f"throttle:token:{key.split('_')[1]}") == [clock["now"], clock["now"]]
    assert not any(key.split("_", 2)[2] in str(k) for k in cache._cache.get_client().keys("*"))


def test_given_the_rate_lowered_below_the_requests_already_counted_then_retry_after_is_still_said(
    client, make_key, settings, clock
):
    key = make_key([Scope.READ])
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "5/min"}}
    for _ in range(5):
        call(client, "get", URL, key=key)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "2/min"}}
    clock["now"] += 10

    refused = call(client, "get", URL, key=key)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"


def test_given_a_session_user_then_the_token_throttle_does_not_count_them(client, django_user_model, rate):
    admin = django_user_model.objects.create_superuser(username="admin", password="x")
    client.force_login(admin)

    assert [client.get(URL).status_code for _ in range(5)] == [200] * 5


def test_given_the_cache_unreachable_then_requests_go_through_unthrottled(client, make_key, rate, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "unix:///nonexistent/redis.sock"}}
    key = make_key([Scope.READ])

    statuses = [call(client, "get", URL, key=key).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]  # not a 500, and nothing counted to refuse the fourth
