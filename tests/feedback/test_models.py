"""Feedback constraints hold in the database, whatever code writes the rows."""

import pytest
from django.db import IntegrityError, transaction

from feedback.choices import Sentiment, Source
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def test_given_an_item_when_same_source_and_source_id_arrive_again_then_database_rejects_it():
    make_feedback(source=Source.INTERCOM, source_id="conv_1")

    with pytest.raises(IntegrityError, match="feedback_unique_source_item"), transaction.atomic():
        make_feedback(source=Source.INTERCOM, source_id="conv_1")


def test_given_an_item_when_same_source_id_comes_from_another_source_then_it_is_accepted():
    make_feedback(source=Source.INTERCOM, source_id="1234")

    other = make_feedback(source=Source.ZENDESK, source_id="1234")

    assert other.pk is not None


@pytest.mark.parametrize("score", [-1.01, 1.5])
def test_given_sentiment_outside_minus_one_to_one_then_database_rejects_it(score):
    with pytest.raises(IntegrityError, match="feedback_sentiment_score_range"), transaction.atomic():
        make_feedback(sentiment_score=score)


def test_given_an_item_when_marked_duplicate_of_itself_then_database_rejects_it():
    item = make_feedback()
    item.duplicate_of_id = item.pk

    with pytest.raises(IntegrityError, match="feedback_not_own_duplicate"), transaction.atomic():
        item.save()


def test_given_an_empty_verbatim_then_database_rejects_it():
    with pytest.raises(IntegrityError, match="feedback_verbatim_not_empty"), transaction.atomic():
        make_feedback(verbatim="")


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.9, Sentiment.POSITIVE),
        (0.5, Sentiment.POSITIVE),
        (0.1, Sentiment.NEUTRAL),
        (-0.29, Sentiment.NEUTRAL),
        (-0.3, Sentiment.NEGATIVE),
        (-1, Sentiment.NEGATIVE),
    ],
)
def test_given_a_score_then_label_follows_seed_bands(score, label):
    assert Sentiment.for_score(score) == label
