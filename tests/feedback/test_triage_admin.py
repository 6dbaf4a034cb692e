"""The triage in the admin: the quality page's figures, the "Needs a person" list, the read-only logs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import triage_quality
from feedback.choices import Category, Sentiment, Status
from feedback.models import ClassifierVersion, FeedbackItem, FieldOverride, TriageRecord
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db
QUALITY = reverse("admin:feedback_triagerecord_quality")
Outcome = TriageRecord.Outcome


def record(item: FeedbackItem, outcome: str = Outcome.APPLIED, **values) -> TriageRecord:
    applied = list(values) if outcome == Outcome.APPLIED else []
    return TriageRecord.objects.create(
        feedback=item, provider="offline", model="m", outcome=outcome, applied_fields=applied, **values
    )


def reviewed_item(*, ai_category: str, human_category: str | None = None, ai_label="", human_label="") -> None:
    """An item triage categorised, then reviewed by a person (moved to Reviewing), who may have changed it."""
    item = make_feedback(category=ai_category, sentiment_label=ai_label, status=Status.REVIEWING)
    values = {"category": ai_category}
    if ai_label:
        values |= {"sentiment_label": ai_label, "sentiment_score": 0.8 if ai_label == "positive" else -0.8}
    triage = record(item, **values)
    changes = {}
    if human_category and human_category != ai_category:
        changes["category"] = human_category
        FieldOverride.objects.create(
            feedback=item, triage=triage, field="category", ai_value=ai_category, human_value=human_category
        )
    if human_label:
        changes["sentiment_label"] = human_label
    FeedbackItem.objects.filter(pk=item.pk).update(**changes)


def test_given_reviews_then_category_and_sentiment_accuracy_are_measured_against_the_seeds_targets(admin_client):
    for _ in range(9):
        reviewed_item(ai_category=Category.BUG, ai_label=Sentiment.NEGATIVE, human_label=Sentiment.NEGATIVE)
    reviewed_item(
        ai_category=Category.BUG, human_category=Category.QUESTION, ai_label="positive", human_label="negative"
    )
    record(make_feedback(category=Category.BUG), category=Category.BUG)  # not reviewed: still New, untouched

    accuracy = triage_quality.review_accuracy()
    page = admin_client.get(QUALITY).content.decode()

    assert accuracy["reviewed"] == 10
    assert (accuracy["category"].hits, accuracy["category"].total, accuracy["category"].meets_target) == (9, 10, True)
    direction = accuracy["sentiment_direction"]
    assert (direction.hits, direction.total, direction.meets_target) == (9, 10, True)  # 90 %: just meets it
    assert "moved it past New or changed one of its triage fields" in page
    assert re.search(r'data-figure="category">.*?90.0 %.*?9 / 10.*?≥ 85 %.*?meets it', page, re.S)


def test_given_overrides_then_the_rate_per_field_is_overrides_over_items_where_triage_wrote_it(admin_client):
    items = [make_feedback() for _ in range(4)]
    records = [record(item, category=Category.BUG, priority="high") for item in items]
    FieldOverride.objects.create(feedback=items[0], triage=records[0], field="priority", ai_value="high")
    old = record(make_feedback(), category=Category.BUG)
    TriageRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=20))

    rates = {row["field"]: row["rates"] for row in triage_quality.override_rates()}
    page = admin_client.get(QUALITY).content.decode()

    assert [(rate.hits, rate.total) for rate in rates["priority"]] == [(1, 4), (1, 4), (1, 4)]
    assert [(rate.hits, rate.total) for rate in rates["category"]] == [(0, 4), (0, 5), (0, 5)]
    assert re.search(r'data-field="priority">.*?25.0 %.*?\(1/4\)', page, re.S)


def test_given_shadow_records_then_agreement_compares_them_with_what_people_set(admin_client):
    agree, differ, untouched = make_feedback(), make_feedback(), make_feedback()
    for item in (agree, differ, untouched):
        record(item, Outcome.SHADOW, category=Category.BUG)
    FeedbackItem.objects.filter(pk=agree.pk).update(category=Category.BUG, human_fields=["category"])
    FeedbackItem.objects.filter(pk=differ.pk).update(category=Category.PRAISE, human_fields=["category"])

    rows = {row["field"]: row["rate"] for row in triage_quality.shadow_agreement()[:-1]}

    assert (rows["category"].hits, rows["category"].total) == (1, 2)
    assert "3 shadow records" in admin_client.get(QUALITY).content.decode()


def test_given_the_quality_page_then_it_costs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(5):
        reviewed_item(ai_category=Category.BUG, human_category=Category.PRAISE)
    ClassifierVersion.objects.create(version="clf-a", blob=b"x", active=True, metrics={"held_out_accuracy": 0.9})
    admin_client.get(QUALITY)

    with django_assert_max_num_queries(16):
        response = admin_client.get(QUALITY)

    assert response.status_code == 200 and "clf-a" in response.content.decode()


def test_given_an_item_the_ai_could_not_read_then_it_is_in_needs_a_person_until_someone_deals_with_it(admin_client):
    french, english, handled = make_feedback(verbatim="Très déçu"), make_feedback(), make_feedback()
    record(french, Outcome.NEEDS_REVIEW)
    record(english)
    record(handled, Outcome.NEEDS_REVIEW)
    FeedbackItem.objects.filter(pk=handled.pk).update(category=Category.COMPLAINT, human_fields=["category"])
    url = reverse("admin:feedback_feedbackitem_changelist") + "?triage=needs_person"

    page = admin_client.get(url).content.decode()

    assert list(triage_quality.needing_a_person(FeedbackItem.objects.all())) == [french]
    assert "Très déçu" in page and english.verbatim not in page


def test_given_the_logs_then_they_list_and_cannot_be_changed(admin_client):
    item = make_feedback()
    triage = record(item, category=Category.BUG)
    FieldOverride.objects.create(feedback=item, triage=triage, field="category", ai_value="bug", human_value="praise")
    ClassifierVersion.objects.create(version="clf-b", blob=b"x", metrics={"held_out_accuracy": 0.875})

    records = admin_client.get(reverse("admin:feedback_triagerecord_changelist")).content.decode()
    overrides = admin_client.get(reverse("admin:feedback_fieldoverride_changelist")).content.decode()
    versions = admin_client.get(reverse("admin:feedback_classifierversion_changelist")).content.decode()
    add = admin_client.get(reverse("admin:feedback_triagerecord_add"))

    assert f"#{item.pk}" in records and "Triage quality" in records
    assert "praise" in overrides
    assert "clf-b" in versions and "87.5%" in versions and "Retrain now" in versions
    assert add.status_code == 403


def test_given_the_retrain_button_then_a_get_explains_and_asks_for_a_post(admin_client):
    page = admin_client.get(reverse("admin:feedback_classifierversion_retrain_now")).content.decode()

    assert "the shipped default" in page and 'method="post"' in page
