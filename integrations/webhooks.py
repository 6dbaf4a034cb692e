"""Webhook endpoints, one per source at ``/api/webhooks/<source>/``: check the vendor's signature, store, queue.

The signature is the authentication (no session, no token, no CSRF). A delivery is refused with a 4xx that says
why: 400 malformed (a signature header or the delivery id missing, a body that is not JSON), 401 a signature that
does not match or a timestamp outside the tolerance (a replay), 404 an unknown source, 503 a source whose secret is
not set (the endpoint never accepts unsigned data). A genuine delivery is stored raw and answered at once (202, or
200 for Slack, which wants a 200); a worker does the rest (``integrations.tasks.process_delivery``).

Replays by delivery id: the same ``(source, delivery id)`` again is answered **200 ``{"status": "duplicate"}``** and
not processed again. A 2xx, not a 409, because vendors resend a delivery whose answer they missed (Intercom, Slack
and Zendesk retry every non-2xx and turn a webhook off after repeated failures) and a resent delivery must not look
like a failure; an attacker's replay gains nothing either way, since nothing runs twice. GitHub and Intercom sign no
timestamp, so for them the delivery id is the only replay check; the others are also held to their time window.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import signatures
from integrations.models import WebhookDelivery
from integrations.tasks import process_delivery

log = logging.getLogger(__name__)

Headers = Mapping[str, str]


@dataclass(frozen=True)
class Receiver:
    """How one source's deliveries are checked and named."""

    verify: Callable[..., None]
    secret_setting: str  # the environment variable that holds the secret (named in the 503)
    delivery_id: Callable[[Headers, dict], str]
    event: Callable[[Headers, dict], str]
    kept_headers: tuple[str, ...]


def _slack_id(headers: Headers, payload: dict) -> str:
    return str(payload.get("event_id") or payload.get("trigger_id") or "")


def _slack_event(headers: Headers, payload: dict) -> str:
    return payload.get("command") or (payload.get("event") or {}).get("type") or payload.get("type", "")


def _github_event(headers: Headers, payload: dict) -> str:
    name = headers.get("X-GitHub-Event", "")
    return f"{name}.{payload['action']}" if payload.get("action") else name


def _linear_id(headers: Headers, payload: dict) -> str:
    if headers.get("Linear-Delivery"):
        return headers["Linear-Delivery"]
    return f"{payload.get('webhookId', '')}:{payload.get('webhookTimestamp', '')}" if payload.get("webhookId") else ""


def _hub_id(headers: Headers, payload: dict) -> str:
    return headers.get("X-FeedbackHub-Delivery") or str(payload.get("id") or "")


HUB_HEADERS = ("X-FeedbackHub-Delivery", "X-FeedbackHub-Timestamp", "X-FeedbackHub-Signature")
RECEIVERS: dict[str, Receiver] = {
    "slack": Receiver(
        signatures.verify_slack,
        "SLACK_SIGNING_SECRET",
        _slack_id,
        _slack_event,
        ("X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num", "X-Slack-Retry-Reason"),
    ),
    "github": Receiver(
        signatures.verify_github,
        "GITHUB_WEBHOOK_SECRET",
        lambda headers, payload: headers.get("X-GitHub-Delivery", ""),
        _github_event,
        ("X-GitHub-Delivery", "X-GitHub-Event", "X-GitHub-Hook-ID", "X-Hub-Signature-256"),
    ),
    "intercom": Receiver(
        signatures.verify_intercom,
        "INTERCOM_CLIENT_SECRET",
        lambda headers, payload: str(payload.get("id") or ""),
        lambda headers, payload: payload.get("topic", ""),
        ("X-Hub-Signature",),
    ),
    "zendesk": Receiver(
        signatures.verify_zendesk,
        "ZENDESK_WEBHOOK_SECRET",
        lambda headers, payload: str(payload.get("id") or headers.get("X-Zendesk-Webhook-Invocation-Id", "")),
        lambda headers, payload: payload.get("type", ""),
        (
            "X-Zendesk-Webhook-Id",
            "X-Zendesk-Webhook-Invocation-Id",
            "X-Zendesk-Webhook-Signature",
            "X-Zendesk-Webhook-Signature-Timestamp",
        ),
    ),
    "linear": Receiver(
        signatures.verify_linear,
        "LINEAR_WEBHOOK_SECRET",
        _linear_id,
        lambda headers, payload: ".".join(filter(None, [payload.get("type"), payload.get("action")])),
        ("Linear-Delivery", "Linear-Event", "Linear-Signature"),
    ),
    "call": Receiver(
        signatures.verify_hub,
        "CALL_WEBHOOK_SECRET",
        _hub_id,
        lambda headers, payload: "calls" if "calls" in payload else "call",
        HUB_HEADERS,
    ),
    "crm": Receiver(
        signatures.verify_hub, "CRM_WEBHOOK_SECRET", _hub_id, lambda headers, payload: "accounts", HUB_HEADERS
    ),
}


