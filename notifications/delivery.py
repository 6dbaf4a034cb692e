"""Delivery of the outbox: one notification at a time, to its channel (``notifications.channels``), with retries.

How a notification is sent once
-------------------------------
``deliver`` never holds a transaction open across the HTTP or SMTP call. It works in three short steps:

1. **Claim** (one transaction): lock the row with ``select_for_update(skip_locked=True)``, and only if it is pending
   and due, mark it ``sending``, count the try, and set ``next_attempt_at`` to the end of a *lease*
   (``lease_seconds()``, well past any channel's timeout). Commit. A second worker given the same id either skips the
   locked row or finds it ``sending``: it does nothing.
2. **Send**, outside any transaction.
3. **Record** the outcome in one UPDATE guarded by the claim (still ``sending``, same try count): ``sent`` with
   ``sent_at``; or back to ``pending`` with a backoff; or ``failed``.

A worker killed between 1 and 2, or one whose process died mid-call, leaves the row ``sending``; when the lease ends
the minute sweep (``deliver_due``) claims and sends it again. That is the **remaining at-least-once window**: a worker
killed (or a database that fails) after the channel accepted the message but before step 3 committed — a single
UPDATE, milliseconds — and a channel that accepted a message whose answer never reached us (a read timeout after
Slack posted it). Those messages can arrive twice; every other path arrives once. Emails carry the same Message-ID on
every try, which mail clients use to collapse duplicates; Slack webhooks offer no idempotency key. The reverse risk is
nil: nothing is ever marked sent before the channel accepted it.

Retries: ``OUTBOX_BACKOFF_SECONDS × 2^tries`` (capped at ``BACKOFF_CAP_SECONDS``, ±20 % jitter so a backlog does not
retry in lockstep), ``failed`` after ``OUTBOX_MAX_ATTEMPTS`` tries or at once for a permanent error (no webhook
configured, an address refused). A 429 is Slack asking to wait, not a failed try: the row waits Retry-After and the
try is not counted. Failed rows wait for a person: ``retry`` (the admin's "Retry now").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from feedbackhub.backoff import BACKOFF_CAP_SECONDS, backoff_seconds  # noqa: F401 - the cap, named here too
from notifications import channels, selectors
from notifications.choices import Status
from notifications.models import Notification

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"  # what ``deliver`` did
RETRY_AFTER_CAP_SECONDS = 3600  # a Retry-After longer than this is read as this
LEASE_MIN_SECONDS = 120
SWEEP_BUDGET_SECONDS = 45  # a sweep starts no delivery after this: the next minute's sweep takes the rest
SEND_NOW_LIMIT = 200  # "Retry now" queues this many at once; the sweep delivers any more


def lease_seconds() -> int:
    """How long a claimed notification is left to its worker before the sweep may send it again: several times the
    longest channel timeout, so a slow but living worker is never doubled by the sweep."""
    email_timeout = getattr(settings, "EMAIL_TIMEOUT", None) or channels.EMAIL_TIMEOUT_SECONDS
    return int(max(LEASE_MIN_SECONDS, 4 * settings.SLACK_TIMEOUT_SECONDS, 4 * email_timeout))


# --- Queueing ---------------------------------------------------------------------------------------------------------


def send_soon(notification_id: int) -> None:
    """Queue ``tasks.deliver(notification_id)`` once the current transaction commits (at once outside one).

    Never raises: with the broker down the row stays pending and the minute sweep delivers it.
    """
    transaction.on_commit(lambda: _queue(notification_id))


def _queue(notification_id: int) -> None:
    from notifications import tasks

    try:
        tasks.deliver.delay(notification_id)
    except Exception:  # noqa: BLE001 — the broker being down must not fail the change that wrote the notification
        logger.warning(
            "notification %s not queued (broker unreachable); the minute sweep will deliver it",
            notification_id,
            exc_info=True,
        )


# --- Delivering -------------------------------------------------------------------------------------------------------


def deliver(notification_id: int) -> str:
    """Send one notification if it is pending and due (or its worker's lease ran out); returns what happened:
    "sent", "retry" (failed, will be tried again), "failed" (gave up) or "skipped" (not due, done, or busy)."""
    notification = _claim(notification_id)
    if notification is None:
        return SKIPPED
    try:
        channels.send(notification)
    except channels.ChannelError as error:
        return _record_failure(notification, error)
    except Exception as error:  # noqa: BLE001 — an unexpected error is a failed try like any other, never a lost row
        logger.exception("notification %s: unexpected error while sending", notification_id)
        return _record_failure(notification, channels.ChannelError(f"{type(error).__name__}: {error}"))
    _record_sent(notification)
    return SENT


def _claim(notification_id: int) -> Notification | None:
    """Step 1: mark the row ``sending`` under its lock and commit; None when it is not this worker's to send."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status__in=[Status.PENDING, Status.SENDING], next_attempt_at__lte=now)
            .first()
        )
        if notification is None:
            return None
        if notification.status == Status.SENDING:
            logger.warning(
                "notification %s: its worker's lease ran out after try %s; sending again (it may arrive twice)",
                notification.pk,
                notification.attempts,
            )
        notification.status = Status.SENDING
        notification.attempts += 1
        notification.next_attempt_at = now + timedelta(seconds=lease_seconds())
        notification.save(update_fields=["status", "attempts", "next_attempt_at"])
    return notification


