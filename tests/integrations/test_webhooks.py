"""The webhook endpoints: signed deliveries are stored raw and queued; anything else gets a 4xx that says why."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from django.test import Client
from kombu.exceptions import OperationalError

from feedback.models import FeedbackItem
from integrations import signatures
from integrations.choices import DeliveryStatus
from integrations.models import WebhookDelivery
from integrations.tasks import process_delivery
from tests.integrations.payloads import raw

SECRETS = {
    "slack": "slack-secret",
    "github": "github-secret",
    "intercom": "intercom-secret",
    "zendesk": "zendesk-secret",
    "linear": "linear-secret",
    "call": "call-secret",
    "crm": "crm-secret",
}
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.WEBHOOK_SECRETS = dict(SECRETS)


@pytest.fixture
def queued(monkeypatch):
    """The ids handed to the queue (``process_delivery.delay``), instead of a broker."""
    ids = []
    monkeypatch.setattr(process_delivery, "delay", ids.append)
    return ids


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # the endpoints are CSRF-exempt: the signature is the authentication


def post(client, source: str, body: bytes, headers: dict, content_type="application/json"):
    return client.post(f"/api/webhooks/{source}/", data=body, content_type=content_type, headers=headers)


def github_headers(body: bytes, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958", event="issues"):
    return {
        "X-Hub-Signature-256": signatures.github_signature(SECRETS["github"], body),
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": event,
        "User-Agent": "GitHub-Hookshot/044aadd",
    }


def slack_headers(body: bytes, at: int | None = None):
    stamp = str(at or int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signatures.slack_signature("slack-secret", stamp, body),
    }


def test_given_a_signed_github_delivery_then_it_is_stored_raw_and_queued_not_processed(
    client, queued, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    body = raw("github_issues_opened.json")

    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(3):
        response = post(client, "github", body, github_headers(body))

    assert response.status_code == 202
    assert response.json() == {"status": "queued", "delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.body.encode() == body  # byte for byte
    assert delivery.payload["issue"]["number"] == 42
    assert (delivery.source, delivery.event, delivery.status) == ("github", "issues.opened", DeliveryStatus.QUEUED)
    assert delivery.headers["X-GitHub-Event"] == "issues" and "Cookie" not in delivery.headers
    assert queued == [delivery.pk]  # handed to the queue after the commit ...
    assert not FeedbackItem.objects.exists()  # ... and nothing taken in inline


def test_given_the_broker_unreachable_then_a_signed_delivery_is_still_accepted_and_waits_queued(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(process_delivery, "delay", broker_down)
    body = raw("github_issues_opened.json")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "github", body, github_headers(body))

    assert response.status_code == 202  # the vendor does not retry into a 500; the minute sweep queues it later
    assert WebhookDelivery.objects.get().status == DeliveryStatus.QUEUED


def test_given_a_wrong_signature_then_401_says_so_and_nothing_is_stored(client, queued):
    body = raw("github_issues_opened.json")
    headers = github_headers(body) | {"X-Hub-Signature-256": signatures.github_signature("guessed", body)}

    response = post(client, "github", body, headers)

    assert response.status_code == 401
    assert "does not match" in response.json()["error"]
    assert not WebhookDelivery.objects.exists() and queued == []


def test_given_no_signature_header_then_400_names_the_header(client):
    response = post(client, "intercom", raw("intercom_conversation_user_created.json"), {})

    assert response.status_code == 400
    assert "X-Hub-Signature header is missing" in response.json()["error"]


def test_given_a_slack_delivery_signed_ten_minutes_ago_then_it_is_refused_as_a_replay(client, queued):
    body = raw("slack_reaction_added.json")

    response = post(client, "slack", body, slack_headers(body, at=int(time.time()) - 600))

    assert response.status_code == 401
    assert "replay" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_given_the_same_github_delivery_twice_then_the_second_is_answered_duplicate_and_not_queued_again(
    client, queued, django_capture_on_commit_callbacks
):
    body = raw("github_issues_opened.json")

    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, "github", body, github_headers(body))
        again = post(client, "github", body, github_headers(body))

    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert WebhookDelivery.objects.count() == 1 and len(queued) == 1


def test_given_a_source_whose_secret_is_unset_then_503_names_the_setting(client, settings):
    settings.WEBHOOK_SECRETS = {**SECRETS, "linear": ""}

    response = post(client, "linear", raw("linear_issue_state_changed.json"), {"Linear-Signature": "00"})

    assert response.status_code == 503
    assert "LINEAR_WEBHOOK_SECRET" in response.json()["error"]


def test_given_an_unknown_source_or_a_get_then_404_and_405(client):
    assert post(client, "jira", b"{}", {}).status_code == 404
    assert client.get("/api/webhooks/github/").status_code == 405


def test_given_slacks_url_check_then_the_challenge_is_echoed_and_nothing_stored(client):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})

    response = post(client, "slack", body.encode(), slack_headers(body.encode()))

    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert not WebhookDelivery.objects.exists()


def test_given_the_feedback_slash_command_then_slack_gets_a_reply_and_the_form_is_queued(
    client, queued, django_capture_on_commit_callbacks
):
    body = raw("slack_slash_command.txt")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "slack", body, slack_headers(body), "application/x-www-form-urlencoded")

    assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["text"] == "Acme wants SSO with Okta groups"
    assert (delivery.event, delivery.delivery_id) == ("/feedback", "13345224609.738474920.8088930838d88f008e0")
    assert queued == [delivery.pk]


@pytest.mark.parametrize(
    ("source", "fixture", "headers", "delivery_id"),
    [
        (
            "intercom",
            "intercom_conversation_user_created.json",
            lambda body: {"X-Hub-Signature": signatures.intercom_signature("intercom-secret", body)},
            "notif_ccd8a4d2-6d2f-4b4a-9a4e-7a1d2c3e4f50",
        ),
        (
            "zendesk",
            "zendesk_ticket_created.json",
            lambda body: {
                "X-Zendesk-Webhook-Signature-Timestamp": (stamp := datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
                "X-Zendesk-Webhook-Signature": signatures.zendesk_signature("zendesk-secret", stamp, body),
            },
            "cbe4028c-7239-495d-b020-f22348516046",
        ),
        (
            "call",
            "call_transcript.json",
            lambda body: {
                "X-FeedbackHub-Timestamp": (stamp := str(int(time.time()))),
                "X-FeedbackHub-Signature": signatures.hub_signature("call-secret", stamp, body),
            },
            "call_8817",
        ),
    ],
    ids=["intercom", "zendesk", "call"],
)
def test_given_each_vendors_signed_delivery_then_it_is_accepted(client, queued, source, fixture, headers, delivery_id):
    body = raw(fixture)

    response = post(client, source, body, headers(body))

    assert response.status_code == 202, response.content
    assert WebhookDelivery.objects.get().delivery_id == delivery_id


def test_given_a_fresh_linear_delivery_then_it_is_accepted_and_a_stale_one_refused(client, queued):
    payload = json.loads(raw("linear_issue_state_changed.json"))
    fresh = json.dumps({**payload, "webhookTimestamp": int(time.time() * 1000)}).encode()
    stale = raw("linear_issue_state_changed.json")  # signed long ago

    accepted = post(client, "linear", fresh, {"Linear-Signature": signatures.linear_signature("linear-secret", fresh)})
    refused = post(client, "linear", stale, {"Linear-Signature": signatures.linear_signature("linear-secret", stale)})

    assert accepted.status_code == 202 and WebhookDelivery.objects.get().event == "Issue.update"
    assert refused.status_code == 401 and "replay" in refused.json()["error"]


def test_given_a_signed_body_with_a_nul_character_then_400_instead_of_a_database_error(client, queued):
    body = b'{"action": "opened", "issue": {"title": "a\\u0000b"}}'

    response = post(client, "github", body, github_headers(body))

    assert response.status_code == 400 and "NUL" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()
