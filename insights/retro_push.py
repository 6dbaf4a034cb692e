"""Pushing a retrospective's backlog item to its tracker (Linear or GitHub), once.

Dry run by default: the system (``user=None``: the schedule, ``write_retrospective``) pushes only when ``RETRO_PUSH``
is on; a person's admin action ("Push to tracker") pushes whatever the setting. Where it goes: Linear's team
``RETRO_LINEAR_TEAM_ID`` (GraphQL ``issueCreate`` at the connector's API URL) or GitHub's repository
``RETRO_GITHUB_REPOSITORY`` (REST ``POST /repos/{owner}/{repo}/issues``), with the tokens of ``CONNECTORS``. The issue's
text is the item's body: the finding, the recommendation and the evidence linked back to the hub (absolute with
``HUB_BASE_URL``).

Once, even under retries and two clicks at once:
- the item's row is locked for the push (``select_for_update``): a second pusher waits, then finds ``external_key``
  set and pushes nothing; an item with an ``external_key`` is never pushed again;
- before creating, the tracker is asked whether the issue already exists: Linear by the issue id the hub chose
  (``issue_uuid``: derived from the item, sent as ``IssueCreateInput.id`` — Linear itself refuses a second issue with
  it), GitHub by a hidden marker in the body (``<!-- feedbackhub:retro-item:… -->``) among the repository's issues
  created or updated since the retrospective was written (the issues list, not the search index: it is current);
  one found is adopted, not created again;
- a failure is recorded (status failed, ``last_error``) and retryable. A timeout, a dropped connection or a 5xx
  leaves the outcome unknown — the tracker may have created the issue — so its time is kept in
  ``push_attempted_at`` (cleared once pushed; a later refusal such as a 401 leaves it), and a retry within
  ``UNKNOWN_OUTCOME_WAIT`` of it is refused (the tracker may still be processing the first request); after it, the
  lookup above runs first.

The window that remains, honestly: on GitHub, a create request still being processed more than
``UNKNOWN_OUTCOME_WAIT`` after it timed out, or an issue whose marker was edited out of its body, or one that has
fallen past the ``FIND_PAGES`` × 100 issues most recently created in a busy repository, would not be found, and a retry
would open a second issue. On Linear none of these: the id is the key, and a second create with it is refused.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights.choices import BacklogStatus, Tracker
from insights.models import RetroBacklogItem, Retrospective
from integrations.connectors import ConnectorError, connector_for
from integrations.connectors.github import issue_key

logger = logging.getLogger(__name__)

UNKNOWN_OUTCOME_WAIT = timedelta(minutes=2)
PUSH_TIMEOUT_S = 15.0
UNKNOWN = "Outcome unknown (the tracker may have created the issue; it is looked up before any retry)"
GITHUB_LABELS = ["retrospective"]
PUSHED, FOUND, ALREADY, DRY_RUN, FAILED, WAIT = "pushed", "found", "already pushed", "dry run", "failed", "wait"


class NotConfigured(Exception):
    """The tracker has no destination or no token: nothing was sent."""


@dataclass(frozen=True)
class PushResult:
    """What ``push_backlog_item`` did: ``pushed`` (created), ``found`` (an issue it had created, adopted), ``already
    pushed``, ``dry run`` (nothing sent), ``failed`` (``item.last_error``) or ``wait`` (unknown outcome, too recent)."""

    item: RetroBacklogItem
    outcome: str


def issue_uuid(item: RetroBacklogItem) -> str:
    """The tracker-side id of the item's issue: stable for the item and this hub, shaped as a UUID v4."""
    seed = uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.HUB_BASE_URL or 'feedbackhub'}/retro-backlog-item/{item.pk}")
    return str(uuid.UUID(bytes=seed.bytes, version=4))


def marker(item: RetroBacklogItem) -> str:
    return f"<!-- feedbackhub:retro-item:{issue_uuid(item)} -->"


def _connector(source: str):
    if not (settings.CONNECTORS.get(source) or {}).get("token"):
        raise NotConfigured(f"No {source} token: set {'LINEAR_API_KEY' if source == 'linear' else 'GITHUB_TOKEN'}.")
    connector = connector_for(source)
    connector.http.timeout = PUSH_TIMEOUT_S
    return connector


