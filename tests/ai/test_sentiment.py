"""The offline sentiment scorer, learnt from star ratings: real reviews, the shipped weights, held-out folds."""

from pathlib import Path

import numpy as np
import pytest

from ai import classifier, sentiment
from feedback.choices import Sentiment


@pytest.fixture(scope="module")
def rated():
    texts, stars = sentiment.seed_ratings()
    return texts, np.array(stars), classifier.seed_vectors()


def test_given_a_fold_held_out_when_trained_on_the_rest_then_the_direction_is_right_nine_times_in_ten(rated):
    texts, stars, vectors = rated
    held = np.arange(len(texts)) % 5 == 2
    model = sentiment.train([t for t, h in zip(texts, held, strict=True) if not h], stars[~held], vectors[~held])

    scores = np.array(model.score(vectors[held], [t for t, h in zip(texts, held, strict=True) if h]))
    gold = np.array([sentiment.label_for_stars(s) for s in stars[held]])
    polar = gold != "neutral"

    direction = np.mean((scores[polar] > 0) == (gold[polar] == "positive"))
    three_class = np.mean(np.array([sentiment.label_for(s) for s in scores]) == gold)
    assert direction >= 0.9
    assert three_class >= 0.8


def test_given_any_text_then_the_score_is_within_minus_one_and_one_and_the_labels_follow_the_hub_bands(rated):
    texts, _, vectors = rated

    scores = sentiment.score(vectors[:300], texts[:300]) + sentiment.score(vectors[:300])

    assert all(-1.0 <= score <= 1.0 for score in scores)
    for score in scores:
        assert sentiment.label_for(score) == Sentiment.for_score(score).value


def test_given_plain_feedback_then_praise_scores_positive_and_anger_negative():
    from ai.providers import get_provider

    texts = [
        "I love this app, it is perfect and so easy to use.",
        "Worst update ever, the app is useless and keeps crashing.",
        "Super appli, très pratique, je recommande !",
        "Nul, déçu, l'application plante tout le temps.",
    ]
    scores = sentiment.score(get_provider("offline").embed(texts), texts)

    assert [sentiment.label_for(score) for score in scores] == ["positive", "negative", "positive", "negative"]


def test_given_the_seed_when_rebuilt_then_it_scores_as_the_shipped_model(tmp_path: Path, rated):
    texts, _, vectors = rated

    rebuilt = sentiment.build_default(vectors, path=tmp_path / "sentiment.npz")

    shipped = sentiment.default()
    assert np.abs(np.array(rebuilt.score(vectors, texts)) - np.array(shipped.score(vectors, texts))).max() < 1e-3
    loaded = sentiment.SentimentModel.from_bytes((tmp_path / "sentiment.npz").read_bytes())
    assert loaded.score(vectors[:20], texts[:20]) == rebuilt.score(vectors[:20], texts[:20])
