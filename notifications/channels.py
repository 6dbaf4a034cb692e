"""Where a notification goes: email through Django's email backend, Slack through an incoming webhook or the bot API.

A sender either returns (the channel accepted the message) or raises ``ChannelError`` saying why, whether trying
again can help (``permanent``: a missing webhook, a refused address, a channel Slack does not know) and how long Slack
asked to wait (``retry_after``, from a 429's Retry-After). Nothing here reads or writes the database:
``notifications.delivery`` decides what a failure means for the row.

Errors are stored on the row and shown in the admin, so they never carry a webhook URL or the bot token.
"""

from __future__ import annotations

import smtplib
import sys
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime

import httpx2
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.choices import Channel
from notifications.models import Notification

EMAIL_TIMEOUT_SECONDS = 30  # an SMTP server that never answers must not hold a worker: settings.EMAIL_TIMEOUT wins
DEFAULT_SUBJECT = "FeedbackHub"
# Slack API errors (HTTP 200, {"ok": false}) that may pass; every other one needs a person (token, channel, scope).
TRANSIENT_SLACK_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class ChannelError(Exception):
    """A message the channel did not take: ``permanent`` when trying again cannot help until a person acts."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def send(notification: Notification) -> None:
    """Hand ``notification`` to its channel; returns when it was accepted, raises ``ChannelError`` otherwise."""
    if notification.channel == Channel.EMAIL:
        send_email(notification)
    elif notification.channel == Channel.SLACK:
        send_slack(notification)
    else:
        raise ChannelError(f"Unknown channel “{notification.channel}”.", permanent=True)


def destination(notification: Notification) -> str:
    """Which server a notification goes to ("email", "slack:webhook:product", "slack:bot"): while one is down, the
    sweep leaves its other messages for later instead of waiting for each one's timeout."""
    if notification.channel != Channel.SLACK:
        return notification.channel
    name = webhook_name(notification.recipient)
    return f"slack:webhook:{name}" if name in settings.SLACK_WEBHOOKS else "slack:bot"


# --- Email ------------------------------------------------------------------------------------------------------------


def message_id(notification: Notification) -> str:
    """The same Message-ID on every try: a message sent again after a worker died is the same message to mail
    clients that collapse duplicates (the remaining at-least-once window, ``notifications.delivery``)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "feedbackhub.localhost"
    return f"<notification-{notification.pk}@{domain}>"


def send_email(notification: Notification) -> None:
    """One email from DEFAULT_FROM_EMAIL through the configured backend (SMTP in production, locmem in tests)."""
    if "@" not in notification.recipient:
        raise ChannelError(f"“{notification.recipient}” is not an email address.", permanent=True)
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT_SECONDS)
    message = EmailMessage(
        subject=notification.subject or DEFAULT_SUBJECT,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        connection=connection,
        headers={"Message-ID": message_id(notification)},
    )
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise ChannelError(
            f"The mail server refused {notification.recipient}: {error.recipients}",
            permanent=all(code >= 500 for code in codes),
        ) from error
    except smtplib.SMTPResponseException as error:  # 5xx: refused for good (sender, auth, content); 4xx: try later
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        raise ChannelError(
            f"The mail server answered {error.smtp_code}: {text}", permanent=error.smtp_code >= 500
        ) from error
    except (smtplib.SMTPException, OSError) as error:  # unreachable, timed out, TLS: may pass
        raise ChannelError(f"Email not sent ({type(error).__name__}: {error})") from error


# --- Slack ------------------------------------------------------------------------------------------------------------


def webhook_name(recipient: str) -> str:
    """The SLACK_WEBHOOKS key a recipient names: "#Product-Alerts" → "product_alerts" (SLACK_WEBHOOK_PRODUCT_ALERTS)."""
    return recipient.strip().lstrip("#").lower().replace("-", "_").replace(" ", "_")


def send_slack(notification: Notification) -> None:
    """Post to the recipient's incoming webhook if one is configured, else with the bot token (chat.postMessage).

    Neither configured is a configuration error that names the variable to set; the message waits, failed, in the
    outbox, and "Retry now" sends it once the variable is set. In development (``SLACK_CONSOLE``, on with DEBUG) it is
    printed on the worker's output instead, as Django's console email backend prints mail.
    """
    payload: dict = {"text": notification.body}
    if notification.blocks:
        payload["blocks"] = notification.blocks
    name = webhook_name(notification.recipient)
    if url := settings.SLACK_WEBHOOKS.get(name):
        post_to_slack(url, payload)
    elif settings.SLACK_BOT_TOKEN:
        post_to_slack(
            f"{settings.SLACK_API_URL}/chat.postMessage",
            {"channel": notification.recipient, **payload},
            headers={"Authorization": f"Bearer {settings.SLACK_BOT_TOKEN}"},
        )
    elif settings.SLACK_CONSOLE:
        print_to_console(notification)
    else:
        raise ChannelError(
            f"No Slack destination for “{notification.recipient}”: set SLACK_WEBHOOK_{name.upper()} to an incoming "
            "webhook URL of that channel, or SLACK_BOT_TOKEN to post with the bot (chat.postMessage), then retry.",
            permanent=True,
        )


def print_to_console(notification: Notification) -> None:
    """The development Slack: the message as it would be posted, on standard output (the worker's log)."""
    rule = "-" * 79
    sys.stdout.write(f"{rule}\nSlack #{webhook_name(notification.recipient)} (console, no webhook set)\n")
    sys.stdout.write(f"{notification.body}\n{rule}\n")
    sys.stdout.flush()


def post_to_slack(url: str, payload: dict, *, headers: dict[str, str] | None = None) -> None:
    """POST ``payload`` as JSON; returns when Slack took it. A non-2xx answer or ``{"ok": false}`` raises."""
    timeout = settings.SLACK_TIMEOUT_SECONDS
    try:
        response = httpx2.post(url, json=payload, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx2.TimeoutException as error:
        raise ChannelError(f"Slack did not answer within {timeout} s ({type(error).__name__}).") from error
    except httpx2.HTTPError as error:  # refused, reset, DNS, TLS
        raise ChannelError(f"Slack unreachable ({type(error).__name__}: {_redacted(str(error), url)})") from error
    if response.status_code == 429:
        wait = retry_after(response.headers.get("Retry-After"))
        raise ChannelError(f"Slack rate limit (429), retry after {wait} s.", retry_after=wait)
    answer = _json(response)
    refused = (answer.get("error") or "unknown error") if answer.get("ok") is False else ""
    if not response.is_success:
        detail = refused or _redacted(response.text.strip()[:200], url) or response.reason_phrase
        raise ChannelError(
            f"Slack answered {response.status_code}: {detail}",
            permanent=400 <= response.status_code < 500 and response.status_code not in (408, 425),
        )
    if refused:
        raise ChannelError(f"Slack refused the message: {refused}", permanent=refused not in TRANSIENT_SLACK_ERRORS)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json(response: httpx2.Response) -> dict:
    """The answer as a JSON object; {} for an incoming webhook's plain "ok" (or any non-JSON answer)."""
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _redacted(text: str, url: str) -> str:
    """``text`` without the webhook URL (its path is the secret)."""
    return text.replace(url, "<webhook URL>")
