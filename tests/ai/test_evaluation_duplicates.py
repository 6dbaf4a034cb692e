"""ai.evaluation.duplicates: average precision of the cosine and F1 at the space's configured threshold.

Real pairs from ``tests/fixtures/themes/banking77_sample.csv`` (40 banking77 messages, 5 intents, CC BY 4.0; see its
README): every pair of messages, a duplicate when both have the same intent. Scored with the real offline model.
"""

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest

from ai.evaluation.duplicates import average_precision, evaluate
from ai.providers import get_provider

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "themes" / "banking77_sample.csv"


def banking_pairs() -> list[dict]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {"text_a": a["text"], "text_b": b["text"], "is_duplicate": str(int(a["cluster"] == b["cluster"]))}
        for a, b in itertools.combinations(rows, 2)
    ]


class Fixed:
    """A provider whose vectors are given: text → vector."""

    model = "fixed"
    dimensions = 2

    def __init__(self, name: str, vectors: dict[str, list[float]]) -> None:
        self.name, self.vectors = name, vectors

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[text] for text in texts]


def test_given_real_labelled_pairs_when_evaluated_with_the_offline_model_then_it_ranks_duplicates_first():
    rows = banking_pairs()

    report, figures = evaluate(rows, get_provider("offline"))

    assert (figures["n"], figures["positives"]) == (780, 140)
    assert figures["average_precision"] > 0.5  # the share of duplicates is 0.18: a random score gets about that
    assert figures["threshold"] == 0.60 and figures["f1_at_threshold"] > 0.4
    assert 0 < figures["precision"] <= 1 and 0 < figures["recall"] <= 1
    assert "Average precision of the cosine" in report and f"{figures['f1_at_threshold']:.3f}" in report


def test_the_average_precision_is_scikit_learns_ties_included():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(8)
    labels = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300), 1)  # many ties

    assert average_precision(labels, scores) == pytest.approx(average_precision_score(labels, scores))


def test_the_threshold_is_the_one_configured_for_the_providers_space(settings):
    at = {0.95: [1.0, 0.0], 0.7: [0.7, np.sqrt(1 - 0.49)], 0.2: [0.2, np.sqrt(1 - 0.04)]}
    vectors = {"q": [1.0, 0.0], **{f"t{cos}": vector for cos, vector in at.items()}}
    rows = [
        {"text_a": "q", "text_b": "t0.95", "is_duplicate": "1"},
        {"text_a": "q", "text_b": "t0.7", "is_duplicate": "1"},
        {"text_a": "q", "text_b": "t0.2", "is_duplicate": "0"},
    ]
    settings.DUPLICATE_THRESHOLDS = {"offline": 0.6, "mistral": 0.85}

    _, strict = evaluate(rows, Fixed("mistral", vectors))
    _, loose = evaluate(rows, Fixed("offline", vectors))

    assert (strict["threshold"], strict["precision"], strict["recall"]) == (0.85, 1.0, 0.5)
    assert (loose["threshold"], loose["precision"], loose["recall"], loose["f1_at_threshold"]) == (0.6, 1.0, 1.0, 1.0)
    assert strict["average_precision"] == loose["average_precision"] == 1.0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"text_a": "a", "text_b": "b", "is_duplicate": "maybe"}], r"must be 1 or 0 \(CSV lines 2\)"),
        ([{"text_a": "a", "text_b": " ", "is_duplicate": "1"}], r"empty text_a or text_b \(CSV lines 2\)"),
        ([{"text_a": "a", "text_b": "b", "is_duplicate": "0"}], "no pair is marked is_duplicate=1"),
    ],
)
def test_given_rows_it_cannot_measure_when_evaluated_then_it_says_which_lines(rows, message):
    from ai.evaluation import EvaluationError

    with pytest.raises(EvaluationError, match=message):
        evaluate(rows, Fixed("offline", {"a": [1.0, 0.0], "b": [0.0, 1.0]}))
