"""Outbound tracker issues (``integrations.outbound`` and ``.outbound_delivery``) against a fake Linear and GitHub on
127.0.0.1 (tests/insights/tracker_stub.py, real sockets, the trackers' request and answer shapes): a dry run records
and sends nothing, a rule switched on opens one issue linked back to the item, retries and crashes never open a
second, a tracker that is down leaves the row pending with its error until it is sent."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback import triage
from feedback.choices import Category, Priority, Product
from feedbackhub import events
from feedbackhub.models import DomainEvent
from integrations import outbound, outbound_delivery
from integrations.choices import OutboundKind, OutboundStatus
from integrations.models import OutboundAction, OutboundRule
from tests.factories import make_customer, make_feedback
from tests.insights.tracker_stub import TrackerStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracker(settings):
    with TrackerStub(slow=1.0) as stub:
        settings.HUB_BASE_URL = "https://hub.example"
        settings.OUTBOX_BACKOFF_SECONDS = 30
        settings.OUTBOX_MAX_ATTEMPTS = 8
        settings.CONNECTORS = {
            **settings.CONNECTORS,
            "linear": {"token": "lin_api_test", "base_url": stub.url},
            "github": {"token": "ghp_test", "base_url": stub.url},
        }
        yield stub


def rule(**fields) -> OutboundRule:
    defaults = {
        "name": "Bugs open Linear issues",
        "kind": OutboundKind.LINEAR_ISSUE,
        "categories": [Category.BUG],
        "target": "team-eng",
        "enabled": True,
    }
    return OutboundRule.objects.create(**{**defaults, **fields})


def bug(**fields):
    defaults = {
        "verbatim": "Exports to CSV time out after 30 seconds on large workspaces.",
        "summary": "CSV export times out",
        "category": Category.BUG,
        "priority": Priority.HIGH,
        "product": Product.LE_CHAT,
        "customer": make_customer(name="Acme Bank"),
    }
    return make_feedback(**{**defaults, **fields})


def decide(*items, capture) -> outbound.Evaluation:
    """Evaluate as triage's event does, committing (the on-commit sends run: their broker messages are not consumed)."""
    with capture(execute=True):
        return outbound.evaluate_items(item_ids=[item.pk for item in items])


def test_given_a_dry_run_rule_then_what_it_would_open_is_recorded_and_nothing_is_sent(
    tracker, django_capture_on_commit_callbacks
):
    dry = rule(enabled=False)
    item = bug()

    result = decide(item, capture=django_capture_on_commit_callbacks)
    sent = outbound_delivery.deliver_due()

    (action,) = OutboundAction.objects.all()
    assert (result.dry_runs, result.queued, sent) == (1, [], 0)
    assert (action.key, action.status, action.rule) == (f"dry:{dry.pk}:{item.pk}", OutboundStatus.DRY_RUN, dry)
    assert action.payload["title"] == "[Bug] CSV export times out" and action.payload["target"] == "team-eng"
    assert outbound_delivery.deliver(action.pk) == outbound_delivery.SKIPPED
    assert tracker.requests == []


def test_given_a_linear_rule_switched_on_then_one_issue_is_created_with_linear_request_shape_and_links_back(
    tracker, django_capture_on_commit_callbacks
):
    rule()
    item = bug()

    result = decide(item, capture=django_capture_on_commit_callbacks)
    outcome = outbound_delivery.deliver(result.queued[0])

    action = OutboundAction.objects.get()
    assert (outcome, action.key, action.status) == ("sent", f"tracker:{item.pk}", OutboundStatus.SENT)
    assert (action.external_id, action.external_url) == ("RET-1", "https://linear.app/acme/issue/RET-1")
    lookup, create = tracker.requests
    assert (create.method, create.path, create.headers["Authorization"]) == ("POST", "/graphql", "lin_api_test")
    assert lookup.body["variables"] == {"id": outbound.issue_uuid(item.pk)}
    assert "issueCreate" in create.body["query"]
    sent = create.body["variables"]["input"]
    assert (sent["id"], sent["teamId"], sent["title"]) == (
        outbound.issue_uuid(item.pk),
        "team-eng",
        action.payload["title"],
    )
    assert f"https://hub.example/admin/feedback/feedbackitem/{item.pk}/change/" in sent["description"]
    assert "> Exports to CSV time out" in sent["description"] and "Acme Bank" in sent["description"]


