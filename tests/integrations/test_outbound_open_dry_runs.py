"""Opening a rule's dry runs once it is switched on (``integrations.outbound.open_dry_runs``, run by the
``outbound_tasks.open_dry_runs`` task the rules list's "Open issues for the dry runs" queues), against the fake Linear
on 127.0.0.1 (tests/insights/tracker_stub.py): the request only queues, the task opens one issue per item that still
matches, none for an item that no longer does, never a second one when asked again, and a rule still off is refused.
Two runs at once never both claim an issue: one run per rule (an advisory lock), and each evaluation counts only the
rows it inserted itself."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.urls import reverse

from feedback.choices import Category
from feedback.models import FeedbackItem
from integrations import outbound, outbound_delivery, outbound_tasks
from integrations.choices import OutboundStatus
from integrations.models import OutboundAction, OutboundRule
from tests.insights.tracker_stub import TrackerStub
from tests.integrations.test_outbound import bug, decide, rule

RULES = reverse("admin:integrations_outboundrule_changelist")


@pytest.fixture
def linear(settings):
    with TrackerStub() as stub:
        settings.HUB_BASE_URL = "https://hub.example"
        settings.CONNECTORS = {**settings.CONNECTORS, "linear": {"token": "lin_api_test", "base_url": stub.url}}
        yield stub


@pytest.fixture
def queued(monkeypatch):
    """The opening tasks the admin hands to the broker (args, options), instead of sending them."""
    sent = []
    monkeypatch.setattr(
        outbound_tasks.open_dry_runs, "apply_async", lambda args, **options: sent.append((args, options))
    )
    return sent


@pytest.fixture
def sends(monkeypatch):
    """Every ``send_soon`` asked for (one per tracker row an evaluation created), still sending as before."""
    asked = []
    send = outbound_delivery.send_soon

    def counting(action_id: int) -> None:
        asked.append(action_id)
        send(action_id)

    monkeypatch.setattr(outbound_delivery, "send_soon", counting)
    return asked


def dry_run_of(*items, capture) -> OutboundRule:
    """A rule that is off records its dry runs for ``items``; then the PM, satisfied, switches it on."""
    trial = rule(enabled=False)
    decide(*items, capture=capture)
    assert OutboundAction.objects.filter(rule=trial, status=OutboundStatus.DRY_RUN).count() == len(items)
    outbound.set_rules_enabled(rules_qs=OutboundRule.objects.filter(pk=trial.pk), enabled=True)
    return trial


def run_task(trial, user, capture) -> str:
    """The worker's run of the task, committing (the on-commit sends go to the broker, not consumed here)."""
    with capture(execute=True):
        return outbound_tasks.open_dry_runs.apply(args=[trial.pk, user.pk]).get()


def tracker_rows() -> dict[int, str]:
    return dict(OutboundAction.objects.filter(key__startswith="tracker:").values_list("item_id", "status"))


def history(trial) -> list[str]:
    entries = LogEntry.objects.filter(object_id=str(trial.pk), change_message__startswith="Opened its dry runs")
    return list(entries.order_by("pk").values_list("change_message", flat=True))


@pytest.mark.django_db
def test_given_rules_selected_in_the_list_then_a_task_is_queued_for_each_switched_on_one(
    admin_client, admin_user, queued, django_capture_on_commit_callbacks
):
    trial = dry_run_of(bug(), bug(), capture=django_capture_on_commit_callbacks)
    still_off = rule(name="Still a trial", enabled=False, position=1)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            RULES, {"action": "open_dry_runs", "_selected_action": [trial.pk, still_off.pk]}, follow=True
        )
        before_commit = list(queued)
    for callback in callbacks:
        callback()

    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert response.status_code == 200
    assert said == [
        f"Still dry runs, nothing opened for: {still_off.name}. Switch a rule on first, then open its dry runs.",
        f"Opening the dry runs of “{trial.name}” in the background; its history will say what was opened.",
    ]
    assert (before_commit, queued) == ([((trial.pk, admin_user.pk), {"retry": False})],) * 2
    assert tracker_rows() == {} and history(trial) == []  # the request evaluated nothing


@pytest.mark.django_db
def test_given_dry_runs_when_the_task_runs_twice_then_one_issue_per_matching_item_and_the_second_queues_none(
    admin_user, linear, sends, django_capture_on_commit_callbacks
):
    items = [bug(), bug(), bug()]
    trial = dry_run_of(*items, capture=django_capture_on_commit_callbacks)
    FeedbackItem.objects.filter(pk=items[2].pk).update(category=Category.PRAISE)  # re-triaged since: no longer a bug

    first = run_task(trial, admin_user, django_capture_on_commit_callbacks)
    assert tracker_rows() == {items[0].pk: OutboundStatus.PENDING, items[1].pk: OutboundStatus.PENDING}
    sent = outbound_delivery.deliver_due()
    second = run_task(trial, admin_user, django_capture_on_commit_callbacks)
    sent_again = outbound_delivery.deliver_due()

    assert first == "2 queued, 0 already, 1 unmatched, 0 dry"
    assert second == "0 queued, 2 already, 1 unmatched, 0 dry"
    assert history(trial) == [
        "Opened its dry runs: 2 issue(s) queued, 0 already had an issue, 1 no longer match, 0 now match an earlier "
        "rule still in dry run.",
        "Opened its dry runs: 0 issue(s) queued, 2 already had an issue, 1 no longer match, 0 now match an earlier "
        "rule still in dry run.",
    ]
    assert sorted(sends) == sorted(
        OutboundAction.objects.filter(key__startswith="tracker:").values_list("pk", flat=True)
    )
    assert (sent, sent_again) == (2, 0)
    assert tracker_rows() == {items[0].pk: OutboundStatus.SENT, items[1].pk: OutboundStatus.SENT}
    assert len(linear.creates()) == 2  # no second issue for either item
    assert OutboundAction.objects.filter(status=OutboundStatus.DRY_RUN).count() == 3  # the dry runs stay records