def _claimed(notification: Notification):
    """The row as this worker claimed it: a worker whose lease ran out (the sweep re-claimed it) writes nothing."""
    return Notification.objects.filter(pk=notification.pk, status=Status.SENDING, attempts=notification.attempts)


def _record_sent(notification: Notification) -> None:
    if not _claimed(notification).update(status=Status.SENT, sent_at=timezone.now()):
        logger.warning(
            "notification %s was delivered after its lease ran out and was claimed again: it may arrive twice",
            notification.pk,
        )


def _record_failure(notification: Notification, error: channels.ChannelError) -> str:
    tries = notification.attempts
    now = timezone.now()
    message = str(error)
    if error.retry_after is not None and not error.permanent:  # rate limited: wait as asked, the try is not counted
        tries -= 1
        status, wait = Status.PENDING, min(error.retry_after, RETRY_AFTER_CAP_SECONDS)
    elif error.permanent or tries >= settings.OUTBOX_MAX_ATTEMPTS:
        status, wait = Status.FAILED, 0
        if not error.permanent:
            message = f"{message} (gave up after {tries} tries)"
    else:
        status, wait = Status.PENDING, backoff_seconds(tries)
    _claimed(notification).update(
        status=status, attempts=tries, last_error=message[:2000], next_attempt_at=now + timedelta(seconds=wait)
    )
    log = logger.error if status == Status.FAILED else logger.warning
    log("notification %s (%s to %s): %s", notification.pk, notification.channel, notification.recipient, message)
    return FAILED if status == Status.FAILED else RETRY


def deliver_due(*, limit: int = 200) -> int:
    """The minute sweep: deliver what is due (never queued, broker down, backoff over, lease over); returns how many
    were sent.

    Stops starting deliveries after ``SWEEP_BUDGET_SECONDS``; once a destination fails with an error that may pass
    (Slack down), its other messages are left for the next sweep rather than each waiting for its own timeout.
    """
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    ids = selectors.due_notification_ids(limit=limit)
    rows = Notification.objects.only("id", "channel", "recipient").in_bulk(ids)
    down: set[str] = set()
    sent = 0
    for notification_id in ids:
        if time.monotonic() > deadline:
            break
        row = rows.get(notification_id)
        if row is None:
            continue
        where = channels.destination(row)
        if where in down:
            continue
        outcome = deliver(notification_id)
        sent += outcome == SENT
        if outcome == RETRY:
            down.add(where)
    return sent


# --- A person's retry -------------------------------------------------------------------------------------------------


def retry(ids: Iterable[int], user) -> int:
    """Make failed notifications deliverable again (the admin's "Retry now"): pending, due now, a full set of tries.

    Only failed ones change (a pending, sending or sent one is left alone, so it is never sent twice from here); the
    last error stays until the next try replaces it. Each change is logged in the admin history under ``user``.
    Returns how many were retried.
    """
    with transaction.atomic():
        chosen = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(ids), status=Status.FAILED)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        if not chosen:
            return 0
        Notification.objects.filter(pk__in=chosen).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if user is not None and user.pk is not None:
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=Notification.objects.filter(pk__in=chosen).only("id", "kind", "recipient"),
                action_flag=CHANGE,
                change_message="Retried delivery (failed → pending).",
            )
        for notification_id in chosen[:SEND_NOW_LIMIT]:
            send_soon(notification_id)
    return len(chosen)