def test_given_a_github_rule_then_the_issue_is_posted_to_the_repository_with_its_marker_and_github_headers(
    tracker, django_capture_on_commit_callbacks
):
    rule(kind=OutboundKind.GITHUB_ISSUE, target="acme/api")
    item = bug()

    (action_id,) = decide(item, capture=django_capture_on_commit_callbacks).queued
    outbound_delivery.deliver(action_id)

    action = OutboundAction.objects.get()
    assert (action.external_id, action.external_url) == ("acme/api#1", "https://github.com/acme/api/issues/1")
    lookup, create = tracker.requests
    assert lookup.method == "GET" and lookup.path.startswith("/repos/acme/api/issues?")
    assert (create.method, create.path) == ("POST", "/repos/acme/api/issues")
    assert create.headers["Authorization"] == "Bearer ghp_test"
    assert create.headers["Accept"] == "application/vnd.github+json"
    assert create.body["title"] == "[Bug] CSV export times out" and create.body["labels"] == ["feedback"]
    assert create.body["body"].endswith(outbound.marker(outbound.issue_uuid(item.pk)))
    assert f"https://hub.example/admin/feedback/feedbackitem/{item.pk}/change/" in create.body["body"]


def test_given_rules_in_order_then_the_first_match_wins_and_an_item_matching_none_is_left_alone(
    tracker, django_capture_on_commit_callbacks
):
    first = rule(name="Critical Codestral bugs", kind=OutboundKind.GITHUB_ISSUE, target="acme/api", position=1)
    first.priorities, first.products = [Priority.CRITICAL], [Product.CODESTRAL]
    first.save()
    second = rule(name="Every bug to Linear", position=2)
    api_outage = bug(priority=Priority.CRITICAL, product=Product.CODESTRAL)
    chat_bug = bug()
    praise = bug(category=Category.PRAISE)

    result = decide(api_outage, chat_bug, praise, capture=django_capture_on_commit_callbacks)

    rules_of = dict(OutboundAction.objects.values_list("item_id", "rule_id"))
    assert rules_of == {api_outage.pk: first.pk, chat_bug.pk: second.pk}
    assert (len(result.queued), result.unmatched) == (2, 1)
    assert outbound.match_rules(praise) is None


def test_given_the_same_item_evaluated_and_delivered_again_then_it_opens_one_issue(
    tracker, django_capture_on_commit_callbacks
):
    rule()
    item = bug()

    (action_id,) = decide(item, capture=django_capture_on_commit_callbacks).queued
    again = decide(item, capture=django_capture_on_commit_callbacks)  # triage's event and a person's save
    outcomes = [outbound_delivery.deliver(action_id), outbound_delivery.deliver(action_id)]  # the task redelivered
    swept = outbound_delivery.deliver_due()  # the sweep racing the on-commit task

    assert (again.queued, again.already) == ([], 1)
    assert (outcomes, swept) == (["sent", "skipped"], 0)
    assert OutboundAction.objects.count() == 1 and len(tracker.creates()) == 1


def test_given_a_dry_run_recorded_then_a_live_rule_later_still_opens_one_issue_per_item(
    tracker, django_capture_on_commit_callbacks
):
    dry = rule(enabled=False)
    item = bug()
    decide(item, capture=django_capture_on_commit_callbacks)

    outbound.set_rules_enabled(rules_qs=OutboundRule.objects.filter(pk=dry.pk), enabled=True)
    (action_id,) = decide(item, capture=django_capture_on_commit_callbacks).queued
    decide(item, capture=django_capture_on_commit_callbacks)
    outbound_delivery.deliver(action_id)

    statuses = dict(OutboundAction.objects.values_list("key", "status"))
    assert statuses == {f"dry:{dry.pk}:{item.pk}": "dry_run", f"tracker:{item.pk}": "sent"}
    assert len(tracker.creates()) == 1


def forget_the_answer(action_id: int) -> None:
    """The worker died after the tracker created the issue, before it stored the answer; its lease ran out."""
    OutboundAction.objects.filter(pk=action_id).update(
        status=OutboundStatus.PENDING, external_id="", external_url="", sent_at=None, next_attempt_at=timezone.now()
    )