def _push_linear(item: RetroBacklogItem) -> tuple[str, str, str]:
    if not settings.RETRO_LINEAR_TEAM_ID:
        raise NotConfigured("No Linear team: set RETRO_LINEAR_TEAM_ID.")
    connector, issue_id = _connector("linear"), issue_uuid(item)
    found = connector.find_issue(issue_id)
    issue = found or connector.create_issue(
        team_id=settings.RETRO_LINEAR_TEAM_ID, title=item.title, description=item.body, issue_id=issue_id
    )
    return issue["identifier"], issue.get("url") or "", FOUND if found else PUSHED


def _push_github(item: RetroBacklogItem) -> tuple[str, str, str]:
    repository = settings.RETRO_GITHUB_REPOSITORY
    if not repository:
        raise NotConfigured("No GitHub repository: set RETRO_GITHUB_REPOSITORY (owner/repo).")
    connector = _connector("github")
    since = item.retrospective.created_at - timedelta(hours=1)  # before any push of it, whatever the clocks say
    found = connector.find_issue(repository, marker=marker(item), since=since)
    issue = found or connector.create_issue(
        repository, title=item.title, body=f"{item.body}\n\n{marker(item)}", labels=GITHUB_LABELS
    )
    return issue_key(repository, issue["number"]), issue.get("html_url") or "", FOUND if found else PUSHED


PUSHERS = {Tracker.LINEAR: _push_linear, Tracker.GITHUB: _push_github}


def push_backlog_item(item: RetroBacklogItem, *, user, now: datetime | None = None) -> PushResult:
    """Open the item's tracker issue, once (the module's docstring has the rules). ``user``: the person pushing
    (None: the system, which pushes only when ``RETRO_PUSH`` is on)."""
    if user is None and not settings.RETRO_PUSH:
        return PushResult(item, DRY_RUN)
    now = now or timezone.now()
    with transaction.atomic():
        item = RetroBacklogItem.objects.select_for_update().select_related("retrospective").get(pk=item.pk)
        if item.external_key:
            return PushResult(item, ALREADY)
        if item.push_attempted_at is not None and now < item.push_attempted_at + UNKNOWN_OUTCOME_WAIT:
            return PushResult(item, WAIT)
        try:
            key, url, outcome = PUSHERS[item.tracker](item)
        except (ConnectorError, NotConfigured) as exc:
            unknown = isinstance(exc, ConnectorError) and (exc.status is None or exc.status >= 500)
            item.status = BacklogStatus.FAILED
            item.last_error = (f"{UNKNOWN}: " if unknown else "") + str(exc)[:1000]
            if unknown:
                item.push_attempted_at = now
            item.save(update_fields=["status", "last_error", "push_attempted_at"])
            logger.warning("Backlog item %s not pushed to %s: %s", item.pk, item.tracker, item.last_error)
            return PushResult(item, FAILED)
        item.external_key, item.external_url = key[:100], url[:200]
        item.status, item.pushed_at, item.last_error, item.push_attempted_at = BacklogStatus.PUSHED, now, "", None
        item.save(
            update_fields=["external_key", "external_url", "status", "pushed_at", "last_error", "push_attempted_at"]
        )
    return PushResult(item, outcome)


def push_pending(retrospective: Retrospective, *, user) -> list[PushResult]:
    """Push every item of the retrospective not pushed yet (each under its own lock)."""
    items = retrospective.backlog_items.filter(external_key="").order_by("pk")
    return [push_backlog_item(item, user=user) for item in items]


def wait_text(item: RetroBacklogItem) -> str:
    """Why a retry is refused for now, for people."""
    since = item.push_attempted_at
    until = timezone.localtime(since + UNKNOWN_OUTCOME_WAIT) if since else None
    return (
        f"the last push timed out and may have created the issue; retry after {until:%H:%M:%S} (the hub then looks "
        "for it before creating one)"
        if until
        else ""
    )
