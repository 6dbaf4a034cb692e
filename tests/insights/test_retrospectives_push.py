"""Pushing backlog items to Linear or GitHub (``insights.retro_push``) against a fake tracker on 127.0.0.1
(tests/insights/tracker_stub.py): dry run by default, one issue per item under retries, timeouts and two pushers at
once, failures recorded and retryable, the issue's text linking back to the evidence in the hub."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insights import retro_push, retrospectives
from insights.choices import BacklogStatus, RetroKind, Tracker
from insights.models import RetroBacklogItem, Retrospective
from tests.insights.retro_data import NOW, WINDOW, sprint
from tests.insights.test_escalations_concurrency import in_threads
from tests.insights.tracker_stub import TrackerStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracker(settings):
    with TrackerStub(slow=1.0) as stub:
        settings.AI_PROVIDER = "offline"
        settings.RETRO_PUSH = False
        settings.HUB_BASE_URL = "https://hub.example"
        settings.RETRO_LINEAR_TEAM_ID = "team-1"
        settings.RETRO_GITHUB_REPOSITORY = "acme/api"
        settings.CONNECTORS = {
            **settings.CONNECTORS,
            "linear": {"token": "lin_api_test", "base_url": stub.url},
            "github": {"token": "ghp_test", "base_url": stub.url},
        }
        yield stub


def backlog_item(tracker_name: str = Tracker.LINEAR) -> RetroBacklogItem:
    retro = Retrospective.objects.create(
        title="Sprint retrospective: 5–18 Jan 2026", window_start=WINDOW.start, window_end=WINDOW.end
    )
    return RetroBacklogItem.objects.create(
        retrospective=retro,
        title="Resolve 1 open escalation",
        body="1 of the 2 escalations raised in the window was still open.\n\n- Escalations: [#9](https://hub.example/x)",
        evidence={"escalations": [9]},
        tracker=tracker_name,
    )


def test_given_the_default_dry_run_then_the_system_pushes_nothing(tracker):
    sprint()

    result = retrospectives.write_retrospective(
        kind=RetroKind.SPRINT, window_start=WINDOW.start, window_end=WINDOW.end, now=NOW
    )
    pushes = retro_push.push_pending(result.retrospective, user=None)

    assert [push.outcome for push in pushes] == [retro_push.DRY_RUN, retro_push.DRY_RUN]
    assert tracker.requests == []
    assert set(RetroBacklogItem.objects.values_list("status", flat=True)) == {BacklogStatus.DRY_RUN}


def test_given_retro_push_on_then_writing_pushes_each_item_with_links_back_to_its_evidence(tracker, settings):
    settings.RETRO_PUSH = True
    data = sprint()

    retro = retrospectives.write_retrospective(
        kind=RetroKind.SPRINT, window_start=WINDOW.start, window_end=WINDOW.end, now=NOW
    ).retrospective

    items = list(retro.backlog_items.order_by("pk"))
    assert [item.status for item in items] == [BacklogStatus.PUSHED, BacklogStatus.PUSHED]
    assert [item.external_key for item in items] == ["RET-1", "RET-2"]
    assert len(tracker.issues) == 2
    grows = next(issue for issue in tracker.issues if issue["title"].startswith("Decide on"))
    assert f"https://hub.example/admin/themes/theme/{data.growing.pk}/change/" in grows["description"]
    assert f"https://hub.example/admin/feedback/feedbackitem/{data.growing_items[0].pk}/change/" in grows["description"]
    assert f"https://hub.example/admin/insights/retrospective/{retro.pk}/change/" in grows["description"]


def test_given_a_person_pushes_to_linear_then_one_issue_is_created_with_the_hubs_own_id(tracker, user):
    item = backlog_item()

    result = retro_push.push_backlog_item(item, user=user)

    assert result.outcome == retro_push.PUSHED
    item.refresh_from_db()
    assert (item.status, item.external_key) == (BacklogStatus.PUSHED, "RET-1")
    assert item.external_url == "https://linear.app/acme/issue/RET-1" and item.pushed_at is not None
    lookup, create = tracker.requests
    assert lookup.body["variables"] == {"id": retro_push.issue_uuid(item)}
    assert create.body["variables"]["input"] == {
        "id": retro_push.issue_uuid(item),
        "teamId": "team-1",
        "title": "Resolve 1 open escalation",
        "description": item.body,
    }
    assert create.headers["Authorization"] == "lin_api_test"


def test_given_a_person_pushes_to_github_then_the_issue_carries_the_marker_and_the_key_is_owner_repo_number(
    tracker, user
):
    item = backlog_item(Tracker.GITHUB)

    result = retro_push.push_backlog_item(item, user=user)

    item.refresh_from_db()
    assert (result.outcome, item.external_key) == (retro_push.PUSHED, "acme/api#1")
    assert item.external_url == "https://github.com/acme/api/issues/1"
    (issue,) = tracker.issues
    assert issue["body"] == f"{item.body}\n\n{retro_push.marker(item)}" and issue["labels"] == ["retrospective"]
    assert tracker.requests[0].method == "GET" and "since=" in tracker.requests[0].path
    assert tracker.requests[1].headers["Authorization"] == "Bearer ghp_test"


def test_given_an_item_pushed_then_pushing_again_sends_nothing(tracker, user):
    item = backlog_item()
    retro_push.push_backlog_item(item, user=user)

    again = retro_push.push_backlog_item(item, user=user)

    assert again.outcome == retro_push.ALREADY
    assert len(tracker.creates()) == 1 and len(tracker.issues) == 1


@pytest.mark.parametrize("tracker_name", [Tracker.LINEAR, Tracker.GITHUB])
def test_given_a_timeout_after_the_tracker_created_the_issue_then_a_retry_finds_it_instead_of_creating_another(
    tracker, user, monkeypatch, tracker_name
):
    monkeypatch.setattr(retro_push, "PUSH_TIMEOUT_S", 0.3)
    tracker.fail = ["timeout"]
    item = backlog_item(tracker_name)
    now = timezone.now()

    first = retro_push.push_backlog_item(item, user=user, now=now)
    too_soon = retro_push.push_backlog_item(item, user=user, now=now + timedelta(seconds=30))
    later = retro_push.push_backlog_item(item, user=user, now=now + retro_push.UNKNOWN_OUTCOME_WAIT)

    assert first.outcome == retro_push.FAILED
    assert first.item.status == BacklogStatus.FAILED and first.item.last_error.startswith("Outcome unknown")
    assert first.item.push_attempted_at == now
    assert too_soon.outcome == retro_push.WAIT and "retry after" in retro_push.wait_text(too_soon.item)
    assert later.outcome == retro_push.FOUND
    assert len(tracker.issues) == 1 and len(tracker.creates()) == 1
    item.refresh_from_db()
    assert (item.status, item.last_error, item.push_attempted_at) == (BacklogStatus.PUSHED, "", None)
    assert item.external_key in {"RET-1", "acme/api#1"}


def test_given_a_5xx_that_created_nothing_then_the_retry_creates_the_issue_once(tracker, user):
    tracker.fail = ["500"]
    item = backlog_item()
    now = timezone.now()

    first = retro_push.push_backlog_item(item, user=user, now=now)
    retry = retro_push.push_backlog_item(item, user=user, now=now + retro_push.UNKNOWN_OUTCOME_WAIT)

    assert (first.outcome, retry.outcome) == (retro_push.FAILED, retro_push.PUSHED)
    assert "HTTP 500" in first.item.last_error
    assert len(tracker.issues) == 1


def test_given_a_push_of_unknown_outcome_then_the_wait_is_read_from_its_time_not_from_the_error_text(tracker, user):
    item = backlog_item()
    now = timezone.now()
    RetroBacklogItem.objects.filter(pk=item.pk).update(
        status=BacklogStatus.FAILED, last_error="HTTP 502", push_attempted_at=now - timedelta(seconds=30)
    )
    old_text = RetroBacklogItem.objects.create(retrospective=item.retrospective, title="Another", body="b")
    # ↑ an error text in the old "outcome unknown since <time>:" form, and no time kept: nothing to wait for
    RetroBacklogItem.objects.filter(pk=old_text.pk).update(
        status=BacklogStatus.FAILED, last_error=f"outcome unknown since {now.isoformat()}: HTTP 502"
    )

    waiting = retro_push.push_backlog_item(item, user=user, now=now)
    pushed = retro_push.push_backlog_item(old_text, user=user, now=now)

    assert (waiting.outcome, pushed.outcome) == (retro_push.WAIT, retro_push.PUSHED)
    assert len(tracker.creates()) == 1


def test_given_a_refused_token_then_the_failure_is_recorded_and_retryable_at_once(tracker, user):
    tracker.fail = ["401"]
    item = backlog_item(Tracker.GITHUB)

    first = retro_push.push_backlog_item(item, user=user)
    retry = retro_push.push_backlog_item(item, user=user)

    assert first.outcome == retro_push.FAILED and first.item.last_error.endswith("HTTP 401")
    assert retry.outcome == retro_push.PUSHED and len(tracker.issues) == 1


def test_given_no_team_configured_then_nothing_is_sent_and_the_reason_recorded(tracker, user, settings):
    settings.RETRO_LINEAR_TEAM_ID = ""
    item = backlog_item()

    result = retro_push.push_backlog_item(item, user=user)

    assert result.outcome == retro_push.FAILED and "RETRO_LINEAR_TEAM_ID" in result.item.last_error
    assert tracker.requests == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tracker_name", [Tracker.LINEAR, Tracker.GITHUB])
def test_given_two_pushes_of_one_item_at_once_then_one_issue_is_created(tracker, user, tracker_name):
    item = backlog_item(tracker_name)

    outcomes = [result.outcome for result in in_threads(2, lambda: retro_push.push_backlog_item(item, user=user))]

    assert sorted(outcomes) == sorted([retro_push.PUSHED, retro_push.ALREADY])
    assert len(tracker.issues) == 1 and len(tracker.creates()) == 1