@pytest.mark.parametrize(
    ("kind", "target", "key"), [("linear_issue", "team-eng", "RET-1"), ("github_issue", "acme/api", "acme/api#1")]
)
def test_given_a_crash_after_the_tracker_created_the_issue_then_the_retry_adopts_it_instead_of_opening_another(
    tracker, django_capture_on_commit_callbacks, kind, target, key
):
    rule(kind=kind, target=target)
    (action_id,) = decide(bug(), capture=django_capture_on_commit_callbacks).queued
    outbound_delivery.deliver(action_id)
    forget_the_answer(action_id)

    outcome = outbound_delivery.deliver(action_id)

    action = OutboundAction.objects.get()
    assert (outcome, action.status, action.external_id) == ("sent", OutboundStatus.SENT, key)
    assert len(tracker.creates()) == 1 and len(tracker.issues) == 1


def test_given_a_verbatim_quoting_another_items_marker_then_that_item_still_opens_its_own_issue(
    tracker, django_capture_on_commit_callbacks
):
    rule(kind=OutboundKind.GITHUB_ISSUE, target="acme/api")
    victim = bug()
    tag = outbound.marker(outbound.issue_uuid(victim.pk))
    quoting = bug(verbatim=f"Your tracker shows this for our bug:\n{tag}\nPlease fix it.")

    for item in (quoting, victim):
        (action_id,) = decide(item, capture=django_capture_on_commit_callbacks).queued
        outbound_delivery.deliver(action_id)

    issues = dict(OutboundAction.objects.values_list("item_id", "external_id"))
    assert issues == {quoting.pk: "acme/api#1", victim.pk: "acme/api#2"}  # not the quoting item's issue adopted
    assert tag not in tracker.issues[0]["body"] and "\\<!-- feedbackhub" in tracker.issues[0]["body"]
    assert len(tracker.creates()) == 2


def test_given_an_issue_with_the_marker_above_its_last_line_then_it_is_not_taken_for_the_items(
    tracker, django_capture_on_commit_callbacks
):
    rule(kind=OutboundKind.GITHUB_ISSUE, target="acme/api")
    item = bug()
    tag = outbound.marker(outbound.issue_uuid(item.pk))
    tracker.issues.append(
        {
            "number": 1,
            "html_url": "https://github.com/acme/api/issues/1",
            "title": "Pasted",
            "body": f"{tag}\nSee above.",
        }
    )

    (action_id,) = decide(item, capture=django_capture_on_commit_callbacks).queued
    outbound_delivery.deliver(action_id)

    assert OutboundAction.objects.get().external_id == "acme/api#2"
    assert tracker.issues[1]["body"].endswith(f"\n\n{tag}")


def test_given_two_installs_then_the_same_item_gets_a_different_issue_id_on_each(settings):
    settings.HUB_BASE_URL = "https://feedback.example.com"  # the same address: a staging copy of production
    settings.SECRET_KEY = "install-one-" + "k" * 50
    one, again = outbound.issue_uuid(7), outbound.issue_uuid(7)
    settings.SECRET_KEY = "install-two-" + "k" * 50
    two = outbound.issue_uuid(7)

    assert one == again  # stable: every retry asks for the same issue
    assert one != two and outbound.issue_uuid(8) != two
    assert uuid.UUID(one).version == 4 and uuid.UUID(two).version == 4


def test_given_the_tracker_answers_500_then_the_row_stays_pending_with_its_error_and_is_sent_later(
    tracker, django_capture_on_commit_callbacks
):
    rule()
    (action_id,) = decide(bug(), capture=django_capture_on_commit_callbacks).queued
    tracker.fail = ["500"]

    first = outbound_delivery.deliver(action_id)
    waiting = OutboundAction.objects.get()
    too_soon = outbound_delivery.deliver_due()
    OutboundAction.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    later = outbound_delivery.deliver_due()

    assert first == "retry"
    assert (waiting.status, waiting.attempts, "HTTP 500" in waiting.last_error) == (OutboundStatus.PENDING, 1, True)
    assert waiting.next_attempt_at >= timezone.now() + timedelta(seconds=outbound_delivery.UNKNOWN_OUTCOME_WAIT - 5)
    assert (too_soon, later) == (0, 1)
    action = OutboundAction.objects.get()
    assert (action.status, action.attempts, action.last_error, action.external_id) == ("sent", 2, "", "RET-1")
    assert len(tracker.issues) == 1


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_given_the_tracker_unreachable_then_nothing_is_lost_and_it_is_sent_when_it_is_back(
    tracker, settings, django_capture_on_commit_callbacks
):
    rule(kind=OutboundKind.GITHUB_ISSUE, target="acme/api")
    items = [bug(), bug()]
    queued = decide(*items, capture=django_capture_on_commit_callbacks).queued
    settings.CONNECTORS = {**settings.CONNECTORS, "github": {"token": "ghp_test", "base_url": closed_port()}}

    sent_while_down = outbound_delivery.deliver_due()

    rows = list(OutboundAction.objects.order_by("pk"))
    assert sent_while_down == 0
    assert [row.status for row in rows] == ["pending", "pending"]
    assert rows[0].attempts == 1 and "Connection refused" in rows[0].last_error
    assert rows[1].attempts == 0  # the sweep left the rest of a destination that is down for the next minute

    settings.CONNECTORS = {**settings.CONNECTORS, "github": {"token": "ghp_test", "base_url": tracker.url}}
    OutboundAction.objects.update(next_attempt_at=timezone.now())
    assert outbound_delivery.deliver_due() == 2
    assert sorted(OutboundAction.objects.values_list("external_id", flat=True)) == ["acme/api#1", "acme/api#2"]
    assert len(queued) == 2 and len(tracker.creates()) == 2


