"""Ingestion through the real thing: the API commits, the triage message goes to Redis, a Celery worker triages."""

from __future__ import annotations

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client

from feedback.choices import Sentiment
from feedback.models import FeedbackItem, TriageRecord
from feedbackhub.celery import app
from integrations import ingest
from integrations.models import PendingTriage
from integrations.services import create_token

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_given_items_with_scores_when_ingested_then_a_worker_on_redis_triages_them_keeping_the_sources_scores(
    django_user_model, monkeypatch
):
    owner = django_user_model.objects.create_superuser(username="intercom-bot", password="x")
    key = create_token(name="Intercom", owner=owner, scopes=["ingest"]).key
    monkeypatch.setattr(ingest, "_broker_retry_at", 0.0)
    app.control.purge()
    items = [
        {
            "source": "intercom",
            "source_id": f"conv-{n}",
            "received_at": "2026-01-10T14:30:00Z",
            "verbatim": text,
            "sentiment_score": score,
        }
        for n, (text, score) in enumerate([("Love the new SDK", 0.8), ("Exports keep failing", -0.7)])
    ]

    response = Client().post(
        "/api/feedback/ingest/",
        data=json.dumps(items),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    before = sorted(FeedbackItem.objects.values_list("sentiment_label", flat=True))
    pending = PendingTriage.objects.count()
    # Ingestion stores each score's label itself now; blank them so the worker's own labelling is what we see.
    FeedbackItem.objects.update(sentiment_label="")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(300):
            if not FeedbackItem.objects.filter(triaged_at=None).exists():
                break
            time.sleep(0.1)

    assert response.status_code == 200 and response.json()["created"] == 2
    assert (before, pending) == (["negative", "positive"], 0)  # stored, labelled and sent at once
    labels = dict(FeedbackItem.objects.values_list("source_id", "sentiment_label"))
    assert labels == {"conv-0": Sentiment.POSITIVE, "conv-1": Sentiment.NEGATIVE}
    assert FeedbackItem.objects.untriaged().count() == 0  # the AI triage ran (feedback.triage), once per item
    assert TriageRecord.objects.count() == 2
    assert sorted(FeedbackItem.objects.values_list("sentiment_score", flat=True)) == [-0.7, 0.8]  # the sources'
