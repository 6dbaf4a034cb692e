"""What the triage queue does today: the sentiment label of the source's score, and nothing that ends triage."""

from __future__ import annotations

import pytest

from feedback import services
from feedback.choices import Sentiment
from feedback.models import FeedbackItem
from feedback.tasks import triage_items
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def test_given_ingested_items_when_triaged_then_a_scores_label_is_set_and_they_stay_untriaged():
    negative = make_feedback(sentiment_score=-0.8)
    positive = make_feedback(sentiment_score=0.7)
    unscored = make_feedback()
    labelled = make_feedback(sentiment_score=0.0, sentiment_label=Sentiment.NEUTRAL)

    changed = services.triage_items(item_ids=[negative.pk, positive.pk, unscored.pk, labelled.pk])

    labels = dict(FeedbackItem.objects.values_list("pk", "sentiment_label"))
    assert changed == 2
    assert [labels[item.pk] for item in (negative, positive, unscored, labelled)] == [
        Sentiment.NEGATIVE,
        Sentiment.POSITIVE,
        "",
        Sentiment.NEUTRAL,
    ]
    assert FeedbackItem.objects.untriaged().count() == 4  # the AI triage (issue #8) takes them from here


def test_given_the_task_then_it_calls_the_service_and_ignores_ids_that_are_gone():
    item = make_feedback(sentiment_score=-0.5)

    changed = triage_items.apply(args=[[item.pk, 999_999]]).get()

    item.refresh_from_db()
    assert (changed, item.sentiment_label, item.triaged_at) == (1, Sentiment.NEGATIVE, None)
