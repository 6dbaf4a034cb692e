"""POST /api/feedback/ingest/: idempotent on (source, source_id), customers matched in bulk, never a 500 or half."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import current_app
from django.contrib.auth.models import Permission
from django.db import connections
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from feedback.choices import Category, Priority, Sentiment
from feedback.models import FeedbackItem
from feedbackhub.queues import QUEUE_OF_TASK
from feedbackhub.settings import kombu_url
from integrations import ingest
from integrations.api import views
from integrations.models import PendingTriage
from integrations.services import create_token
from tests.factories import make_customer, make_theme

URL = "/api/feedback/ingest/"
CLOSED_PORT_BROKER = "redis://127.0.0.1:9/0"  # the discard port: nothing listens, the connection is refused
REAL_PUBLISH = ingest.publish_triage  # the autouse fixture replaces it with a recorder


@pytest.fixture
def ingester(django_user_model):
    """An integration's owner who may add and change feedback (and nothing else)."""
    user = django_user_model.objects.create_user(username="zendesk-bot", password="x")
    allowed = Permission.objects.filter(
        content_type__app_label="feedback", codename__in=["add_feedbackitem", "change_feedbackitem"]
    )
    assert allowed.count() == 2
    user.user_permissions.add(*allowed)
    return user


@pytest.fixture
def key(ingester):
    return create_token(name="Zendesk production", owner=ingester, scopes=["ingest"]).key


@pytest.fixture(autouse=True)
def triage_sends(monkeypatch):
    """The id lists sent to ``feedback.tasks.triage_items``, instead of a broker (tests never fill the real queue)."""
    sent: list[list[int]] = []
    lock = threading.Lock()

    def publish(item_ids):
        with lock:
            sent.append(list(item_ids))

    monkeypatch.setattr(ingest, "publish_triage", publish)
    monkeypatch.setattr(ingest, "_broker_retry_at", 0.0)
    return sent


