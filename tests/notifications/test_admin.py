"""The outbox in the admin: statuses and errors at a glance, failed ones found by a filter and retried from the list or
their page (only failed ones, only by who may), a clear empty state, and a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from notifications import delivery, tasks
from notifications.choices import Channel, Kind, Status
from notifications.models import Notification
from tests.notifications.slack_stub import Reply, slack_fixture  # noqa: F401 — the `slack` fixture

pytestmark = pytest.mark.django_db

LIST = reverse("admin:notifications_notification_changelist")


def change_url(notification: Notification) -> str:
    return reverse("admin:notifications_notification_change", args=[notification.pk])


def retry_url(notification: Notification) -> str:
    return reverse("admin:notifications_notification_retry_one", args=[notification.pk])


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", ids.append)
    return ids


def make(n: int = 0, **fields) -> Notification:
    defaults = {
        "key": f"admin-test:{n}",
        "kind": Kind.ALERT,
        "channel": Channel.SLACK,
        "recipient": "product",
        "subject": f"Alert {n}",
        "body": f"Body of alert {n}",
    }
    return Notification.objects.create(**{**defaults, **fields})


def test_given_failures_up_to_the_maximum_then_the_failed_filter_shows_it_and_retry_now_delivers_it(
    admin_client, slack, settings, queued, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    slack.reply(Reply(500, "down"), Reply(500, "down"))
    failing = make(1, subject="Churn risk: Acme")
    make(2, subject="Delivered one")
    delivery.deliver(failing.pk)
    Notification.objects.filter(pk=failing.pk).update(next_attempt_at=failing.created_at)
    delivery.deliver(failing.pk)
    Notification.objects.exclude(pk=failing.pk).update(status=Status.SENT)

    page = admin_client.get(LIST, {"status__exact": "failed"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(LIST, {"action": "retry_selected", "_selected_action": [failing.pk]})
    failing.refresh_from_db()
    retried = (failing.status, failing.attempts, failing.last_error)
    outcome = delivery.deliver(failing.pk)  # as the queued task does

    failing.refresh_from_db()
    assert "Churn risk: Acme" in page and "Delivered one" not in page
    assert "failed after 2 tries" in page and "Slack answered 500: down" in page
    assert response.status_code == 302 and queued == [failing.pk]
    assert retried == (Status.PENDING, 0, "Slack answered 500: down (gave up after 2 tries)")
    assert outcome == "sent" and failing.status == Status.SENT and slack.accepted(failing.body) == 1
    assert LogEntry.objects.filter(object_id=str(failing.pk), change_message__startswith="Retried").count() == 1


def test_given_a_mix_selected_then_retry_now_changes_only_the_failed_ones(admin_client, queued):
    failed = make(1, status=Status.FAILED, attempts=8, last_error="boom")
    sent = make(2, status=Status.SENT, attempts=1)
    sending = make(3, status=Status.SENDING, attempts=1)

    admin_client.post(LIST, {"action": "retry_selected", "_selected_action": [failed.pk, sent.pk, sending.pk]})

    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {failed.pk: Status.PENDING, sent.pk: Status.SENT, sending.pk: Status.SENDING}


def test_given_a_failed_notification_then_its_page_shows_body_error_and_a_retry_button_that_posts(
    admin_client, queued, django_capture_on_commit_callbacks
):
    failed = make(1, status=Status.FAILED, attempts=8, body="Line one\nLine <two>", last_error="Slack answered 404")
    sent = make(2, status=Status.SENT, attempts=1)

    page = admin_client.get(change_url(failed)).content.decode()
    sent_page = admin_client.get(change_url(sent)).content.decode()
    confirm = admin_client.get(retry_url(failed))
    still_failed = Notification.objects.get(pk=failed.pk).status
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(retry_url(failed))

    assert "Line one\nLine &lt;two&gt;" in page and "Slack answered 404" in page
    assert retry_url(failed) in page and retry_url(sent) not in sent_page
    assert confirm.status_code == 200 and still_failed == Status.FAILED  # a GET changes nothing
    assert done.status_code == 302 and done["Location"] == change_url(failed)
    assert Notification.objects.get(pk=failed.pk).status == Status.PENDING and queued == [failed.pk]


def test_given_someone_who_may_only_view_then_nothing_can_be_retried(client, django_user_model, queued):
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    failed = make(1, status=Status.FAILED, attempts=8)

    page = client.get(change_url(failed)).content.decode()
    listed = client.get(LIST).content.decode()
    forced = client.post(retry_url(failed))
    client.post(LIST, {"action": "retry_selected", "_selected_action": [failed.pk]})

    assert retry_url(failed) not in page and "retry_selected" not in listed
    assert forced.status_code == 403
    assert Notification.objects.get(pk=failed.pk).status == Status.FAILED and queued == []


def test_given_no_notification_then_the_list_says_what_the_outbox_is_and_a_failed_filter_says_none_failed(
    admin_client,
):
    empty = admin_client.get(LIST).content.decode()
    none_failed = admin_client.get(LIST, {"status__exact": "failed"}).content.decode()

    assert "The outbox is empty" in empty and "No results found" not in empty
    assert "No failed notifications" in none_failed and "Show every notification" in none_failed


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_and_a_page_take_a_bounded_number_of_queries_whatever_the_rows(
    admin_client, django_assert_max_num_queries, rows
):
    statuses = [Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED]
    for n in range(rows):
        make(n, status=statuses[n % 4], attempts=n % 3, body="x" * 5000, last_error="e" * 500)
    one = Notification.objects.first()

    with django_assert_max_num_queries(12):
        listed = admin_client.get(LIST)
    with django_assert_max_num_queries(12):
        searched = admin_client.get(LIST, {"q": "alert 1", "kind__exact": "alert", "channel__exact": "slack"})
    with django_assert_max_num_queries(12):
        page = admin_client.get(change_url(one))

    assert listed.status_code == searched.status_code == page.status_code == 200
    assert "x" * 200 not in listed.content.decode()  # the list shows a preview, not the whole body


@pytest.mark.parametrize("rows", [3, 30])
def test_retry_now_on_many_takes_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries, queued, django_capture_on_commit_callbacks, rows
):
    failed = [make(n, status=Status.FAILED, attempts=8, last_error="down").pk for n in range(rows)]

    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(15):
        response = admin_client.post(LIST, {"action": "retry_selected", "_selected_action": failed})

    assert response.status_code == 302 and sorted(queued) == sorted(failed)
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.PENDING}


def test_the_list_says_how_long_a_message_waits_not_a_date(admin_client):
    make(1, next_attempt_at=timezone.now() + timedelta(minutes=4, seconds=30))
    make(2, next_attempt_at=timezone.now() - timedelta(seconds=5))
    make(3, status=Status.SENT)

    page = admin_client.get(reverse("admin:notifications_notification_changelist")).content.decode()

    assert "in 4\xa0minutes" in page and "due now" in page
