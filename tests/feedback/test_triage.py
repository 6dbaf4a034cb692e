"""The triage pipeline for real: the offline provider (MiniLM + the shipped classifier), pgvector, PostgreSQL."""

from __future__ import annotations

import json
from base64 import b64decode
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from ai.providers import get_provider
from customers.choices import Lifecycle, Tier
from feedback import triage
from feedback.choices import Category, Priority, Sentiment, Status
from feedback.models import DuplicateSuggestion, FeedbackEmbedding, FeedbackItem, FieldOverride, TriageRecord
from feedback.tasks import triage_items as triage_task
from feedbackhub.queues import QUEUE_OF_TASK
from tests.factories import make_customer, make_feedback
from tests.feedback.test_overrides import admin_form, change_url

pytestmark = pytest.mark.django_db
OUTAGE = "The API returns 500 errors in production since this morning, all our batch jobs are down"
Outcome = TriageRecord.Outcome


@pytest.fixture(scope="session")
def provider():
    """The process's offline provider: the model loads once for the session."""
    return get_provider("offline")


def run(*items, **options) -> triage.TriageRun:
    return triage.triage_items(item_ids=[item.pk for item in items], provider=get_provider("offline"), **options)


def test_given_an_outage_from_an_enterprise_then_every_triage_field_is_filled_and_recorded(provider):
    customer = make_customer(tier=Tier.ENTERPRISE, arr=Decimal("450000"))
    item = make_feedback(verbatim=OUTAGE, customer=customer)

    result = run(item)

    item.refresh_from_db()
    record = TriageRecord.objects.get(feedback=item)
    assert (result.applied, result.embedded) == (1, 1)
    assert (item.category, item.language, item.product_area) == (Category.BUG, "en", "inference")
    assert item.sentiment_label == Sentiment.NEGATIVE and -1 <= item.sentiment_score < -0.3
    assert item.severity and item.priority and 0 < len(item.tags) <= 5 and item.summary
    assert item.triaged_at is not None and item.human_fields == []
    assert (record.outcome, record.provider, record.version) == (Outcome.APPLIED, "offline", provider.version)
    assert record.model.startswith("all-MiniLM-L6-v2-int8+clf-") and record.confidence > 0.5
    assert record.priority_reason.startswith(f"tier enterprise 3×3 + severity {item.severity} ")
    assert "ARR $450k 2×1" in record.priority_reason and record.priority == item.priority
    assert set(record.applied_fields) >= {"category", "sentiment_score", "severity", "priority", "tags", "summary"}
    vector = FeedbackEmbedding.objects.get(feedback=item)
    assert vector.received_at == item.received_at and vector.dimensions == 384


def test_given_an_at_risk_account_then_the_priority_is_boosted_and_the_reason_says_so(provider):
    calm = make_feedback(verbatim=OUTAGE, customer=make_customer(tier=Tier.MID_MARKET, arr=Decimal("50000")))
    risky = make_feedback(
        verbatim=OUTAGE,
        customer=make_customer(tier=Tier.MID_MARKET, arr=Decimal("50000"), lifecycle_stage=Lifecycle.AT_RISK),
    )

    run(calm, risky)

    reasons = dict(TriageRecord.objects.values_list("feedback_id", "priority_reason"))
    assert "at-risk" not in reasons[calm.pk]
    assert "at-risk account (at risk, health 80) +3" in reasons[risky.pk]
    order = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL]
    calm.refresh_from_db()
    risky.refresh_from_db()
    assert order.index(risky.priority) >= order.index(calm.priority)


def test_given_fields_a_person_set_then_triage_keeps_them_and_says_which_it_applied(provider):
    item = make_feedback(
        verbatim=OUTAGE, category=Category.QUESTION, priority=Priority.LOW, human_fields=["category", "priority"]
    )

    run(item)

    item.refresh_from_db()
    record = TriageRecord.objects.get(feedback=item)
    assert (item.category, item.priority) == (Category.QUESTION, Priority.LOW)
    assert record.category == Category.BUG  # what the AI thought, kept on the record
    assert "category" not in record.applied_fields and "priority" not in record.applied_fields
    assert item.severity == record.severity  # the rest is filled