def post(body=None, *, key: str | None, raw: bytes | None = None, client: Client | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    data = raw if raw is not None else json.dumps(body)
    return (client or Client()).post(URL, data=data, content_type="application/json", **headers, **extra)


def an_item(n: int = 1, **fields) -> dict:
    return {
        "source": "zendesk",
        "source_id": f"ZD-{n}",
        "received_at": "2026-01-10T14:30:00Z",
        "verbatim": f"Batch jobs fail with a 500 after the update ({n})",
        **fields,
    }


def by_status(response) -> list[str]:
    return [line["status"] for line in response.json()["items"]]


# --- happy paths -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_one_item_when_posted_then_it_is_created_as_the_source_said_and_queued_after_the_commit(
    key, triage_sends, django_capture_on_commit_callbacks
):
    item = an_item(
        received_at="2026-01-10T15:30:00+01:00",
        summary="Batch 500s",
        source_url="https://acme.zendesk.com/agent/tickets/1",
        reporter_email="ana@unknown.example",
        category="bug",
        priority="high",
        sentiment_score=-0.6,
        tags=["batch", "api", "batch"],
        raw_payload={"ticket": {"id": 1, "via": "web"}},
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(item, key=key)
        sent_before_commit = list(triage_sends)

    stored = FeedbackItem.objects.get()
    assert response.status_code == 201
    assert response.json()["items"] == [
        {
            "index": 0,
            "status": "created",
            "source": "zendesk",
            "source_id": "ZD-1",
            "id": stored.pk,
            "customer": None,
            "matched_by": None,
        }
    ]
    assert stored.received_at == datetime(2026, 1, 10, 14, 30, tzinfo=UTC)  # the source's time, not ours
    assert (stored.summary, stored.category, stored.priority, stored.tags) == (
        "Batch 500s",
        Category.BUG,
        Priority.HIGH,
        ["batch", "api"],
    )
    assert stored.raw_payload == {"ticket": {"id": 1, "via": "web"}}
    assert (stored.status, stored.triaged_at, stored.customer) == ("new", None, None)
    assert sent_before_commit == [] and len(callbacks) == 1
    assert triage_sends == [[stored.pk]]
    assert not PendingTriage.objects.exists()  # sent: the outbox row is gone


@pytest.mark.django_db
def test_given_a_batch_then_each_item_is_created_updated_or_rejected_with_its_reason(key):
    post(an_item(1), key=key)
    batch = {
        "items": [
            an_item(1, verbatim="Batch jobs still fail"),
            an_item(2),
            an_item(3, category="bugg"),
            an_item(4, received_at="2026-02-30T10:00:00Z", sentiment_score="0.5"),
        ]
    }

    response = post(batch, key=key)

    body = response.json()
    assert response.status_code == 200
    assert by_status(response) == ["updated", "created", "rejected", "rejected"]
    assert (body["created"], body["updated"], body["rejected"]) == (1, 1, 2)
    assert body["items"][2]["errors"] == {
        "category": [
            '"bugg" is not one of: bug, feature_request, improvement, question, pain_point, complaint, praise, '
            "churn_signal, behavioral."
        ]
    }
    assert body["items"][2]["reason"].startswith('category: "bugg" is not one of')
    assert set(body["items"][3]["errors"]) == {"received_at", "sentiment_score"}
    assert sorted(FeedbackItem.objects.values_list("source_id", "verbatim")) == [
        ("ZD-1", "Batch jobs still fail"),
        ("ZD-2", an_item(2)["verbatim"]),
    ]


@pytest.mark.django_db
def test_given_a_retried_delivery_then_the_sources_facts_change_and_the_hubs_decisions_stay(key):
    first = post(an_item(1, tags=["api"], sentiment_score=-0.2), key=key).json()["items"][0]
    customer = make_customer()
    theme = make_theme()
    FeedbackItem.objects.filter(pk=first["id"]).update(
        category=Category.PRAISE, customer=customer, summary="Set by a PM", triaged_at=datetime(2026, 1, 11, tzinfo=UTC)
    )
    FeedbackItem.objects.get(pk=first["id"]).themes.add(theme)
    type(theme).objects.filter(pk=theme.pk).update(rollups_dirty=False)

    same = post(an_item(1, tags=["api"], category="bug", summary="From the source", sentiment_score=0.9), key=key)
    item = FeedbackItem.objects.get()
    assert by_status(same) == ["updated"] and same.json()["items"][0]["matched_by"] == "kept"
    assert (item.category, item.customer, item.summary, item.sentiment_score) == (
        Category.PRAISE,
        customer,
        "Set by a PM",
        -0.2,
    )
    assert item.triaged_at is not None  # same words: the triage still holds
    assert item.sentiment_label == Sentiment.for_score(-0.2)  # the label follows the score kept, at write time

    changed = post(an_item(1, verbatim="Now the export fails too", tags=["export"]), key=key)

    item.refresh_from_db()
    theme.refresh_from_db()
    assert by_status(changed) == ["updated"]
    assert (item.verbatim, item.tags, item.triaged_at) == ("Now the export fails too", ["api", "export"], None)
    assert theme.rollups_dirty
    assert FeedbackItem.objects.count() == 1


@pytest.mark.django_db
def test_given_the_same_key_twice_in_one_batch_then_the_last_is_stored_and_the_first_rejected(key):
    response = post([an_item(1, verbatim="first"), an_item(1, verbatim="second")], key=key)

    assert by_status(response) == ["rejected", "created"]
    assert "items[1]" in response.json()["items"][0]["errors"]["source_id"][0]
    assert FeedbackItem.objects.get().verbatim == "second"


@pytest.mark.django_db
def test_given_a_full_batch_then_it_takes_a_fixed_number_of_queries_and_fits_the_body_limit(
    key, django_assert_max_num_queries
):
    customer = make_customer(domain="acme.com", crm_id="0015A")
    items = [
        an_item(n, reporter_email=f"user{n}@acme.com", customer_crm_id="0015A" if n % 2 else "", raw_payload={"n": n})
        for n in range(ingest.MAX_BATCH)
    ]
    body = json.dumps({"items": items}).encode()

    with django_assert_max_num_queries(12):  # token, permissions, 2 matches, upsert, outbox, rollups; not per item
        response = post(raw=body, key=key)

    assert response.status_code == 200 and response.json()["created"] == ingest.MAX_BATCH
    assert FeedbackItem.objects.filter(customer=customer).count() == ingest.MAX_BATCH
    assert len(body) < views.MAX_BODY_BYTES // 10


# --- customers -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_items_then_customers_match_by_crm_id_then_domain_then_email_domain_and_unknown_ones_stay_unmatched(key):
    acme = make_customer(name="Acme", domain="acme.com", crm_id="0015A")
    globex = make_customer(name="Globex", domain="Globex.com", crm_id="0017G")
    items = [
        an_item(1, customer_crm_id="0015A", reporter_email="bob@globex.com"),  # the CRM id wins over the e-mail
        an_item(2, customer_crm_id="NOT-IN-CRM", customer_domain="https://www.GLOBEX.com/"),
        an_item(3, reporter_email="li@eu.mail.acme.com"),  # a sub-domain finds its parent
        an_item(4, customer_domain="acme.com", reporter_email="li@globex.com"),  # the named domain wins
        an_item(5, reporter_email="someone@gmail.com"),
        an_item(6),
    ]

    response = post(items, key=key)

    lines = response.json()["items"]
    assert [(line["customer"], line["matched_by"]) for line in lines] == [
        (acme.pk, "crm_id"),
        (globex.pk, "customer_domain"),
        (acme.pk, "reporter_email"),
        (acme.pk, "customer_domain"),
        (None, None),
        (None, None),
    ]
    assert FeedbackItem.objects.filter(customer__isnull=True).count() == 2  # kept, in ops' queue: never dropped


# --- bad input -----------------------------------------------------------------------------------------------------

BAD_ITEMS = {
    "unknown enum": (an_item(category="feature"), "category"),
    "missing field": ({k: v for k, v in an_item().items() if k != "verbatim"}, "verbatim"),
    "blank words": (an_item(verbatim="   "), "verbatim"),
    "number as text": (an_item(sentiment_score="0.5"), "sentiment_score"),
    "score out of range": (an_item(sentiment_score=3), "sentiment_score"),
    "text as number": (an_item(verbatim=42), "verbatim"),
    "boolean id": (an_item(source_id=True), "source_id"),
    "tags not a list": (an_item(tags="a,b"), "tags"),
    "tag too long": (an_item(tags=["ok", "x" * 51]), "tags[1]"),
    "impossible date": (an_item(received_at="2026-02-30T10:00:00Z"), "received_at"),
    "not a date": (an_item(received_at="yesterday"), "received_at"),
    "no time zone": (an_item(received_at="2026-01-10T14:30:00"), "received_at"),
    "future date": (an_item(received_at=(datetime.now(UTC) + timedelta(days=30)).isoformat()), "received_at"),
    "bad e-mail": (an_item(reporter_email="not-an-email"), "reporter_email"),
    "bad url": (an_item(source_url="javascript:alert(1)"), "source_url"),
    "unknown field": (an_item(titel="typo"), "titel"),
    "raw not an object": (an_item(raw_payload=[1, 2]), "raw_payload"),
    "NUL in text": (an_item(verbatim="a\u0000b"), "verbatim"),
    "lone surrogate": (an_item(raw_payload={"body": "\ud800"}), "raw_payload.body"),
    "NUL in the payload": (an_item(raw_payload={"lines": ["ok", "a\u0000b"]}), "raw_payload.lines[1]"),
    "summary too long": (an_item(summary="s" * 301), "summary"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_ITEMS))
def test_given_a_bad_item_then_a_400_names_the_field_and_nothing_is_written(key, case):
    item, field = BAD_ITEMS[case]

    single = post(item, key=key)
    batch = post({"items": [item]}, key=key)

    assert single.status_code == 400 and field in single.json(), single.json()
    assert batch.status_code == 400 and f"items[0].{field}" in batch.json(), batch.json()
    assert FeedbackItem.objects.count() == 0 and PendingTriage.objects.count() == 0


BAD_BODIES = {  # the whole body refused, with the words that say why
    "malformed JSON": (b'{"source": "zendesk", ', 400, "not valid JSON"),
    "invalid UTF-8": (b'{"source": "zendesk\xff"}', 400, "not valid UTF-8: byte 0xff"),
    "NaN": (b'{"items": [{"sentiment_score": NaN}]}', 400, "NaN is not a JSON number"),
    "not an object": (b'"hello"', 400, "body"),
    "items not a list": (b'{"items": {"source": "zendesk"}}', 400, "items"),
    "empty batch": (b'{"items": []}', 400, "items"),
    "field next to items": (b'{"items": [], "extra": 1}', 400, "extra"),
    "batch over the limit": (json.dumps({"items": [an_item(n) for n in range(1_001)]}).encode(), 400, "items"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_given_a_bad_body_then_a_4xx_names_the_problem_and_nothing_is_written(key, case):
    body, code, words = BAD_BODIES[case]

    response = post(raw=body, key=key)

    assert response.status_code == code and words.lower() in response.content.decode().lower(), response.content
    assert FeedbackItem.objects.count() == 0


@pytest.mark.django_db
def test_given_a_connectors_items_then_the_service_takes_datetimes_and_rejects_only_the_unstorable_one():
    when = datetime(2026, 1, 10, 14, 30, tzinfo=UTC)
    items = [
        an_item(1, received_at=when, verbatim="a\u0000b"),
        an_item(2, received_at=when, raw_payload={"score": float("inf")}),
        an_item(3, received_at=when),
    ]

    results = ingest.ingest_items(items=items, received_via="connector:zendesk")

    assert [result.status for result in results] == ["rejected", "rejected", "created"]
    assert (set(results[0].errors), set(results[1].errors)) == ({"verbatim"}, {"raw_payload.score"})
    assert FeedbackItem.objects.get().received_at == when


@pytest.mark.django_db
def test_given_a_body_over_the_limit_then_413_before_it_is_read(key, monkeypatch):
    monkeypatch.setattr(views.IngestJSONParser, "max_bytes", 2_000)

    response = post({"items": [an_item(n) for n in range(30)]}, key=key)

    assert response.status_code == 413 and "larger than 2,000 bytes" in response.json()["detail"]
    assert FeedbackItem.objects.count() == 0


@pytest.mark.django_db
def test_given_some_bad_items_then_the_good_ones_are_stored_and_an_all_bad_batch_writes_nothing(key):
    mixed = post([an_item(1), an_item(2, priority="urgent"), an_item(3)], key=key)
    all_bad = post([an_item(4, priority="urgent"), an_item(5, severity="huge")], key=key)

    assert mixed.status_code == 200 and by_status(mixed) == ["created", "rejected", "created"]
    assert all_bad.status_code == 400
    assert set(all_bad.json()) >= {"items[0].priority", "items[1].severity"}
    assert sorted(FeedbackItem.objects.values_list("source_id", flat=True)) == ["ZD-1", "ZD-3"]


# --- permissions ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_callers_then_anonymous_is_401_a_token_without_ingest_403_and_one_with_it_201(
    ingester, django_user_model, key
):
    read_key = create_token(name="Reader", owner=ingester, scopes=["read", "write"]).key
    viewer = django_user_model.objects.create_user(username="viewer", password="x")
    powerless_key = create_token(name="Viewer's", owner=viewer, scopes=["ingest"]).key

    anonymous = post(an_item(1), key=None)
    no_scope = post(an_item(2), key=read_key)
    no_permission = post(an_item(3), key=powerless_key)
    allowed = post(an_item(4), key=key)

    assert (anonymous.status_code, no_scope.status_code, no_permission.status_code) == (401, 403, 403)
    assert "'ingest' scope" in no_scope.json()["detail"]
    assert allowed.status_code == 201
    assert list(FeedbackItem.objects.values_list("source_id", flat=True)) == ["ZD-4"]


@pytest.mark.django_db
def test_given_the_route_then_it_is_named_and_served_before_the_feedback_resources():
    assert reverse("api-feedback-ingest") == URL


# --- the triage queue ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_the_broker_down_then_items_are_stored_and_the_sweep_queues_them_once_it_is_back(
    key, monkeypatch, triage_sends, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(ingest, "publish_triage", REAL_PUBLISH)
    monkeypatch.setitem(current_app.conf, "broker_write_url", CLOSED_PORT_BROKER)

    with django_capture_on_commit_callbacks(execute=True):
        response = post([an_item(1), an_item(2)], key=key)
    swept_while_down = ingest.send_pending_triage()

    ids = sorted(FeedbackItem.objects.values_list("pk", flat=True))
    assert response.status_code == 200 and by_status(response) == ["created", "created"]
    assert sorted(PendingTriage.objects.values_list("item_id", flat=True)) == ids
    assert swept_while_down == 0

    monkeypatch.setattr(ingest, "publish_triage", lambda item_ids: triage_sends.append(list(item_ids)))  # it is back
    young = ingest.send_pending_triage()  # rows of the last minute belong to a send still in flight
    PendingTriage.objects.update(queued_at=datetime.now(UTC) - timedelta(minutes=5))
    swept = ingest.send_pending_triage()

    assert (young, swept) == (0, 2)
    assert triage_sends == [ids]
    assert not PendingTriage.objects.exists()


def test_given_a_live_broker_then_one_triage_message_carries_the_ids(monkeypatch, settings):
    """The real send, into a database of the test Redis nobody else reads (db 15), emptied afterwards."""
    import redis

    parts = urlsplit(settings.REDIS_URL)
    url = f"unix://{parts.path}?db=15" if parts.scheme == "unix" else urlunsplit(parts._replace(path="/15"))
    monkeypatch.setitem(current_app.conf, "broker_write_url", kombu_url(url))
    spy = redis.Redis.from_url(url)
    queue = QUEUE_OF_TASK["feedback.tasks.triage_items"]  # the queue its route names (feedbackhub.queues)
    spy.delete(queue)
    try:
        REAL_PUBLISH([3, 1, 2])

        messages = spy.lrange(queue, 0, -1)
    finally:
        spy.delete(queue)
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert message["headers"]["task"] == "feedback.tasks.triage_items"
    assert json.loads(base64.b64decode(message["body"]))[0] == [[3, 1, 2]]


@pytest.mark.django_db
def test_given_the_migrations_then_the_triage_sweep_runs_every_minute_and_expires():
    task = PeriodicTask.objects.get(task="integrations.tasks.send_pending_triage")

    assert (task.interval.every, task.interval.period, task.expire_seconds, task.enabled) == (60, "seconds", 55, True)


# --- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_the_same_batch_delivered_in_parallel_then_each_item_is_stored_once_and_created_once(key, triage_sends):
    items = [an_item(n, reporter_email=f"u{n}@x.example") for n in range(200)]
    deliveries, start, responses = 4, threading.Barrier(4), []

    def deliver(order: int):
        try:
            start.wait()
            responses.append(post({"items": items[::order]}, key=key))  # half of them in reverse order
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(1 if n % 2 else -1,)) for n in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [response.status_code for response in responses] == [200] * deliveries
    created = {}
    for response in responses:
        for line in response.json()["items"]:
            assert line["status"] in ("created", "updated")
            created[line["source_id"]] = created.get(line["source_id"], 0) + (line["status"] == "created")
    assert set(created.values()) == {1}  # exactly one delivery created each item, the others updated it
    assert FeedbackItem.objects.count() == 200
    assert sorted(pk for ids in triage_sends for pk in ids) == sorted(
        pk for pk in FeedbackItem.objects.values_list("pk", flat=True) for _ in range(deliveries)
    )


@pytest.mark.django_db
def test_given_a_score_from_the_source_then_its_label_is_stored_with_it_before_any_triage_runs(key, triage_sends):
    post({"items": [an_item(1, sentiment_score=-0.6), an_item(2, sentiment_score=0.7), an_item(3)]}, key=key)

    labels = dict(FeedbackItem.objects.values_list("source_id", "sentiment_label"))
    assert labels == {
        an_item(1)["source_id"]: Sentiment.for_score(-0.6),
        an_item(2)["source_id"]: Sentiment.for_score(0.7),
        an_item(3)["source_id"]: "",
    }
    assert triage_sends == []  # nothing was sent: the labels came with the write, not from the triage task
