"""Redis down while feedback arrives: every item is stored and no caller sees an error; once Redis is back, the
minute sweeps beat sends get everything triaged by a real worker.

Redis here is both the broker and the cache, as in production: the API's rate limit lives in the cache too. The
Redis restarts empty (no persistence), so nothing sent before it stopped survives: only the sweeps can recover.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from feedback.models import FeedbackItem, TriageRecord
from feedback.tasks import triage_untriaged
from integrations import ingest, signatures
from integrations.choices import DeliveryStatus
from integrations.models import PendingTriage, WebhookDelivery
from integrations.services import create_token
from integrations.tasks import requeue_waiting_deliveries, send_pending_triage
from tests.factories import make_customer, make_feedback
from tests.integrations.payloads import raw
from tests.jobs.real_worker import own_redis, running_worker, sending_to, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ZENDESK_SECRET = "zendesk-secret"
ITEMS = [
    ("conv-1", "Exports to CSV keep failing since Monday", "ops@initech.example"),
    ("conv-2", "We love the new dashboard filters", "cto@initech.example"),
    ("conv-3", "Please add SSO with Okta for our admins", "it@globex.example"),
    ("conv-4", "The API returns 500 errors on batch jobs", "dev@globex.example"),
]


@pytest.fixture(scope="module")
def redis():
    """This module's Redis; the test process's Celery app sends to it."""
    with own_redis() as redis, sending_to(redis):
        yield redis


@pytest.fixture
def redis_everywhere(redis, settings):
    """The cache on this Redis too: when it is down, the API's rate limit cannot reach it either."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": ZENDESK_SECRET}
    return redis


def post_items(key: str):
    body = [
        {
            "source": "intercom",
            "source_id": source_id,
            "received_at": "2026-12-01T10:00:00Z",
            "verbatim": text,
            "reporter_email": email,
        }
        for source_id, text, email in ITEMS
    ]
    return Client().post(
        "/api/feedback/ingest/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def post_zendesk_webhook():
    body = raw("zendesk_ticket_created.json")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Client().post(
        "/api/webhooks/zendesk/",
        data=body,
        content_type="application/json",
        headers={
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": signatures.zendesk_signature(ZENDESK_SECRET, stamp, body),
        },
    )


def test_given_redis_down_when_feedback_arrives_then_it_is_all_stored_and_triaged_once_redis_is_back(
    redis_everywhere, tmp_path, django_user_model, monkeypatch
):
    redis = redis_everywhere
    make_customer(domain="initech.example")
    make_customer(domain="globex.example")
    owner = django_user_model.objects.create_superuser(username="intercom-bot", password="x")
    key = create_token(name="Intercom", owner=owner, scopes=["ingest"]).key
    monkeypatch.setattr(ingest, "_broker_retry_at", 0.0)

    with running_worker(redis, "through-the-outage", tmp_path) as worker:
        redis.stop()
        api = post_items(key)  # the API's batch: stored, its triage message cannot be sent
        webhook = post_zendesk_webhook()  # a vendor's delivery: stored raw, its processing cannot be queued
        by_hand = make_feedback(verbatim="Dark mode hurts readability in reports")  # made in the admin meanwhile
        stored = (
            FeedbackItem.objects.count(),
            PendingTriage.objects.count(),
            WebhookDelivery.objects.filter(status=DeliveryStatus.QUEUED).count(),
        )
        redis.start()

        # Beat's minute sweeps, a few minutes on: what waited longer than their grace is sent again.
        a_while_ago = timezone.now() - timedelta(minutes=5)
        PendingTriage.objects.update(queued_at=a_while_ago)
        WebhookDelivery.objects.update(received_at=a_while_ago)
        FeedbackItem.objects.filter(pk=by_hand.pk).update(created_at=a_while_ago)
        for sweep in (send_pending_triage, requeue_waiting_deliveries, triage_untriaged):
            sweep.delay()
        wait_for(
            lambda: FeedbackItem.objects.count() == 6 and not FeedbackItem.objects.untriaged().exists(),
            180,
            worker.describe,
        )

    assert (api.status_code, api.json()["created"]) == (200, 4)
    assert webhook.status_code < 300
    assert stored == (5, 4, 1)  # every API item stored and waiting in the triage outbox; the delivery kept raw
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PROCESSED
    assert FeedbackItem.objects.filter(source="zendesk", source_id="5158").exists()
    assert TriageRecord.objects.count() == 6  # each item triaged once
    assert PendingTriage.objects.count() == 0