def test_given_failures_past_the_limit_or_a_refused_token_then_the_row_fails_and_a_person_can_retry_it(
    tracker, settings, django_capture_on_commit_callbacks, django_user_model
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    rule()
    first, second = decide(bug(), bug(), capture=django_capture_on_commit_callbacks).queued
    tracker.fail = ["500", "500", "401"]

    outcomes = [outbound_delivery.deliver(first)]
    OutboundAction.objects.filter(pk=first).update(next_attempt_at=timezone.now())
    outcomes += [outbound_delivery.deliver(first), outbound_delivery.deliver(second)]
    failed = dict(OutboundAction.objects.values_list("pk", "last_error"))
    with django_capture_on_commit_callbacks(execute=True):
        retried = outbound.retry_actions(ids=[first, second], user=django_user_model.objects.create_user("ops"))
    delivered = [outbound_delivery.deliver(first), outbound_delivery.deliver(second)]

    assert outcomes == ["retry", "failed", "failed"]
    assert "gave up after 2 tries" in failed[first] and "HTTP 401" in failed[second]
    assert (retried, delivered) == (2, ["sent", "sent"])
    assert len(tracker.issues) == 2


def test_given_no_tracker_token_then_the_row_fails_at_once_naming_the_setting(
    tracker, settings, django_capture_on_commit_callbacks
):
    settings.CONNECTORS = {**settings.CONNECTORS, "linear": {"token": "", "base_url": tracker.url}}
    rule()
    (action_id,) = decide(bug(), capture=django_capture_on_commit_callbacks).queued

    assert outbound_delivery.deliver(action_id) == "failed"
    assert "LINEAR_API_KEY" in OutboundAction.objects.get().last_error and tracker.requests == []


def test_given_triage_applies_a_batch_then_one_event_evaluates_the_rules_for_all_of_it(
    tracker, settings, django_capture_on_commit_callbacks
):
    settings.AI_PROVIDER = "offline"
    settings.TRIAGE_SHADOW_MODE = False
    rule(categories=[])  # any item: this test is about the hook, not the classifier
    items = [bug(category="", priority="", summary="") for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=False):
        triage.triage_items(item_ids=[item.pk for item in items])
    (event,) = DomainEvent.objects.filter(name=triage.TRIAGED_EVENT)
    with django_capture_on_commit_callbacks(execute=False):
        events.process(event.pk)

    assert sorted(event.payload["item_ids"]) == sorted(item.pk for item in items)
    assert sorted(OutboundAction.objects.values_list("key", flat=True)) == sorted(f"tracker:{i.pk}" for i in items)
    assert json.loads(json.dumps(OutboundAction.objects.first().payload))["issue_id"]


def test_given_a_person_changes_the_priority_through_the_api_then_the_rules_are_evaluated_for_that_item(
    tracker, admin_user, django_capture_on_commit_callbacks
):
    from tests.api_support import token_client

    rule(categories=[], priorities=[Priority.CRITICAL])
    item = bug(priority=Priority.LOW)

    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(admin_user).patch(
            f"/api/feedback/{item.pk}/", {"priority": Priority.CRITICAL}, format="json"
        )
    with django_capture_on_commit_callbacks(execute=False):
        for event in DomainEvent.objects.filter(name=triage.TRIAGED_EVENT):
            events.process(event.pk)

    assert response.status_code == 200, response.json()
    assert list(OutboundAction.objects.values_list("key", flat=True)) == [f"tracker:{item.pk}"]