def test_given_a_summary_and_a_sources_score_then_triage_keeps_both(provider):
    item = make_feedback(verbatim=OUTAGE, summary="Prod 500s (from Zendesk)", sentiment_score=0.1)

    run(item)

    item.refresh_from_db()
    assert (item.summary, item.sentiment_score, item.sentiment_label) == ("Prod 500s (from Zendesk)", 0.1, "neutral")


def test_given_shadow_mode_then_the_triage_is_recorded_and_nothing_is_applied(provider, settings):
    settings.TRIAGE_SHADOW_MODE = True
    item = make_feedback(verbatim=OUTAGE)

    result = run(item)

    item.refresh_from_db()
    record = TriageRecord.objects.get(feedback=item)
    assert (result.shadow, record.outcome, record.applied_fields, record.category) == (1, "shadow", [], "bug")
    assert (item.category, item.priority, item.severity, item.tags, item.language, item.sentiment_label) == (
        "",
        "",
        "",
        [],
        "",
        "",
    )


def test_given_text_the_provider_cannot_read_then_it_needs_a_person_and_only_its_language_is_stored(provider):
    item = make_feedback(verbatim="Die API ist seit heute Morgen sehr langsam und gibt ständig Fehler zurück")

    result = run(item)

    item.refresh_from_db()
    record = TriageRecord.objects.get(feedback=item)
    assert (result.needs_review, record.outcome, record.applied_fields) == (1, "needs_review", ["language"])
    assert (item.language, item.category, item.priority, item.severity) == ("de", "", "", "")
    assert "not one the offline provider reads well" in record.notes
    from feedback.triage_quality import needing_a_person

    assert list(needing_a_person(FeedbackItem.objects.all())) == [item]


def test_given_the_same_items_twice_then_they_are_triaged_once_unless_forced(provider):
    items = [make_feedback(verbatim=text) for text in (OUTAGE, "Love the new dashboard, great job!")]

    first, second = run(*items), run(*items)
    forced = run(*items, force=True)

    assert (first.triaged, second.triaged, second.skipped, forced.triaged) == (2, 0, 2, 2)
    assert TriageRecord.objects.filter(feedback=items[0]).count() == 2
    assert forced.embedded == 0  # the stored vectors of the same text are reused


def test_given_a_redelivered_task_then_nothing_is_triaged_twice_and_gone_ids_are_ignored(provider):
    item = make_feedback(verbatim=OUTAGE)

    counts = [triage_task.apply(args=[[item.pk, 999_999]]).get() for _ in range(2)]

    assert counts == [1, 0] and TriageRecord.objects.filter(feedback=item).count() == 1


def test_given_a_person_who_corrects_the_ais_category_then_the_override_holds_the_real_ai_value(provider, admin_client):
    item = make_feedback(verbatim=OUTAGE)
    run(item)
    item.refresh_from_db()

    admin_client.post(change_url(item), admin_form(item, category=Category.COMPLAINT))
    run(item, force=True)

    item.refresh_from_db()
    override = FieldOverride.objects.get()
    assert (override.field, override.ai_value, override.human_value) == ("category", "bug", "complaint")
    assert item.category == Category.COMPLAINT  # a forced re-triage keeps what the person set


def test_given_near_identical_items_then_triage_suggests_the_older_as_a_duplicate(provider):
    older = make_feedback(verbatim="Exporting a report to CSV times out after 30 seconds")
    newer = make_feedback(verbatim="Exporting a report to CSV times out after 30 seconds every time")
    run(older)

    run(newer)

    assert DuplicateSuggestion.objects.filter(item=newer, parent=older).exists()


