"""The survey link's per-address throttle reads the client address as the capture endpoint does
(``feedbackhub.client_address``, through ``REST_FRAMEWORK["NUM_PROXIES"]``): behind our proxy each poster has their
own bucket; without a proxy setting a forged ``X-Forwarded-For`` picks no new one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from feedbackhub.client_address import client_address
from insights import journey_views, journeys
from insights.models import JourneySurvey
from tests.factories import make_customer
from tests.insights.journey_data import sent_invitation

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"  # the TLS proxy: every request arrives from it


def proxies(n: int):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": n})


@pytest.fixture(autouse=True)
def defaults_off():
    JourneySurvey.objects.update(enabled=False)


@pytest.fixture
def links(monkeypatch):
    """Four sent links, and a per-address limit of 2 posts (the per-link limit stays out of the way)."""
    monkeypatch.setattr(journey_views, "ADDRESS_LIMIT", 2)
    customer = make_customer()
    return [journeys.token_for(sent_invitation(customer)) for _ in range(4)]


def post(token: str, forwarded_for: str | None) -> int:
    """One anonymous post of an empty form to ``token`` through the proxy, as ``forwarded_for``; its status."""
    extra = {"REMOTE_ADDR": PROXY} | ({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})
    return Client().post(reverse("journeys:answer", args=[token]), {}, **extra).status_code


def test_given_one_proxy_then_two_posters_behind_it_get_separate_buckets(links):
    with proxies(1):
        alice = [post(token, "203.0.113.7") for token in links[:3]]
        bob = post(links[3], "198.51.100.9")

    assert alice == [400, 400, 429]  # their own form back, with its errors, twice; then the address's limit
    assert bob == 400  # not Alice's bucket, though the same proxy sent it


def test_given_one_proxy_then_what_the_client_wrote_before_the_proxy_s_address_picks_no_new_bucket(links):
    with proxies(1):
        codes = [post(token, f"192.0.2.{n}, 203.0.113.7") for n, token in enumerate(links[:3])]

    assert codes == [400, 400, 429]  # the proxy appended 203.0.113.7: that is the bucket, whatever came before


def test_given_no_proxy_setting_then_a_forged_forwarded_for_picks_no_new_bucket(links):
    with proxies(0):
        codes = [post(token, f"192.0.2.{n}") for n, token in enumerate(links[:3])]

    assert codes == [400, 400, 429]  # one bucket: the connection's address


def test_given_both_public_doors_then_they_read_the_same_helper():
    from integrations import capture_views

    assert capture_views.client_address is client_address is journey_views.client_address


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "expected"),
    [
        (0, "192.0.2.1", PROXY),
        (1, None, PROXY),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1,  203.0.113.7 ", "203.0.113.7"),
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, ",", PROXY),  # an empty reading: the connection's address, not one bucket for every such request
    ],
)
def test_given_a_request_then_the_address_is_read_through_num_proxies(num_proxies, forwarded_for, expected):
    extra = {"REMOTE_ADDR": PROXY} | ({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})
    with proxies(num_proxies):
        assert client_address(RequestFactory().get("/", **extra)) == expected