@pytest.mark.django_db
def test_given_a_rule_still_off_or_gone_then_its_dry_runs_are_refused_and_nothing_is_written(
    admin_client, admin_user, linear, queued, django_capture_on_commit_callbacks
):
    trial = rule(enabled=False)
    decide(bug(), capture=django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError, match="still a dry run"):
        outbound.open_dry_runs(rule=trial)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(RULES, {"action": "open_dry_runs", "_selected_action": [trial.pk]}, follow=True)
    ran = run_task(trial, admin_user, django_capture_on_commit_callbacks)  # switched off after it was queued
    gone = outbound_tasks.open_dry_runs.apply(args=[trial.pk + 1000, admin_user.pk]).get()

    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"Still dry runs, nothing opened for: {trial.name}. Switch a rule on first, then open its dry runs."
    ]
    assert (queued, ran, gone) == ([], "off", "missing")
    assert tracker_rows() == {} and linear.requests == [] and history(trial) == []
    # The person was told its history would say what was opened: it says nothing was, and why (the task's run only).
    [note] = LogEntry.objects.filter(object_id=str(trial.pk)).values_list("change_message", flat=True)
    refusal = f"“{trial.name}” is still a dry run: switch it on first, then open its dry runs."
    assert note == f"Dry runs not opened: {refusal}"


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_given_a_run_of_the_rule_in_progress_then_a_second_one_skips_with_a_log_line_and_writes_nothing(
    admin_user, linear, sends, django_capture_on_commit_callbacks, caplog
):
    items = [bug(), bug()]
    trial = dry_run_of(*items, capture=django_capture_on_commit_callbacks)
    first_run = connections.create_connection("default")  # another worker's session, in the middle of its run
    try:
        with first_run.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [outbound.OPEN_DRY_RUNS_LOCK, trial.pk])
        with caplog.at_level(logging.INFO, logger="integrations.outbound"):
            skipped = outbound.open_dry_runs(rule=trial, user=admin_user)
            busy = run_task(trial, admin_user, django_capture_on_commit_callbacks)
        assert (skipped, busy) == (None, "busy")
        assert tracker_rows() == {} and sends == [] and history(trial) == []
        assert caplog.text.count("its dry runs are being opened by another run; skipped") == 2
    finally:
        first_run.close()  # its session ends: the lock goes with it

    assert run_task(trial, admin_user, django_capture_on_commit_callbacks) == "2 queued, 0 already, 0 unmatched, 0 dry"
    assert set(tracker_rows()) == {item.pk for item in items} and len(sends) == 2


def wait_for_a_blocked_insert(timeout: float = 10.0) -> None:
    """Until another session's INSERT into the outbox waits on a lock (the unique key a transaction still holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
                "AND datname = current_database() AND query LIKE 'INSERT INTO \"integrations_outboundaction\"%%'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second evaluation never reached its insert")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_two_evaluations_interleaved_then_only_the_one_that_inserted_a_row_queues_and_sends_it(sends):
    rule()
    ids = [bug().pk for _ in range(3)]
    inserted, release = threading.Event(), threading.Event()
    results, errors = {}, []

    def evaluate(name: str, hold: bool) -> None:
        try:
            with transaction.atomic():
                results[name] = outbound.evaluate_items(item_ids=ids)
                if hold:  # the first keeps its rows uncommitted while the second reads and inserts
                    inserted.set()
                    release.wait(10)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
            inserted.set()
        finally:
            connections.close_all()

    first = threading.Thread(target=evaluate, args=("first", True))
    first.start()
    inserted.wait(10)
    second = threading.Thread(target=evaluate, args=("second", False))
    second.start()
    try:
        wait_for_a_blocked_insert()  # it found no issue yet (uncommitted), and waits on the first's keys
    finally:
        release.set()
        first.join(10)
        second.join(10)

    assert errors == []
    created = sorted(OutboundAction.objects.filter(key__startswith="tracker:").values_list("pk", flat=True))
    assert (len(created), sorted(results["first"].queued), results["first"].already) == (3, created, 0)
    assert (results["second"].queued, results["second"].already) == ([], 3)  # never claimed twice
    assert sorted(sends) == created  # one send per row, by the run that created it


@pytest.mark.django_db
def test_given_the_task_queue_unreachable_then_the_action_says_nothing_was_queued(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis: Connection refused.")

    trial = dry_run_of(bug(), capture=django_capture_on_commit_callbacks)
    monkeypatch.setattr(outbound_tasks.open_dry_runs, "apply_async", down)

    response = admin_client.post(RULES, {"action": "open_dry_runs", "_selected_action": [trial.pk]}, follow=True)

    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert response.status_code == 200
    assert said == [
        f"Could not queue the opening of the dry runs of “{trial.name}”: the task queue (Redis) cannot be reached. "
        "Nothing was queued; try again once it is back."
    ]
