"""The outbox delivers each notification once, to email (Django's locmem backend) or Slack (a stub server on
127.0.0.1), retries with backoff what may pass, gives up after OUTBOX_MAX_ATTEMPTS, and loses nothing while the
broker or Slack is down."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from notifications import delivery, tasks
from notifications.choices import Channel, Kind, Status
from notifications.models import Notification
from notifications.services import enqueue
from tests.notifications.slack_stub import Reply, slack_fixture  # noqa: F401 — the `slack` fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The ids ``tasks.deliver.delay`` was called with (nothing is sent to the broker)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", ids.append)
    return ids


def slack_message(text: str = "Theme shipped: SSO", recipient: str = "product", **fields) -> Notification:
    return Notification.objects.create(
        key=f"test:{text}:{recipient}",
        kind=Kind.CHANGELOG,
        channel=Channel.SLACK,
        recipient=recipient,
        body=text,
        **fields,
    )


def email_message(recipient: str = "owner@example.com", **fields) -> Notification:
    defaults = {"key": f"test:email:{recipient}", "subject": "SSO shipped", "body": "Tell Acme: SSO is live."}
    return Notification.objects.create(channel=Channel.EMAIL, recipient=recipient, **{**defaults, **fields})


def make_due(notification: Notification) -> None:
    """Jump past the backoff (the test does not wait for it)."""
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- Once per key, once per delivery ----------------------------------------------------------------------------------


def test_given_one_key_enqueued_twice_then_one_row_one_queued_delivery_and_one_email(
    django_capture_on_commit_callbacks, queued
):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = enqueue(key="update:1", channel=Channel.EMAIL, recipient="a@example.com", body="Live")
        again, created_again = enqueue(key="update:1", channel=Channel.EMAIL, recipient="a@example.com", body="Again")

    outcomes = [tasks.deliver(notification_id) for notification_id in queued]
    make_due(first)  # long after: its claim's lease is over too
    redelivered = tasks.deliver(first.pk)  # the broker delivers the task a second time

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Notification.objects.count() == 1 and queued == [first.pk]
    assert outcomes == ["sent"] and redelivered == "skipped"
    assert [message.body for message in mail.outbox] == ["Live"]


def test_given_an_email_notification_then_it_is_sent_from_the_hub_through_djangos_backend(settings):
    settings.DEFAULT_FROM_EMAIL = "FeedbackHub <hub@feedback.example>"
    notification = email_message()

    outcome = delivery.deliver(notification.pk)

    (message,) = mail.outbox
    notification.refresh_from_db()
    assert outcome == "sent"
    assert (message.from_email, message.to, message.subject) == (
        settings.DEFAULT_FROM_EMAIL,
        [notification.recipient],
        "SSO shipped",
    )
    assert message.body == "Tell Acme: SSO is live."
    assert message.extra_headers["Message-ID"] == f"<notification-{notification.pk}@feedback.example>"
    assert (notification.status, notification.attempts) == (Status.SENT, 1) and notification.sent_at is not None


def test_given_the_mail_server_unreachable_then_the_failure_is_recorded_and_the_email_waits_with_backoff(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 1, False  # nothing listens
    notification = email_message()
    before = timezone.now()

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "retry" and notification.status == Status.PENDING and notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error
    assert notification.next_attempt_at > before + timedelta(seconds=settings.OUTBOX_BACKOFF_SECONDS)


def test_given_no_email_address_then_the_notification_fails_at_once_with_the_reason():
    notification = email_message(recipient="Acme account owner")

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "failed" and notification.status == Status.FAILED and notification.attempts == 1
    assert "not an email address" in notification.last_error and mail.outbox == []


# --- Slack ------------------------------------------------------------------------------------------------------------


def test_given_slack_answering_500_then_200_then_the_message_is_delivered_exactly_once(slack):
    slack.reply(Reply(500, "internal error"), Reply(200, "ok"))
    notification = slack_message(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*SSO*"}}])

    first = delivery.deliver(notification.pk)
    notification.refresh_from_db()
    after_failure = (notification.status, notification.attempts, notification.last_error)
    too_early = delivery.deliver(notification.pk)  # its backoff is not over
    make_due(notification)
    second = delivery.deliver(notification.pk)
    third = delivery.deliver(notification.pk)
    swept = delivery.deliver_due()

    notification.refresh_from_db()
    assert [first, too_early, second, third, swept] == ["retry", "skipped", "sent", "skipped", 0]
    assert after_failure == (Status.PENDING, 1, "Slack answered 500: internal error")
    assert len(slack.carrying("Theme shipped: SSO")) == 2 and slack.accepted("Theme shipped: SSO") == 1
    assert slack.posts[-1].path == "/hooks/product"
    assert slack.posts[-1].body == {"text": "Theme shipped: SSO", "blocks": notification.blocks}
    assert (notification.status, notification.attempts, notification.sent_at is not None) == (Status.SENT, 2, True)


def test_given_slack_rate_limiting_with_retry_after_then_the_next_try_waits_that_long_and_is_not_counted(slack):
    slack.reply(Reply(429, "rate_limited", headers={"Retry-After": "120"}))
    notification = slack_message()
    before = timezone.now()

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "retry" and notification.status == Status.PENDING
    assert before + timedelta(seconds=120) <= notification.next_attempt_at <= timezone.now() + timedelta(seconds=120)
    assert notification.attempts == 0 and "429" in notification.last_error


def test_given_slack_not_answering_within_the_timeout_then_the_failure_is_recorded(slack, settings):
    settings.SLACK_TIMEOUT_SECONDS = 1
    slack.reply(Reply(200, "ok", delay=3))
    notification = slack_message()

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "retry" and (notification.status, notification.attempts) == (Status.PENDING, 1)
    assert notification.last_error.startswith("Slack did not answer within 1 s")
    assert notification.next_attempt_at > timezone.now()


def test_given_failures_up_to_the_maximum_then_the_notification_is_failed_and_no_longer_tried(slack, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    slack.reply(*[Reply(503, "unavailable")] * 4)
    notification = slack_message()

    outcomes = []
    for _ in range(3):
        make_due(notification)
        outcomes.append(delivery.deliver(notification.pk))
    make_due(notification)
    later = [delivery.deliver(notification.pk), delivery.deliver_due()]

    notification.refresh_from_db()
    assert outcomes == ["retry", "retry", "failed"] and later == ["skipped", 0]
    assert (notification.status, notification.attempts) == (Status.FAILED, 3)
    assert notification.last_error == "Slack answered 503: unavailable (gave up after 3 tries)"
    assert len(slack.posts) == 3


def test_given_no_webhook_and_no_bot_token_then_it_fails_at_once_saying_which_variable_to_set(slack, settings):
    settings.SLACK_WEBHOOKS, settings.SLACK_CONSOLE = {}, False  # production
    notification = slack_message(recipient="#Product-Alerts")

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "failed" and notification.status == Status.FAILED and slack.posts == []
    assert "SLACK_WEBHOOK_PRODUCT_ALERTS" in notification.last_error and "SLACK_BOT_TOKEN" in notification.last_error


def test_given_development_with_no_slack_set_then_the_message_is_printed_on_the_workers_output_and_sent(
    slack, settings, capsys
):
    settings.SLACK_WEBHOOKS, settings.SLACK_BOT_TOKEN, settings.SLACK_CONSOLE = {}, "", True
    notification = slack_message("Shipped: SSO for contractors", recipient="#Product-Alerts")

    outcome = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert outcome == "sent" and notification.status == Status.SENT and slack.posts == []
    printed = capsys.readouterr().out
    assert "Slack #product_alerts (console, no webhook set)" in printed and "Shipped: SSO for contractors" in printed


def test_given_a_bot_token_then_the_message_is_posted_with_chat_post_message_to_the_channel(slack, settings):
    settings.SLACK_WEBHOOKS, settings.SLACK_BOT_TOKEN = {}, "xoxb-test-token"
    notification = slack_message(recipient="C0123CS")

    outcome = delivery.deliver(notification.pk)

    (post,) = slack.posts
    assert outcome == "sent"
    assert post.path == "/api/chat.postMessage" and post.headers["Authorization"] == "Bearer xoxb-test-token"
    assert post.body == {"channel": "C0123CS", "text": "Theme shipped: SSO"}


@pytest.mark.parametrize(
    ("error", "outcome", "status"),
    [("channel_not_found", "failed", Status.FAILED), ("internal_error", "retry", Status.PENDING)],
)
def test_given_slack_answering_ok_false_then_it_is_a_failure_permanent_or_not_by_its_error(
    slack, settings, error, outcome, status
):
    settings.SLACK_WEBHOOKS, settings.SLACK_BOT_TOKEN = {}, "xoxb-test-token"
    slack.reply(Reply(200, {"ok": False, "error": error}))
    notification = slack_message(recipient="C0123CS")

    result = delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert (result, notification.status) == (outcome, status)
    assert notification.last_error == f"Slack refused the message: {error}" and notification.sent_at is None


def test_given_slack_down_during_a_sweep_then_its_other_messages_wait_for_the_next_sweep(slack):
    slack.reply(Reply(502, "bad gateway"))
    first, second = slack_message("one"), slack_message("two")
    email = email_message()

    sent = delivery.deliver_due()

    first.refresh_from_db()
    second.refresh_from_db()
    assert sent == 1 and len(mail.outbox) == 1  # the email's server is not Slack
    assert len(slack.posts) == 1 and (first.attempts, second.attempts) == (1, 0)
    assert Notification.objects.get(pk=email.pk).status == Status.SENT


# --- Broker down, worker lost -----------------------------------------------------------------------------------------


def test_given_the_broker_down_at_enqueue_then_the_change_commits_the_row_waits_and_the_sweep_sends_it(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver, "delay", broker_down)
    with (
        caplog.at_level(logging.WARNING, logger="notifications.delivery"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        notification, _ = enqueue(key="alert:1", channel=Channel.EMAIL, recipient="cs@example.com", body="Churn")
    waiting = Notification.objects.get(pk=notification.pk).status

    sent = tasks.deliver_due()

    assert waiting == Status.PENDING and mail.outbox[0].body == "Churn" and sent == 1
    assert any("not queued" in record.message and record.levelno == logging.WARNING for record in caplog.records)


def test_given_a_worker_died_while_sending_then_the_sweep_sends_again_only_after_its_lease(slack):
    in_flight = slack_message("in flight", status=Status.SENDING, attempts=1)
    Notification.objects.filter(pk=in_flight.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    abandoned = slack_message("abandoned", status=Status.SENDING, attempts=1)
    make_due(abandoned)

    swept = delivery.deliver_due()
    redelivered_task = delivery.deliver(in_flight.pk)  # the dead worker's task, given back by the broker

    assert swept == 1 and redelivered_task == "skipped"
    assert slack.accepted("abandoned") == 1 and slack.carrying("in flight") == []
    assert Notification.objects.get(pk=abandoned.pk).attempts == 2


def test_given_a_worker_whose_lease_ran_out_and_was_reclaimed_then_its_late_outcome_changes_nothing(slack):
    notification = slack_message()
    claimed = delivery._claim(notification.pk)
    make_due(notification)
    reclaimed = delivery._claim(notification.pk)  # the sweep, after the lease

    delivery._record_failure(claimed, delivery.channels.ChannelError("late answer"))

    notification.refresh_from_db()
    assert (claimed.attempts, reclaimed.attempts) == (1, 2)
    assert (notification.status, notification.attempts, notification.last_error) == (Status.SENDING, 2, "")


def test_the_backoff_doubles_with_each_try_within_its_jitter_and_is_capped(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30

    waits = {tries: [delivery.backoff_seconds(tries) for _ in range(50)] for tries in (1, 2, 3, 12)}

    for tries in (1, 2, 3):
        assert all(30 * 2**tries * 0.8 <= wait <= 30 * 2**tries * 1.2 for wait in waits[tries])
    assert max(waits[12]) <= delivery.BACKOFF_CAP_SECONDS * 1.2 and len(set(waits[1])) > 1


# --- Tasks and schedule -----------------------------------------------------------------------------------------------


def test_the_delivery_task_survives_a_lost_worker_and_the_sweep_runs_every_minute_with_an_expiry():
    schedule = PeriodicTask.objects.get(task="notifications.tasks.deliver_due")

    assert tasks.deliver.acks_late and tasks.deliver.reject_on_worker_lost
    assert tasks.deliver.name == "notifications.tasks.deliver"
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (60, "seconds", True)
    assert schedule.expire_seconds == 55 and tasks.deliver_due.expires == 55
