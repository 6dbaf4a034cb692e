"""Domain events: written in the change's transaction (by ``emit`` or by the shipped triggers, whatever the door),
processed once, atomically with their handlers, and kept when a handler fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from feedbackhub import events
from feedbackhub.models import DomainEvent
from launches.choices import LaunchStatus
from launches.models import Launch
from tests.factories import make_launch, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    """A handler for the test's own event name, recording each payload."""
    calls: list[dict] = []
    name = "test.happened"
    handler = calls.append
    events.subscribe(name, handler)
    yield name, calls
    events._handlers[name].remove(handler)


def test_given_a_theme_shipped_by_a_queryset_update_when_the_transaction_commits_then_one_shipped_event_names_it():
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)  # no save(), no service
    Theme.objects.filter(pk=theme.pk).update(name="Renamed")  # another change to a shipped theme is no new event
    shipped = DomainEvent.objects.filter(name="theme.shipped")
    assert [event.payload["theme_id"] for event in shipped] == [theme.pk]


def test_given_a_theme_created_shipped_or_left_unshipped_then_only_the_shipped_one_has_an_event():
    shipped = make_theme(status=ThemeStatus.SHIPPED)
    make_theme(status=ThemeStatus.HYPOTHESIS)
    assert [e.payload["theme_id"] for e in DomainEvent.objects.filter(name="theme.shipped")] == [shipped.pk]


def test_given_a_launch_marked_shipped_then_a_launch_shipped_event_is_written():
    launch = make_launch()
    Launch.objects.filter(pk=launch.pk).update(status=LaunchStatus.SHIPPED, shipped_on=timezone.localdate())
    assert [e.payload["launch_id"] for e in DomainEvent.objects.filter(name="launch.shipped")] == [launch.pk]


def test_given_an_event_emitted_twice_under_one_key_then_it_is_one_row_and_its_handler_runs_once(seen):
    name, calls = seen
    assert events.emit(name, key="k-1", n=1) is True
    assert events.emit(name, key="k-1", n=2) is False
    (event,) = DomainEvent.objects.filter(key="k-1")
    assert events.process(event.pk) is True
    assert events.process(event.pk) is False  # a re-delivered task finds it processed
    assert calls == [{"n": 1}]


def test_given_a_failing_handler_when_processed_then_its_writes_roll_back_and_the_event_waits_with_the_error(seen):
    name, _ = seen

    def write_then_fail(payload):
        DomainEvent.objects.create(name="side", key="side-effect")
        raise RuntimeError("Slack is down")

    events.subscribe(name, write_then_fail)
    try:
        events.emit(name, key="k-2")
        event = DomainEvent.objects.get(key="k-2")
        with pytest.raises(RuntimeError):
            events.process(event.pk)
        event.refresh_from_db()
        assert (event.processed_at, event.attempts, event.last_error) == (None, 1, "RuntimeError: Slack is down")
        assert not DomainEvent.objects.filter(key="side-effect").exists()
    finally:
        events._handlers[name].remove(write_then_fail)
    assert events.process_pending() == 1  # the handler is fixed: the sweep processes what waited
    event.refresh_from_db()
    assert event.processed_at is not None and event.last_error == ""


def test_the_shipped_trigger_is_installed_on_both_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s ORDER BY tgname", ["pgtrigger_%shipped%"])
        names = [row[0] for row in cursor.fetchall()]
    assert len(names) == 2, names
