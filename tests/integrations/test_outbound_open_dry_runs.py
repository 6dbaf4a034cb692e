"""Opening a rule's dry runs once it is switched on (``integrations.outbound.open_dry_runs`` and the rules list's
"Open issues for the dry runs"), against the fake Linear on 127.0.0.1 (tests/insights/tracker_stub.py): one issue per
item that still matches, none for an item that no longer does, never a second one when asked again, and a rule still
off refused."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from feedback.choices import Category
from feedback.models import FeedbackItem
from integrations import outbound, outbound_delivery
from integrations.choices import OutboundStatus
from integrations.models import OutboundAction, OutboundRule
from tests.insights.tracker_stub import TrackerStub
from tests.integrations.test_outbound import bug, decide, rule

pytestmark = pytest.mark.django_db
RULES = reverse("admin:integrations_outboundrule_changelist")


@pytest.fixture
def linear(settings):
    with TrackerStub() as stub:
        settings.HUB_BASE_URL = "https://hub.example"
        settings.CONNECTORS = {**settings.CONNECTORS, "linear": {"token": "lin_api_test", "base_url": stub.url}}
        yield stub


def dry_run_of(*items, capture) -> OutboundRule:
    """A rule that is off records its dry runs for ``items``; then the PM, satisfied, switches it on."""
    trial = rule(enabled=False)
    decide(*items, capture=capture)
    assert OutboundAction.objects.filter(rule=trial, status=OutboundStatus.DRY_RUN).count() == len(items)
    outbound.set_rules_enabled(rules_qs=OutboundRule.objects.filter(pk=trial.pk), enabled=True)
    return trial


def open_from_the_list(client, trial, capture) -> list[str]:
    with capture(execute=True):
        response = client.post(RULES, {"action": "open_dry_runs", "_selected_action": [trial.pk]}, follow=True)
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def tracker_rows() -> dict[int, str]:
    return dict(OutboundAction.objects.filter(key__startswith="tracker:").values_list("item_id", "status"))


def test_given_dry_runs_when_the_rule_is_switched_on_and_they_are_opened_twice_then_one_issue_per_matching_item(
    admin_client, linear, django_capture_on_commit_callbacks
):
    items = [bug(), bug(), bug()]
    trial = dry_run_of(*items, capture=django_capture_on_commit_callbacks)
    FeedbackItem.objects.filter(pk=items[2].pk).update(category=Category.PRAISE)  # re-triaged since: no longer a bug

    first = open_from_the_list(admin_client, trial, django_capture_on_commit_callbacks)
    assert tracker_rows() == {items[0].pk: OutboundStatus.PENDING, items[1].pk: OutboundStatus.PENDING}
    sent = outbound_delivery.deliver_due()
    second = open_from_the_list(admin_client, trial, django_capture_on_commit_callbacks)
    sent_again = outbound_delivery.deliver_due()

    assert first == [f"“{trial.name}”: 2 issue(s) queued, 0 already had an issue, 1 no longer match."]
    assert second == [f"“{trial.name}”: 0 issue(s) queued, 2 already had an issue, 1 no longer match."]
    assert (sent, sent_again) == (2, 0)
    assert tracker_rows() == {items[0].pk: OutboundStatus.SENT, items[1].pk: OutboundStatus.SENT}
    assert len(linear.creates()) == 2  # no second issue for either item
    assert OutboundAction.objects.filter(status=OutboundStatus.DRY_RUN).count() == 3  # the dry runs stay records
    logged = LogEntry.objects.filter(object_id=str(trial.pk), change_message__startswith="Opened its dry runs")
    assert logged.count() == 2


def test_given_a_rule_still_off_then_its_dry_runs_are_refused_and_nothing_is_written(
    admin_client, linear, django_capture_on_commit_callbacks
):
    trial = rule(enabled=False)
    decide(bug(), capture=django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError, match="still a dry run"):
        outbound.open_dry_runs(rule=trial)
    said = open_from_the_list(admin_client, trial, django_capture_on_commit_callbacks)

    assert said == [
        f"Still dry runs, nothing opened for: {trial.name}. Switch a rule on first, then open its dry runs."
    ]
    assert tracker_rows() == {} and linear.requests == []


def test_given_many_dry_runs_then_they_are_evaluated_in_batches_and_the_first_matching_rule_still_wins(
    linear, django_capture_on_commit_callbacks, django_user_model, monkeypatch
):
    items = [bug() for _ in range(5)]
    trial = dry_run_of(*items, capture=django_capture_on_commit_callbacks)
    earlier = rule(name="Earlier rule, still a trial", enabled=False, position=0)  # tried first: records a dry run
    OutboundRule.objects.filter(pk=trial.pk).update(position=1)
    OutboundRule.objects.filter(pk=earlier.pk).update(categories=[Category.FEATURE_REQUEST])
    FeedbackItem.objects.filter(pk=items[0].pk).update(category=Category.FEATURE_REQUEST)
    pm = django_user_model.objects.create_superuser(username="pm", password="x")
    batches = []
    evaluate = outbound.evaluate_items

    def counting(*, item_ids):
        batches.append(len(item_ids))
        return evaluate(item_ids=item_ids)

    monkeypatch.setattr(outbound, "evaluate_items", counting)
    with django_capture_on_commit_callbacks(execute=True):
        result = outbound.open_dry_runs(rule=trial, user=pm, batch=2)

    assert batches == [2, 2, 1]
    assert (len(result.queued), result.already, result.unmatched, result.dry_runs) == (4, 0, 0, 1)
    assert set(tracker_rows()) == {item.pk for item in items[1:]}
    assert OutboundAction.objects.filter(key=f"dry:{earlier.pk}:{items[0].pk}").exists()
    assert LogEntry.objects.get(user=pm).change_message.startswith("Opened its dry runs: 4 issue(s) queued")
