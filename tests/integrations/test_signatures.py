"""Each vendor's signature scheme, checked against the vendor's published test vector where one exists."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from integrations import signatures
from integrations.signatures import SignatureError

# Slack's worked example, "Verifying requests from Slack" (https://api.slack.com/authentication/verifying-requests-
# from-slack, also docs.slack.dev): signing secret, timestamp, slash-command body and the X-Slack-Signature it gives.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

# GitHub's "Testing the webhook payload validation" values, "Validating webhook deliveries"
# (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

# Intercom, Zendesk and Linear publish the scheme but no test vector: their expected values below are computed here
# with the standard library from the documented formula, independently of the code under test.
NOW = 1_764_944_400


def test_given_slacks_published_example_when_verified_at_its_time_then_it_passes():
    signatures.verify_slack(
        SLACK_SECRET,
        {"X-Slack-Request-Timestamp": SLACK_TIMESTAMP, "X-Slack-Signature": SLACK_SIGNATURE},
        SLACK_BODY,
        now=int(SLACK_TIMESTAMP) + 10,
    )

    assert signatures.slack_signature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_SIGNATURE


def test_given_slacks_example_when_one_byte_of_the_body_changes_then_it_is_refused_with_401():
    with pytest.raises(SignatureError) as refused:
        signatures.verify_slack(
            SLACK_SECRET,
            {"X-Slack-Request-Timestamp": SLACK_TIMESTAMP, "X-Slack-Signature": SLACK_SIGNATURE},
            SLACK_BODY.replace(b"foobar", b"foobaz"),
            now=int(SLACK_TIMESTAMP),
        )

    assert refused.value.status == 401 and "does not match" in refused.value.message


def test_given_slacks_example_when_verified_six_minutes_later_then_it_is_refused_as_a_replay():
    with pytest.raises(SignatureError) as refused:
        signatures.verify_slack(
            SLACK_SECRET,
            {"X-Slack-Request-Timestamp": SLACK_TIMESTAMP, "X-Slack-Signature": SLACK_SIGNATURE},
            SLACK_BODY,
            now=int(SLACK_TIMESTAMP) + 6 * 60,
        )

    assert refused.value.status == 401 and "replay" in refused.value.message


def test_given_githubs_published_values_then_the_signature_matches_and_verifies():
    assert signatures.github_signature(GITHUB_SECRET, GITHUB_BODY) == GITHUB_SIGNATURE

    signatures.verify_github(GITHUB_SECRET, {"X-Hub-Signature-256": GITHUB_SIGNATURE}, GITHUB_BODY)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Hub-Signature-256": GITHUB_SIGNATURE.replace("7571", "7572")}, 401),
        ({"X-Hub-Signature-256": GITHUB_SIGNATURE.removeprefix("sha256=")}, 401),
        ({}, 400),
    ],
    ids=["altered", "no-prefix", "missing"],
)
def test_given_a_wrong_or_missing_github_signature_then_it_is_refused(headers, status):
    with pytest.raises(SignatureError) as refused:
        signatures.verify_github(GITHUB_SECRET, headers, GITHUB_BODY)

    assert refused.value.status == status


def test_given_an_intercom_notification_then_its_sha1_signature_verifies_and_a_sha256_one_does_not():
    body = b'{"type":"notification_event","id":"notif_1"}'
    expected = "sha1=" + hmac.new(b"client-secret", body, hashlib.sha1).hexdigest()

    signatures.verify_intercom("client-secret", {"X-Hub-Signature": expected}, body)
    with pytest.raises(SignatureError):
        signatures.verify_intercom("client-secret", {"X-Hub-Signature": signatures.github_signature("x", body)}, body)


def test_given_a_zendesk_delivery_then_timestamp_plus_body_signed_in_base64_verifies_within_five_minutes():
    body, stamp = b'{"type":"zen:event-type:ticket.created"}', "2025-12-05T14:20:00Z"
    signed_at = 1_764_944_400  # 2025-12-05T14:20:00Z
    expected = base64.b64encode(hmac.new(b"zd-secret", stamp.encode() + body, hashlib.sha256).digest()).decode()
    headers = {"X-Zendesk-Webhook-Signature": expected, "X-Zendesk-Webhook-Signature-Timestamp": stamp}

    signatures.verify_zendesk("zd-secret", headers, body, now=signed_at + 299)
    with pytest.raises(SignatureError, match="replay"):
        signatures.verify_zendesk("zd-secret", headers, body, now=signed_at + 301)
    with pytest.raises(SignatureError, match="does not match"):
        signatures.verify_zendesk("zd-secret", headers, body + b" ", now=signed_at)


def test_given_a_linear_delivery_then_the_hex_signature_and_a_webhook_timestamp_within_a_minute_are_required():
    body = json.dumps({"type": "Issue", "webhookTimestamp": NOW * 1000}).encode()
    headers = {"Linear-Signature": hmac.new(b"lin-secret", body, hashlib.sha256).hexdigest()}

    signatures.verify_linear("lin-secret", headers, body, now=NOW + 59)
    with pytest.raises(SignatureError, match="replay"):
        signatures.verify_linear("lin-secret", headers, body, now=NOW + 61)
    with pytest.raises(SignatureError, match="does not match"):
        signatures.verify_linear("other-secret", headers, body, now=NOW)


def test_given_the_hubs_own_scheme_then_timestamp_dot_body_is_signed():
    body = b'{"id":"call_1"}'
    expected = "sha256=" + hmac.new(b"hub", f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-FeedbackHub-Timestamp": str(NOW), "X-FeedbackHub-Signature": expected}

    signatures.verify_hub("hub", headers, body, now=NOW)
    with pytest.raises(SignatureError, match="replay"):
        signatures.verify_hub("hub", headers, body, now=NOW + 301)


def test_given_the_comparisons_then_they_are_constant_time(monkeypatch):
    calls = []
    original = hmac.compare_digest
    monkeypatch.setattr(signatures.hmac, "compare_digest", lambda a, b: calls.append(1) or original(a, b))

    signatures.verify_github(GITHUB_SECRET, {"X-Hub-Signature-256": GITHUB_SIGNATURE}, GITHUB_BODY)

    assert calls == [1]
