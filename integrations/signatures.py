"""How each source signs its webhooks, and the checks that prove a delivery is genuine and fresh.

Every scheme is the vendor's own (their docs are linked); every comparison is constant-time (``hmac.compare_digest``).
A check raises ``SignatureError`` with the HTTP status to answer and a message that says what was wrong; it returns
nothing when the delivery is genuine. Where the vendor signs a timestamp (Slack, Zendesk, Linear, FeedbackHub's own
scheme) a delivery older or newer than the tolerance is refused as a replay; where it signs none (GitHub, Intercom)
replays are caught by the delivery id (``integrations.webhooks``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime

# Slack: "If the timestamp is more than five minutes from local time, it could be a replay attack"; we use the
# same five minutes for Zendesk and the hub's own scheme. Linear asks for one minute ("webhookTimestamp").
TOLERANCE_SECONDS = 5 * 60
LINEAR_TOLERANCE_SECONDS = 60


class SignatureError(Exception):
    """The delivery is refused: ``status`` is the HTTP status to answer (400 malformed, 401 not genuine or stale)."""

    def __init__(self, message: str, *, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


def _header(headers: Mapping[str, str], name: str) -> str:
    """The header ``name`` (case-insensitive), or a 400 naming it when it is missing."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted and value:
            return value.strip()
    raise SignatureError(f"The {name} header is missing: this endpoint only accepts signed deliveries.", status=400)


def _hmac(secret: str, message: bytes, digest=hashlib.sha256) -> hmac.HMAC:
    return hmac.new(secret.encode(), message, digest)


def _same(expected: str, given: str, *, scheme: str) -> None:
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureError(f"The {scheme} signature does not match this body: wrong secret or altered payload.")


def _fresh(signed_at: float, *, now: float | None, tolerance: int, scheme: str) -> None:
    skew = abs((time.time() if now is None else now) - signed_at)
    if skew > tolerance:
        raise SignatureError(
            f"The {scheme} timestamp is {int(skew)} s away from now (more than {tolerance} s): "
            "refused as a replay or a clock problem."
        )


# --- Slack: v0 HMAC-SHA256 of "v0:<timestamp>:<body>" ------------------------------------------------------------
# https://api.slack.com/authentication/verifying-requests-from-slack


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` Slack sends for ``body`` at ``timestamp``."""
    return "v0=" + _hmac(secret, b"v0:" + timestamp.encode() + b":" + body).hexdigest()


def verify_slack(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Slack's signing secret scheme, with a five-minute timestamp tolerance."""
    timestamp = _header(headers, "X-Slack-Request-Timestamp")
    signature = _header(headers, "X-Slack-Signature")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise SignatureError("X-Slack-Request-Timestamp is not a Unix time.", status=400) from None
    _fresh(signed_at, now=now, tolerance=TOLERANCE_SECONDS, scheme="Slack")
    _same(slack_signature(secret, timestamp, body), signature, scheme="Slack")


# --- GitHub: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(body) ---------------------------------------------
# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries


def github_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` GitHub sends for ``body``."""
    return "sha256=" + _hmac(secret, body).hexdigest()


def verify_github(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """GitHub's SHA-256 signature (the legacy SHA-1 ``X-Hub-Signature`` is not accepted). GitHub signs no time."""
    _same(github_signature(secret, body), _header(headers, "X-Hub-Signature-256"), scheme="GitHub")


# --- Intercom: X-Hub-Signature = "sha1=" + hex HMAC-SHA1(body), keyed with the app's client secret -----------------
# https://developers.intercom.com/docs/webhooks/setting-up-webhooks (Signed notifications)


def intercom_signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature`` Intercom sends for ``body``."""
    return "sha1=" + _hmac(secret, body, hashlib.sha1).hexdigest()


def verify_intercom(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Intercom's SHA-1 signature keyed with the app's client secret. Intercom signs no time."""
    _same(intercom_signature(secret, body), _header(headers, "X-Hub-Signature"), scheme="Intercom")


# --- Zendesk: base64 HMAC-SHA256 of timestamp + body -------------------------------------------------------------
# https://developer.zendesk.com/documentation/webhooks/verifying/


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Zendesk-Webhook-Signature`` Zendesk sends for ``body`` at ``timestamp``."""
    return base64.b64encode(_hmac(secret, timestamp.encode() + body).digest()).decode()


def verify_zendesk(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Zendesk's signature plus its ISO-8601 signature timestamp, with a five-minute tolerance."""
    timestamp = _header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
    signature = _header(headers, "X-Zendesk-Webhook-Signature")
    try:
        signed_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not an ISO-8601 time.", status=400) from None
    _fresh(signed_at, now=now, tolerance=TOLERANCE_SECONDS, scheme="Zendesk")
    _same(zendesk_signature(secret, timestamp, body), signature, scheme="Zendesk")


# --- Linear: Linear-Signature = hex HMAC-SHA256(body); the body's webhookTimestamp (ms) within a minute ------------
# https://linear.app/developers/webhooks#securing-webhooks


def linear_signature(secret: str, body: bytes) -> str:
    """The ``Linear-Signature`` Linear sends for ``body``."""
    return _hmac(secret, body).hexdigest()


def verify_linear(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """Linear's signature, then the signed body's ``webhookTimestamp`` (milliseconds) within one minute."""
    _same(linear_signature(secret, body), _header(headers, "Linear-Signature"), scheme="Linear")
    try:
        signed_at = int(json.loads(body)["webhookTimestamp"]) / 1000
    except (ValueError, KeyError, TypeError):
        raise SignatureError("The Linear payload has no webhookTimestamp: cannot tell a replay.", status=400) from None
    _fresh(signed_at, now=now, tolerance=LINEAR_TOLERANCE_SECONDS, scheme="Linear")


# --- FeedbackHub's own scheme, for senders with no standard one (call recorders, CRM exports, relays) --------------
# X-FeedbackHub-Timestamp: Unix seconds; X-FeedbackHub-Signature: "sha256=" + hex HMAC-SHA256("<timestamp>.<body>").


def hub_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-FeedbackHub-Signature`` a sender computes for ``body`` at ``timestamp``."""
    return "sha256=" + _hmac(secret, timestamp.encode() + b"." + body).hexdigest()


def verify_hub(secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
    """The hub's scheme (Stripe-like: the timestamp is signed with the body), with a five-minute tolerance."""
    timestamp = _header(headers, "X-FeedbackHub-Timestamp")
    signature = _header(headers, "X-FeedbackHub-Signature")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise SignatureError("X-FeedbackHub-Timestamp is not a Unix time.", status=400) from None
    _fresh(signed_at, now=now, tolerance=TOLERANCE_SECONDS, scheme="FeedbackHub")
    _same(hub_signature(secret, timestamp, body), signature, scheme="FeedbackHub")