def refuse(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def parse_body(body: bytes, content_type: str) -> dict:
    """The body as a dict: JSON, or a form (Slack's slash commands). Raises ValueError otherwise."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    payload = json.loads(body or b"null")
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    return payload


def storable(payload: dict) -> bool:
    """Whether PostgreSQL can store ``payload`` as JSON (no NUL, which JSON escapes as \\u0000; no lone surrogate)."""
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\\u0000" not in text


def slack_reply(payload: dict) -> JsonResponse | None:
    """What Slack needs answered at once: the URL check, and a slash command with no text (its usage)."""
    if payload.get("type") == "url_verification":
        return JsonResponse({"challenge": payload.get("challenge", "")})
    if payload.get("command") and not (payload.get("text") or "").strip():
        text = f"Usage: {payload['command']} <what the customer said> (it goes to FeedbackHub's triage)."
        return JsonResponse({"response_type": "ephemeral", "text": text})
    return None


def accepted(source: str, delivery: WebhookDelivery, payload: dict) -> JsonResponse:
    if source == "slack" and payload.get("command"):
        return JsonResponse({"response_type": "ephemeral", "text": "Thanks: the feedback is in FeedbackHub."})
    status = 200 if source == "slack" else 202
    return JsonResponse({"status": "queued", "delivery": delivery.delivery_id}, status=status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, source: str) -> JsonResponse:
    """Check, store and queue one delivery of ``source`` (see the module's docstring for the answers)."""
    receiver = RECEIVERS.get(source)
    if receiver is None:
        return refuse(f"No webhook for “{source}”: use one of {', '.join(RECEIVERS)}.", 404)
    secret = settings.WEBHOOK_SECRETS.get(source, "")
    if not secret:
        return refuse(f"The {source} webhook is turned off: set {receiver.secret_setting} to turn it on.", 503)
    body = request.body
    try:
        receiver.verify(secret, request.headers, body)
    except signatures.SignatureError as exc:
        return refuse(exc.message, exc.status)
    try:
        payload = parse_body(body, request.content_type or "")
    except (ValueError, UnicodeDecodeError):
        return refuse("The body is not a JSON object (or, for Slack commands, a form).", 400)
    if not storable(payload):
        return refuse("The body holds a NUL character or invalid Unicode: it cannot be stored.", 400)
    if source == "slack" and (reply := slack_reply(payload)):
        return reply
    delivery_id = receiver.delivery_id(request.headers, payload)
    if not delivery_id:
        return refuse("The delivery carries no id: cannot tell it from a replay.", 400)
    kept = {name: request.headers.get(name, "") for name in ("Content-Type", "User-Agent", *receiver.kept_headers)}
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                source=source,
                delivery_id=delivery_id[:255],
                event=receiver.event(request.headers, payload)[:100],
                headers={name: value for name, value in kept.items() if value},
                body=body.decode("utf-8", errors="replace"),
                payload=payload,
            )
    except IntegrityError:
        detail = "This delivery was received before: it is not processed again."
        return JsonResponse({"status": "duplicate", "delivery": delivery_id, "detail": detail})
    # Stored is what counts: with the broker down the answer is still 202 and the minute sweep queues it later.
    transaction.on_commit(lambda: queue_processing(delivery.pk))
    return accepted(source, delivery, payload)


def queue_processing(delivery_id: int) -> None:
    """Send a stored delivery to a worker; a broker that cannot be reached is logged, never raised to the vendor.

    (Not ``on_commit(partial(...), robust=True)``: Django names the failed callback by its ``__qualname__``, which a
    ``partial`` lacks, so the failure it would have logged became an ``AttributeError`` and a 500.)
    """
    try:
        process_delivery.delay(delivery_id)
    except Exception:  # noqa: BLE001 - the delivery is stored; requeue_waiting_deliveries sends it within minutes
        log.warning("Webhook delivery %s not queued (broker unreachable); the sweep will.", delivery_id, exc_info=True)
