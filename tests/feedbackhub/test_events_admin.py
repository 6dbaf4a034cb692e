"""The domain events in the admin: read-only, filtered by state, and "Process now" through ``events.process``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from feedbackhub import events
from feedbackhub.models import DomainEvent

pytestmark = pytest.mark.django_db

LIST = reverse("admin:feedbackhub_domainevent_changelist")
NAME = "test.admin_event"


@pytest.fixture
def handled():
    """A handler of the test's event name recording payloads; it raises while ``failing`` holds True."""
    calls: list[dict] = []
    failing = [False]

    def handler(payload: dict) -> None:
        if failing[0]:
            raise RuntimeError("Slack is down")
        calls.append(payload)

    events.subscribe(NAME, handler)
    yield calls, failing
    events._handlers[NAME].remove(handler)


def event(key: str, **fields) -> DomainEvent:
    return DomainEvent.objects.create(name=NAME, key=key, payload={"theme_id": 7, "key": key}, **fields)


def keys_on(page: str, *candidates: str) -> set[str]:
    return {key for key in candidates if f">{key}<" in page}


def test_given_events_in_each_state_then_the_filters_show_processed_unprocessed_and_failing(admin_client):
    event("done", processed_at=timezone.now(), attempts=1)
    event("waiting")
    event("failing", attempts=3, last_error="RuntimeError: Slack is down")
    names = ("done", "waiting", "failing")

    pages = {state: admin_client.get(LIST, {"state": state}).content.decode() for state in ("processed", "unprocessed")}
    pages["failing"] = admin_client.get(LIST, {"state": "failing"}).content.decode()
    everything = admin_client.get(LIST).content.decode()

    assert keys_on(pages["processed"], *names) == {"done"}
    assert keys_on(pages["unprocessed"], *names) == {"waiting", "failing"}
    assert keys_on(pages["failing"], *names) == {"failing"}
    assert keys_on(everything, *names) == set(names) and "RuntimeError: Slack is down" in everything


def test_given_unprocessed_events_when_process_now_then_their_handlers_run_once_and_they_are_marked(
    admin_client, handled
):
    calls, _ = handled
    waiting = event("waiting")
    gave_up = event("gave-up", attempts=events.MAX_ATTEMPTS, last_error="RuntimeError: old")  # the sweep skips it
    done = event("done", processed_at=timezone.now(), attempts=1)

    response = admin_client.post(
        LIST, {"action": "process_selected", "_selected_action": [waiting.pk, gave_up.pk, done.pk]}, follow=True
    )

    rows = {row.key: row for row in DomainEvent.objects.all()}
    assert sorted(call["key"] for call in calls) == ["gave-up", "waiting"]
    assert rows["waiting"].processed_at and rows["gave-up"].processed_at and rows["gave-up"].last_error == ""
    assert rows["done"].attempts == 1  # already processed: left alone
    assert "Processed 2 event(s)." in response.content.decode()


def test_given_a_handler_still_failing_when_process_now_then_the_error_is_shown_and_kept_on_the_event(
    admin_client, handled
):
    _, failing = handled
    failing[0] = True
    waiting = event("waiting")

    response = admin_client.post(LIST, {"action": "process_selected", "_selected_action": [waiting.pk]}, follow=True)

    waiting.refresh_from_db()
    assert "failed again" in response.content.decode() and "Slack is down" in response.content.decode()
    assert (waiting.processed_at, waiting.attempts, waiting.last_error) == (None, 1, "RuntimeError: Slack is down")


def test_given_someone_who_may_only_view_events_then_they_cannot_process_them(client, django_user_model, handled):
    calls, _ = handled
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_domainevent"))
    client.force_login(viewer)
    waiting = event("waiting")

    listed = client.get(LIST)
    client.post(LIST, {"action": "process_selected", "_selected_action": [waiting.pk]})

    assert listed.status_code == 200 and "process_selected" not in listed.content.decode()
    assert calls == [] and DomainEvent.objects.get(pk=waiting.pk).processed_at is None


@pytest.mark.parametrize("rows", [2, 30])
def test_the_list_and_an_events_page_take_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries, rows
):
    for n in range(rows):
        event(f"e{n}", attempts=n % 3, last_error="E" * 3000 if n % 3 else "")
    one = DomainEvent.objects.get(key="e1")

    with django_assert_max_num_queries(12):
        listed = admin_client.get(LIST, {"state": "failing"})
    with django_assert_max_num_queries(12):
        page = admin_client.get(reverse("admin:feedbackhub_domainevent_change", args=[one.pk]))

    assert listed.status_code == page.status_code == 200
    assert "E" * 200 not in listed.content.decode()  # the list shows the error's start only
    assert "&quot;theme_id&quot;: 7" in page.content.decode() and "E" * 3000 in page.content.decode()
