"""Sending the outbound outbox (``OutboundAction``): a tracker issue or a CRM update at a time, with retries, once.

How an action is sent once
--------------------------
``deliver`` never holds a transaction open across the HTTP call:

1. **Claim** (one short transaction): lock the row with ``select_for_update(skip_locked=True)``; only if it is pending
   and due, count the try and move ``next_attempt_at`` to the end of a *lease* (``LEASE_SECONDS``, well past the
   calls' timeouts). Commit. A second worker given the same id (the on-commit task and the minute sweep racing, a
   redelivered message) skips the locked row or finds it not due: it does nothing.
2. **Send**, outside any transaction — and look before creating: Linear by the issue id the hub chose for the item
   (``outbound.issue_uuid``, sent as ``IssueCreateInput.id``; Linear refuses a second issue with it), GitHub by the
   hidden marker on the body's last line among the repository's issues created or updated since the action was
   written. An issue found is adopted, not created again: a worker that died after the tracker created the issue but
   before step 3 committed does not cause a second one.
3. **Record** in one UPDATE guarded by the claim (still pending, same try count): sent with the external id and URL;
   or pending with a backoff and ``last_error``; or failed.

Retries: ``OUTBOX_BACKOFF_SECONDS × 2^tries`` (capped, ±20 % jitter), at least ``UNKNOWN_OUTCOME_WAIT`` after a timeout,
a dropped connection or a 5xx (the tracker may have created the issue and still be indexing it); failed after
``OUTBOX_MAX_ATTEMPTS`` tries, or at once for an error that will not pass by itself (a refused token, no token, a
customer without a CRM id). Failed rows wait for a person: the admin's "Retry now" (``outbound.retry_actions``).

The window that remains, honestly: on GitHub, a create still being processed more than ``UNKNOWN_OUTCOME_WAIT`` after it
timed out, or an issue whose marker was edited out, would not be found, and a retry would open a second issue. On
Linear none: the id is the key. A CRM PATCH is idempotent by nature (the same fields written twice).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedbackhub.backoff import backoff_seconds
from integrations import outbound
from integrations.choices import OutboundKind, OutboundStatus
from integrations.connectors import ConnectorError, connector_for
from integrations.connectors.github import issue_key
from integrations.models import OutboundAction

logger = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"  # what ``deliver`` did
CALL_TIMEOUT_SECONDS = 15.0
LEASE_SECONDS = 300  # > a GitHub lookup (3 pages) and a create at CALL_TIMEOUT_SECONDS each
UNKNOWN_OUTCOME_WAIT = 120
SWEEP_BUDGET_SECONDS = 45  # the sweep starts nothing after this: the next minute's takes the rest
SEND_NOW_LIMIT = 200
GITHUB_LOOKBACK = timedelta(hours=1)  # before the action was written, whatever the clocks say
TOKEN_VARIABLES = {
    "linear": "LINEAR_API_KEY",
    "github": "GITHUB_TOKEN",
    "crm": "SALESFORCE_INSTANCE_URL and SALESFORCE_TOKEN",
}
SOURCE_OF_KIND = {
    OutboundKind.LINEAR_ISSUE: "linear",
    OutboundKind.GITHUB_ISSUE: "github",
    OutboundKind.CRM_ADDRESSED: "crm",
}


class Permanent(Exception):
    """An error that will not pass by itself: the action fails at once and waits for a person."""


# --- Queueing ---------------------------------------------------------------------------------------------------------


def send_soon(action_id: int) -> None:
    """Queue ``outbound_tasks.send_outbound_action(action_id)`` once the current transaction commits. Never raises:
    with the broker down the row stays pending and the minute sweep sends it."""
    transaction.on_commit(lambda: _queue(action_id))


def _queue(action_id: int) -> None:
    from integrations import outbound_tasks

    try:
        outbound_tasks.send_outbound_action.delay(action_id)
    except Exception:  # noqa: BLE001 — the broker being down must not fail the change that wrote the action
        logger.warning(
            "outbound action %s not queued (broker unreachable); the sweep sends it", action_id, exc_info=True
        )


# --- Sending ----------------------------------------------------------------------------------------------------------


def deliver(action_id: int) -> str:
    """Send one action if it is pending and due (or its worker's lease ran out); returns "sent", "retry", "failed" or
    "skipped" (not due, done, busy, or a CRM row waiting for the CSV export)."""
    action = _claim(action_id)
    if action is None:
        return SKIPPED
    try:
        external_id, url = SENDERS[action.kind](action)
    except (ConnectorError, Permanent) as error:
        return _record_failure(action, error)
    except Exception as error:  # noqa: BLE001 — an unexpected error is a failed try like any other, never a lost row
        logger.exception("outbound action %s: unexpected error while sending", action_id)
        return _record_failure(action, ConnectorError(f"{type(error).__name__}: {error}", retryable=True))
    _record_sent(action, external_id=external_id, url=url)
    return SENT


def _claim(action_id: int) -> OutboundAction | None:
    """Step 1: count the try and take the lease under the row's lock, then commit; None when it is not ours to send."""
    now = timezone.now()
    with transaction.atomic():
        action = (
            OutboundAction.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=action_id, status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            .select_related("customer")
            .first()
        )
        if action is None or (action.kind == OutboundKind.CRM_ADDRESSED and not outbound.crm_api_configured()):
            return None
        action.attempts += 1
        action.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        OutboundAction.objects.filter(pk=action.pk).update(
            attempts=action.attempts, next_attempt_at=action.next_attempt_at
        )
    return action


def _claimed(action: OutboundAction):
    """The row as this worker claimed it: a worker whose lease ran out (the sweep took it again) writes nothing."""
    return OutboundAction.objects.filter(pk=action.pk, status=OutboundStatus.PENDING, attempts=action.attempts)


def _record_sent(action: OutboundAction, *, external_id: str, url: str) -> None:
    done = _claimed(action).update(
        status=OutboundStatus.SENT,
        sent_at=timezone.now(),
        external_id=external_id[:100],
        external_url=url[:500],
        last_error="",
    )
    if not done:
        logger.warning("outbound action %s was sent after its lease ran out and was claimed again", action.pk)


def _record_failure(action: OutboundAction, error: Exception) -> str:
    tries, message = action.attempts, str(error)
    permanent = isinstance(error, Permanent) or (isinstance(error, ConnectorError) and not error.retryable)
    if permanent or tries >= settings.OUTBOX_MAX_ATTEMPTS:
        status, wait = OutboundStatus.FAILED, 0.0
        if not permanent:
            message = f"{message} (gave up after {tries} tries)"
    else:
        status, wait = OutboundStatus.PENDING, backoff_seconds(tries)
        unknown = isinstance(error, ConnectorError) and (error.status is None or error.status >= 500)
        if unknown and action.kind != OutboundKind.CRM_ADDRESSED:
            wait = max(wait, UNKNOWN_OUTCOME_WAIT)  # it may have been created: looked up before any retry
    _claimed(action).update(
        status=status, last_error=message[:2000], next_attempt_at=timezone.now() + timedelta(seconds=wait)
    )
    log = logger.error if status == OutboundStatus.FAILED else logger.warning
    log("outbound action %s (%s): %s", action.pk, action.key, message)
    return FAILED if status == OutboundStatus.FAILED else RETRY


def _connector(source: str):
    config = settings.CONNECTORS.get(source) or {}
    if not config.get("token") or (source == "crm" and not config.get("base_url")):
        raise Permanent(f"No {source} credentials: set {TOKEN_VARIABLES[source]}.")
    connector = connector_for(source)
    connector.http.timeout = CALL_TIMEOUT_SECONDS
    return connector


def _send_linear(action: OutboundAction) -> tuple[str, str]:
    payload = action.payload
    connector, issue_id = _connector("linear"), payload["issue_id"]
    issue = connector.find_issue(issue_id)
    if issue is None:
        try:
            issue = connector.create_issue(
                team_id=payload["target"], title=payload["title"], description=payload["description"], issue_id=issue_id
            )
        except ConnectorError:
            issue = connector.find_issue(issue_id)  # "already exists": another try created it meanwhile
            if issue is None:
                raise
    return issue["identifier"], issue.get("url") or ""


def _send_github(action: OutboundAction) -> tuple[str, str]:
    payload = action.payload
    connector, repository = _connector("github"), payload["target"]
    tag = outbound.marker(payload["issue_id"])
    issue = connector.find_issue(repository, marker=tag, since=action.created_at - GITHUB_LOOKBACK)
    if issue is None:
        body = f"{payload['description']}\n\n{tag}"
        issue = connector.create_issue(repository, title=payload["title"], body=body, labels=payload.get("labels"))
    return issue_key(repository, issue["number"]), issue.get("html_url") or ""


def _send_crm(action: OutboundAction) -> tuple[str, str]:
    crm_id = action.customer.crm_id if action.customer else ""
    if not crm_id:
        raise Permanent("The customer has no CRM id: set it on the customer, then retry (or export the CSV).")
    connector = _connector("crm")
    connector.update_account(crm_id, action.payload.get("fields") or {})
    return crm_id, f"{connector.base_url.rstrip('/')}/{quote(crm_id, safe='')}"


SENDERS = {
    OutboundKind.LINEAR_ISSUE: _send_linear,
    OutboundKind.GITHUB_ISSUE: _send_github,
    OutboundKind.CRM_ADDRESSED: _send_crm,
}


# --- The minute sweep -------------------------------------------------------------------------------------------------


def due_action_ids(*, limit: int = 200) -> list[int]:
    """Pending actions whose time has come (never queued, broker down, backoff over, lease over), oldest due first
    (``outbound_due_idx``); CRM rows only when the CRM has an API (else they wait for the CSV export)."""
    queryset = OutboundAction.objects.filter(status=OutboundStatus.PENDING, next_attempt_at__lte=timezone.now())
    if not outbound.crm_api_configured():
        queryset = queryset.exclude(kind=OutboundKind.CRM_ADDRESSED)
    return list(queryset.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def deliver_due(*, limit: int = 200) -> int:
    """The minute sweep: send what is due; returns how many were sent. Once a destination fails with an error that
    may pass (a tracker down), its other actions are left for the next sweep rather than each waiting its timeout."""
    deadline = time.monotonic() + SWEEP_BUDGET_SECONDS
    ids = due_action_ids(limit=limit)
    rows = OutboundAction.objects.only("id", "kind", "payload").in_bulk(ids)
    down: set[tuple[str, str]] = set()
    sent = 0
    for action_id in ids:
        if time.monotonic() > deadline:
            break
        row = rows.get(action_id)
        if row is None:
            continue
        where = (SOURCE_OF_KIND.get(row.kind, row.kind), (row.payload or {}).get("target", ""))
        if where in down:
            continue
        outcome = deliver(action_id)
        sent += outcome == SENT
        if outcome == RETRY:
            down.add(where)
    return sent
