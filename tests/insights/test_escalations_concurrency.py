"""Several workers at once: two checks, or a check and the "time to verify" event, never open two escalations for
one condition. These tests commit (``transaction=True``): each thread has its own database connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from insights import escalation_services, escalations
from insights.escalation_services import Condition, condition_key
from insights.models import Escalation
from notifications.models import Notification
from tests.insights.escalation_data import detractor, ensure_default_rules, week_drop

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work) -> list:
    """Run ``work()`` in ``count`` threads started together, each with its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as error:  # noqa: BLE001 — shown in the assertion
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_given_two_checks_at_once_then_each_condition_opens_one_escalation():
    ensure_default_rules()
    detractor(under=False)
    week_drop(under=False)

    reports = in_threads(2, escalations.check_all)

    assert all(isinstance(report, escalations.CheckReport) for report in reports), reports
    assert sum(report.opened for report in reports) == 2
    assert Escalation.objects.count() == 2
    assert Notification.objects.count() == 2  # one Slack message each (no owners), never two


def test_given_two_checks_past_the_lock_at_once_then_the_database_keeps_one_escalation_per_condition(monkeypatch):
    """Without the advisory lock, both checks find the condition (neither sees the other's uncommitted row) and both
    insert: the partial unique constraint and ON CONFLICT DO NOTHING keep one, and the loser reports no error."""
    ensure_default_rules()
    detractor(under=False)
    monkeypatch.setattr(escalations, "take_lock", lambda: True)
    found = threading.Barrier(2)
    real_open = escalations.open_escalations

    def open_after_both_found(*, rule, conditions):
        if conditions:
            found.wait(timeout=10)  # both checks have read "no open escalation" before either inserts
        return real_open(rule=rule, conditions=conditions)

    monkeypatch.setattr(escalations, "open_escalations", open_after_both_found)

    reports = in_threads(2, escalations.check_all)

    assert all(isinstance(report, escalations.CheckReport) for report in reports), reports
    assert [report.errors for report in reports] == [[], []]
    assert sorted(report.opened for report in reports) == [0, 1]
    assert Escalation.objects.count() == 1 and Notification.objects.count() == 1


def test_given_a_check_running_then_a_second_one_returns_at_once_skipped():
    ensure_default_rules()
    detractor(under=False)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                assert escalations.take_lock()
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        report = escalations.check_all()
    finally:
        release.set()
        holder.join(timeout=30)

    assert report.skipped and report.rules == [] and not Escalation.objects.exists()
    assert escalations.check_all().opened == 1  # the lock is free again


def test_given_two_openings_of_one_condition_at_once_then_one_escalation_and_one_set_of_notifications():
    rules = ensure_default_rules()
    rule = rules["Theme reaches 5 items: time to verify"]
    from tests.factories import make_theme

    theme = make_theme()
    condition = Condition(key=condition_key(rule, theme_id=theme.pk), summary="Time to verify", theme_id=theme.pk)

    def open_one():
        with transaction.atomic():
            return len(escalation_services.open_escalations(rule=rule, conditions=[condition]))

    outcomes = in_threads(2, open_one)

    assert sorted(outcomes) == [0, 1]
    assert Escalation.objects.count() == 1 and Notification.objects.count() == 1
