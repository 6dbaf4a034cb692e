"""Processing a stored delivery: through the connector into ingest, the loop or enrichment; once; retried."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.models import Customer
from feedback.models import FeedbackItem
from integrations import deliveries, tasks
from integrations.choices import DeliveryStatus
from integrations.connectors import ConnectorError
from integrations.connectors.github import GitHubConnector
from integrations.models import WebhookDelivery
from tests.factories import make_customer, make_theme
from tests.integrations.payloads import payload, raw
from themes.choices import ThemeStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingested(monkeypatch):
    """The items handed to the ingest service (``integrations.ingest.ingest_items``), recorded instead of saved."""
    calls = []

    def ingest_items(*, items, received_via):
        calls.append((items, received_via))
        return [{"source_id": item["source_id"]} for item in items]

    monkeypatch.setattr("integrations.ingest.ingest_items", ingest_items)
    return calls


def stored(source: str, fixture: str, event: str = "", delivery_id: str = "d-1", **fields) -> WebhookDelivery:
    body = raw(fixture)
    return WebhookDelivery.objects.create(
        source=source, delivery_id=delivery_id, event=event, body=body.decode(), payload=payload(fixture), **fields
    )


def test_given_a_queued_github_delivery_then_its_item_goes_to_ingest_once(ingested):
    delivery = stored("github", "github_issues_opened.json", "issues.opened")

    first = deliveries.process_delivery(delivery_id=delivery.pk)
    again = deliveries.process_delivery(delivery_id=delivery.pk)

    assert (first, again) == (DeliveryStatus.PROCESSED, "skipped")
    [(items, via)] = ingested
    assert via == "webhook:github" and [item["source_id"] for item in items] == ["acme/platform#42"]
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.processed_at is not None
    assert delivery.result["items"] == [{"source_id": "acme/platform#42"}]


def test_given_a_delivery_with_nothing_to_take_in_then_it_is_marked_ignored(ingested):
    delivery = stored("intercom", "intercom_conversation_user_created.json", "conversation.admin.replied")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(payload={**delivery.payload, "topic": "x"})

    assert deliveries.process_delivery(delivery_id=delivery.pk) == DeliveryStatus.IGNORED
    assert ingested == []


def test_given_the_vendor_is_down_then_the_delivery_stays_queued_for_a_retry_and_fails_on_the_last(
    monkeypatch, ingested
):
    def down(self, payload, *, event=""):
        raise ConnectorError("GET /x: HTTP 503", status=503, retryable=True)

    monkeypatch.setattr(GitHubConnector, "webhook_items", down)
    delivery = stored("github", "github_issues_opened.json", "issues.opened")

    with pytest.raises(deliveries.RetryLater):
        deliveries.process_delivery(delivery_id=delivery.pk, final_attempt=False)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1)
    assert "HTTP 503" in delivery.error

    assert deliveries.process_delivery(delivery_id=delivery.pk, final_attempt=True) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)


def test_given_a_bug_in_processing_then_the_delivery_fails_at_once_with_the_error(monkeypatch, ingested):
    monkeypatch.setattr(GitHubConnector, "webhook_items", lambda self, payload, event="": 1 / 0)
    delivery = stored("github", "github_issues_opened.json", "issues.opened")

    assert deliveries.process_delivery(delivery_id=delivery.pk, final_attempt=False) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.error.startswith("ZeroDivisionError")


def test_given_the_task_then_it_acks_late_and_retries_on_retry_later():
    assert tasks.process_delivery.acks_late is True
    assert deliveries.RetryLater in tasks.process_delivery.autoretry_for
    assert tasks.process_delivery.max_retries == tasks.MAX_RETRIES


def test_given_a_linear_issue_done_then_the_theme_linking_it_ships(ingested):
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    theme.tracker_issues = ["LIN-142"]
    theme.save()
    delivery = stored("linear", "linear_issue_state_changed.json", "Issue.update")

    deliveries.process_delivery(delivery_id=delivery.pk)

    theme.refresh_from_db()
    assert theme.status == ThemeStatus.SHIPPED
    assert theme.tracker_states["LIN-142"]["state"] == "done"
    delivery.refresh_from_db()
    assert delivery.result["tracker"] == {"key": "LIN-142", "state": "done", "themes_moved": [theme.pk], "launches": []}


def test_given_a_crm_delivery_then_the_accounts_enrichment_is_updated(ingested):
    customer = make_customer(domain="initech.example", crm_id="001Dn00000ABCDE", arr=Decimal("1"))
    delivery = WebhookDelivery.objects.create(
        source="crm",
        delivery_id="sync-1",
        event="accounts",
        payload={"accounts": payload("salesforce_query.json")["records"]},
    )

    assert deliveries.process_delivery(delivery_id=delivery.pk) == DeliveryStatus.PROCESSED

    customer.refresh_from_db()
    assert (customer.arr, customer.tier, customer.health_score) == (Decimal("300000.00"), "strategic_partner", 55)
    delivery.refresh_from_db()
    assert delivery.result["accounts_updated"] == 1
    assert delivery.result["errors"] == [
        [1, "No user is called “ae@hub.example”: give an existing user's e-mail, username or full name."]
    ]
    assert Customer.objects.count() == 1


def test_given_deliveries_left_queued_then_the_sweep_sends_again_only_those_nobody_works_on(monkeypatch):
    old = timezone.now() - timedelta(minutes=5)
    lost = stored("github", "github_issues_opened.json", delivery_id="lost")
    retrying = stored("github", "github_issues_opened.json", delivery_id="retrying", attempts=2)
    fresh = stored("github", "github_issues_opened.json", delivery_id="fresh")
    done = stored("github", "github_issues_opened.json", delivery_id="done", status=DeliveryStatus.PROCESSED)
    WebhookDelivery.objects.filter(pk__in=[lost.pk, retrying.pk, done.pk]).update(received_at=old)
    sent = []
    monkeypatch.setattr(tasks.process_delivery, "delay", sent.append)

    assert tasks.requeue_waiting_deliveries() == 1
    assert sent == [lost.pk] and fresh.pk not in sent


def test_given_the_migrations_then_the_sweep_runs_every_minute_with_an_expiry():
    task = PeriodicTask.objects.get(task="integrations.tasks.requeue_waiting_deliveries")

    assert (task.interval.every, task.interval.period, task.expire_seconds, task.enabled) == (60, "seconds", 55, True)


def test_given_an_intercom_delivery_then_the_real_ingest_stores_one_item_for_its_customer_even_when_run_again():
    customer = make_customer(domain="acme.example")
    delivery = stored("intercom", "intercom_conversation_user_created.json", "conversation.user.created")

    deliveries.process_delivery(delivery_id=delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)  # a person sends it again
    deliveries.process_delivery(delivery_id=delivery.pk)

    item = FeedbackItem.objects.get()
    assert (item.source, item.source_id, item.customer) == ("intercom", "147", customer)
    assert item.reporter_email == "dana@acme.example" and item.raw_payload["id"] == "147"
    delivery.refresh_from_db()
    assert [line["status"] for line in delivery.result["items"]] == ["updated"] and delivery.error == ""


def test_given_a_call_delivery_then_the_transcript_is_stored_whole_as_one_call_item():
    delivery = stored("call", "call_transcript.json", "call")

    deliveries.process_delivery(delivery_id=delivery.pk)

    item = FeedbackItem.objects.get()
    assert (item.source, item.summary) == ("call", "QBR with Initech")
    assert item.verbatim.count("\n") == 2 and "export usage per team" in item.verbatim
