"""Issue 9's end-to-end path on a real Celery worker, real beat and a real Redis (the test's own):

a signed Intercom webhook brings a customer's feedback → the worker ingests and triages it → a PM puts it on a theme
→ a signed Linear webhook closes the theme's tracker issue → the worker ships the theme → the database trigger's
``theme.shipped`` event → beat's events sweep → the close-the-loop handler writes the customer update and moves the
item to Shipped → the notifications handler fills the outbox (the account owner's email, the changelog line) → the
worker delivers them: the changelog line to a stub Slack on 127.0.0.1, the email through Django's email backend.

The test only sends HTTP requests and makes the PM's change through the services; everything else is the worker's and
beat's. Beat's events sweep runs every 2 s here instead of every minute (an edit of its schedule, as the admin allows).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from feedback import services as feedback_services
from feedback.choices import Status
from feedback.models import FeedbackItem
from integrations import signatures
from integrations.choices import DeliveryStatus
from integrations.models import WebhookDelivery
from launches.models import CustomerUpdate
from notifications.choices import Channel
from notifications.choices import Status as NotificationStatus
from notifications.models import Notification
from tests.factories import make_customer, make_theme
from tests.integrations.payloads import raw
from tests.integrations.stub_http import StubApi, serve
from tests.jobs.real_worker import own_redis, running_beat, running_worker, sending_to, wait_for
from themes.choices import ThemeStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRETS = {"intercom": "intercom-secret", "linear": "linear-secret"}
EVENTS_SWEEP = "Events: process what the broker never got"  # feedbackhub 0008's schedule
SLACK_HOOK = "/services/T000/B000/product"


@pytest.fixture(scope="module")
def redis():
    with own_redis() as redis, sending_to(redis):
        yield redis


@pytest.fixture
def slack():
    """Slack's incoming webhook of the product channel: answers ``ok`` and records every POST."""
    stub = StubApi(routes={("POST", SLACK_HOOK): (200, "ok")})
    server = serve(stub)
    yield stub
    server.shutdown()
    server.server_close()


def post_intercom_conversation(client: Client):
    body = raw("intercom_conversation_user_created.json")  # from dana@acme.example
    headers = {"X-Hub-Signature": signatures.intercom_signature(SECRETS["intercom"], body)}
    return client.post("/api/webhooks/intercom/", data=body, content_type="application/json", headers=headers)


def post_linear_issue_done(client: Client):
    payload = json.loads(raw("linear_issue_state_changed.json"))  # LIN-142 moved to Done
    payload["webhookTimestamp"] = int(time.time() * 1000)
    body = json.dumps(payload).encode()
    headers = {"Linear-Signature": signatures.linear_signature(SECRETS["linear"], body)}
    return client.post("/api/webhooks/linear/", data=body, content_type="application/json", headers=headers)


def test_given_a_webhook_feedback_on_a_theme_when_its_linear_issue_closes_then_the_owner_and_slack_are_told(
    redis, slack, tmp_path, settings
):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, **SECRETS}
    owner = get_user_model().objects.create_user(username="sam", email="sam@hub.example", first_name="Sam")
    acme = make_customer(name="Acme Corp", domain="acme.example", account_owner=owner)
    theme = make_theme(name="Higher EU rate limits", status=ThemeStatus.IN_PROGRESS)
    theme.tracker_issues = ["LIN-142"]
    theme.save()
    every_two_seconds, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(  # (an earlier transactional test's flush may have removed its row)
        name=EVENTS_SWEEP,
        defaults={
            "task": "feedbackhub.tasks.process_pending_events",
            "interval": every_two_seconds,
            "expire_seconds": 55,
        },
    )
    mail = tmp_path / "mail"
    mail.mkdir()
    env = {
        "SLACK_WEBHOOK_PRODUCT": f"{slack.url}{SLACK_HOOK}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "JOBS_TEST_EMAIL_DIR": str(mail),
        "HUB_BASE_URL": "https://hub.example",
    }
    client = Client()

    with running_worker(redis, "e2e", tmp_path, concurrency=2, env=env) as worker, running_beat(redis, tmp_path):
        feedback = post_intercom_conversation(client)
        wait_for(lambda: FeedbackItem.objects.exclude(triaged_at=None).exists(), 120, worker.describe)
        item = FeedbackItem.objects.get()
        feedback_services.add_theme(items=[item], theme=theme)  # the PM's call

        closed = post_linear_issue_done(client)
        wait_for(
            lambda: slack.seen and Notification.objects.filter(status=NotificationStatus.SENT).count() == 2,
            120,
            worker.describe,
        )
        time.sleep(2)  # a few more sweeps: nothing more may be sent

    item.refresh_from_db()
    theme.refresh_from_db()
    update = CustomerUpdate.objects.get()
    notifications = {n.channel: n for n in Notification.objects.all()}
    [email] = list(mail.iterdir())
    [posted] = slack.seen

    assert (feedback.status_code, closed.status_code) == (202, 202)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PROCESSED}
    assert (item.customer, item.source, item.source_id) == (acme, "intercom", "147")
    assert item.category and item.triaged_at  # triaged by the worker
    assert theme.status == ThemeStatus.SHIPPED and theme.shipped_at is not None
    assert (update.customer, update.owner, update.theme) == (acme, owner, theme)
    assert update.due_on == (timezone.localdate() + timedelta(days=settings.CUSTOMER_UPDATE_DUE_DAYS))
    assert "Acme" in update.message and "Higher EU rate limits" in update.message
    assert item.status == Status.SHIPPED
    assert set(notifications) == {Channel.EMAIL, Channel.SLACK}
    assert {n.status for n in notifications.values()} == {NotificationStatus.SENT}
    assert notifications[Channel.EMAIL].recipient == "sam@hub.example"
    assert "To: sam@hub.example" in email.read_text() and "Acme Corp" in email.read_text()
    assert posted.path == SLACK_HOOK
    assert "Shipped: Higher EU rate limits" in json.loads(posted.body)["text"]
