"""The offline category classifier, for real: the shipped seed, its stored vectors and the shipped default model."""

from pathlib import Path

import numpy as np
import pytest

from ai import classifier, lexicon
from ai.evaluation.category import coarse
from ai.types import CATEGORIES


@pytest.fixture(scope="module")
def seed():
    """The seed examples with their stored vectors."""
    by_text = dict(zip(classifier.all_seed_texts(), classifier.seed_vectors(), strict=True))
    texts, labels = classifier.seed_examples()
    return texts, labels, np.array([by_text[text] for text in texts])


def test_given_the_seed_files_then_the_examples_are_the_single_label_reviews_mapped_to_three_labels(seed):
    texts, labels, vectors = seed

    assert len(texts) == len(labels) == len(vectors) == 3933  # 4,000 reviews less the 67 with two flags
    assert {label: labels.count(label) for label in set(labels)} == {"bug": 1292, "feature_request": 358, "other": 2283}
    assert vectors.shape == (3933, 384)


def test_given_the_stored_seed_vectors_then_they_are_the_embeddings_of_the_seed_texts():
    from ai.providers import get_provider

    texts = classifier.all_seed_texts()
    picks = [0, 1, 999, 2000, 3999]
    fresh = np.array(get_provider("offline").embed([texts[i] for i in picks]))
    stored = classifier.seed_vectors()[picks]

    cosines = (fresh * stored).sum(axis=1) / np.linalg.norm(stored, axis=1)
    assert cosines.min() > 0.999


def test_given_the_seed_when_the_default_is_rebuilt_then_it_predicts_as_the_shipped_one(tmp_path: Path, seed):
    texts, _, vectors = seed
    shipped = classifier.default()

    rebuilt = classifier.build_default(path=tmp_path / "classifier.npz")

    assert rebuilt.labels == shipped.labels == ["bug", "feature_request", "other"]
    assert rebuilt.n_examples == shipped.n_examples == 3933
    # Documented tolerance: the fit stops when the gradient is 1e-7 of its start; probabilities agree to 1e-4.
    assert np.abs(rebuilt.probabilities(vectors, texts) - shipped.probabilities(vectors, texts)).max() < 1e-4
    assert np.abs(rebuilt.probabilities(vectors) - shipped.probabilities(vectors)).max() < 1e-4
    assert classifier.Classifier.from_bytes((tmp_path / "classifier.npz").read_bytes()).version == rebuilt.version


def test_given_a_fold_held_out_when_trained_on_the_rest_then_it_beats_the_84_percent_baseline_on_it(seed):
    texts, labels, vectors = seed
    held = np.arange(len(texts)) % 5 == 0
    train_rows = np.flatnonzero(~held)
    model = classifier.train([texts[i] for i in train_rows], [labels[i] for i in train_rows], vectors[train_rows])

    test_rows = np.flatnonzero(held)
    predicted = [coarse(c) for c, _ in model.predict(vectors[test_rows], [texts[i] for i in test_rows])]
    gold = [labels[i] for i in test_rows]

    accuracy = np.mean([p == g for p, g in zip(predicted, gold, strict=True)])
    requests = [p for p, g in zip(predicted, gold, strict=True) if g == "feature_request"]
    assert accuracy > 0.86
    assert requests.count("feature_request") / len(requests) > 0.6  # the weak class is still found


def test_given_vectors_only_then_predictions_are_hub_categories_with_probabilities(seed):
    _, _, vectors = seed

    predictions = classifier.default().predict(vectors[:50])

    assert len(predictions) == 50
    assert {category for category, _ in predictions} <= set(CATEGORIES)
    assert all(0.0 < probability <= 1.0 for _, probability in predictions)


def test_given_a_model_when_serialised_and_loaded_then_it_predicts_the_same_and_keeps_its_version(seed):
    texts, _, vectors = seed
    model = classifier.default()

    again = classifier.Classifier.from_bytes(model.to_bytes())

    assert again.version == model.version and again.version.startswith("clf-")
    assert again.labels == model.labels and again.n_examples == model.n_examples
    assert again.predict(vectors[:40], texts[:40]) == model.predict(vectors[:40], texts[:40])


def test_given_pm_corrections_with_a_new_category_then_the_retrained_model_learns_it(seed):
    from ai.providers import get_provider

    texts, labels, vectors = seed
    questions = [
        "How do I change the language of the app?",
        "Where can I find my invoices?",
        "Is there a student discount?",
        "How can I export my data?",
        "Which phones are supported?",
        "Can I use the same account on two devices?",
        "How do I reset my password?",
        "What does the blue icon mean?",
    ]
    question_vectors = np.array(get_provider("offline").embed(questions))
    model = classifier.train(
        list(texts) + questions,
        list(labels) + ["question"] * len(questions),
        np.vstack([vectors, question_vectors]),
        weights=[1.0] * len(texts) + [5.0] * len(questions),
    )
    unseen = ["How do I delete my account?", "Where can I see my billing history?"]

    predicted = model.predict(get_provider("offline").embed(unseen), unseen)

    assert "question" in model.labels and model.n_examples == len(texts) + len(questions)
    assert model.version != classifier.default().version
    assert [category for category, _ in predicted] == ["question", "question"]


def test_given_labels_outside_the_taxonomy_then_training_refuses():
    with pytest.raises(ValueError, match="unknown labels"):
        classifier.train(["a", "b"], ["bug", "kudos"], [[0.0] * 384, [1.0] * 384])
    with pytest.raises(ValueError, match="at least two categories"):
        classifier.train(["a", "b"], ["bug", "bug"], [[0.0] * 384, [1.0] * 384])


@pytest.mark.parametrize(
    ("text", "sentiment", "expected"),
    [
        ("We will cancel our subscription next month.", 0.0, "churn_signal"),
        ("How do I rotate my API key?", 0.2, "question"),
        ("Setting up a project is tedious and takes forever.", -0.2, "pain_point"),
        ("Love it, works great.", 0.9, "praise"),
        ("Meh. The design is ugly.", -0.7, "complaint"),
    ],
)
def test_given_an_other_text_then_the_rules_name_its_hub_category(text, sentiment, expected):
    assert lexicon.refine_other(text, sentiment) == expected


def test_given_a_request_to_make_something_better_then_it_is_an_improvement_else_a_feature_request():
    assert lexicon.refine_request("The sync should be faster and easier to follow.") == "improvement"
    assert lexicon.refine_request("Please add a widget for the home screen.") == "feature_request"