def test_given_applied_items_then_theme_matching_is_sent_by_name_after_the_commit(
    provider, django_capture_on_commit_callbacks
):
    import redis

    queue = redis.Redis.from_url(settings.REDIS_URL)  # the broker (no worker runs here: the message stays queued)
    item = make_feedback(verbatim=OUTAGE)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(item)

    sent = []
    name = QUEUE_OF_TASK["themes.tasks.match_items"]  # the queue its route names (feedbackhub.queues)
    for raw in queue.lrange(name, 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "themes.tasks.match_items":
            kwargs = json.loads(b64decode(message["body"]))[1]
            if kwargs == {"item_ids": [item.pk]}:
                sent.append(raw)
    for raw in sent:
        queue.lrem(name, 1, raw)
    assert len(callbacks) == 2 and len(sent) == 1  # theme matching, and the feedback.triaged event (feedbackhub.events)


def test_given_the_command_then_it_triages_the_untriaged_items_with_a_summary_line(provider):
    items = [make_feedback(verbatim=f"{OUTAGE} ({n})") for n in range(3)]
    run(items[0])
    out = StringIO()

    call_command("triage", stdout=out, stderr=StringIO())

    assert out.getvalue().startswith("Triaged 2 item(s)")
    assert FeedbackItem.objects.untriaged().count() == 0
    assert FeedbackItem.objects.exclude(status=Status.NEW).count() == 0


def test_given_several_batches_then_each_is_triaged_and_a_later_batch_sees_the_earlier_ones_vectors(monkeypatch):
    monkeypatch.setattr(triage, "BATCH_SIZE", 2)
    texts = [f"{OUTAGE} ({n})" for n in range(4)] + ["Exporting a report to CSV times out after 30 seconds"] * 2
    items = [make_feedback(verbatim=text) for text in texts]

    result = run(*items)

    assert (result.triaged, result.embedded) == (6, 6)
    assert FeedbackItem.objects.untriaged().count() == 0 and TriageRecord.objects.count() == 6
    assert DuplicateSuggestion.objects.filter(item=items[5], parent=items[4]).exists()


def test_given_items_no_message_triaged_then_the_minute_sweep_triages_the_old_enough_ones(provider, admin_client):
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from feedback.tasks import triage_untriaged

    made_by_a_person = make_feedback(verbatim=OUTAGE)  # as the admin, the API or an import make it: no message
    done = make_feedback(verbatim="Please add SAML single sign-on")
    run(done)
    fresh = make_feedback(verbatim="The billing page shows last month's invoice")
    old = timezone.now() - triage.BACKLOG_GRACE - timedelta(seconds=1)
    FeedbackItem.objects.filter(pk__in=[made_by_a_person.pk, done.pk]).update(created_at=old)

    assert triage.untriaged_backlog() == [made_by_a_person.pk]  # the fresh one is left to its own message
    assert triage_untriaged() == 1
    assert TriageRecord.objects.filter(feedback=made_by_a_person).exists()
    assert not TriageRecord.objects.filter(feedback=fresh).exists()
    task = PeriodicTask.objects.get(task="feedback.tasks.triage_untriaged")
    assert task.enabled and task.interval.every == 60 and task.expire_seconds


def test_given_a_text_changed_since_triage_then_the_ais_own_sentiment_and_summary_are_redone(provider):
    item = make_feedback(verbatim="I love the new dashboard, it is fast and beautiful", summary="")
    run(item)
    item.refresh_from_db()
    first_score, first_summary = item.sentiment_score, item.summary
    # What ingestion does when a source sends the item again with another text: the item waits for triage again.
    FeedbackItem.objects.filter(pk=item.pk).update(
        verbatim="Exports keep failing and the API is down for all our users", triaged_at=None
    )

    run(item)

    item.refresh_from_db()
    assert first_score > 0 > item.sentiment_score
    assert item.summary != first_summary
