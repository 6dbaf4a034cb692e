"""Clustering real texts into themes without the number of themes, with the real offline embedder."""

import csv
from pathlib import Path

import numpy as np
import pytest

from ai import clustering
from ai.clustering import NOISE, cluster, cohesion
from ai.evaluation.themes import evaluate
from ai.providers import get_provider

FIXTURE = Path(__file__).parent.parent / "fixtures" / "themes" / "banking77_sample.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with FIXTURE.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def vectors(rows) -> list[list[float]]:
    return get_provider("offline").embed([row["text"] for row in rows])


def test_given_five_intents_of_real_messages_when_clustered_without_k_then_the_groups_match_the_labels(rows, vectors):
    from sklearn.metrics import adjusted_rand_score

    labels = cluster(vectors)

    assert len(labels) == len(rows) >= clustering.CENTER_FROM  # the centred path
    found = {label for label in labels if label != NOISE}
    assert 4 <= len(found) <= 8
    assert adjusted_rand_score([row["cluster"] for row in rows], labels) >= 0.8


def test_given_a_small_set_when_clustered_then_the_raw_vectors_path_still_groups_the_intents(rows, vectors):
    from sklearn.metrics import adjusted_rand_score

    picked = [index for index in range(len(rows)) if index % 8 < 4]  # 4 of each intent: 20 < CENTER_FROM

    labels = cluster([vectors[index] for index in picked])

    assert adjusted_rand_score([rows[index]["cluster"] for index in picked], labels) >= 0.5
    assert labels.count(NOISE) <= 4


def test_given_clusters_then_labels_run_from_the_largest_and_small_ones_are_noise():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16))
    sizes = [6, 3, 1]
    groups = [centre + 0.01 * rng.normal(size=(size, 16)) for centre, size in zip(centres, sizes, strict=True)]
    points = np.vstack(groups)

    labels = cluster(points, min_size=2)

    assert labels == [0] * 6 + [1] * 3 + [NOISE]
    assert cluster(points, min_size=4) == [0] * 6 + [NOISE] * 4


def test_given_too_few_vectors_then_everything_is_noise():
    assert cluster([]) == []
    assert cluster([[1.0, 0.0]]) == [NOISE]


def test_given_identical_vectors_then_cohesion_is_one_and_opposite_ones_lower():
    assert cohesion([[1.0, 0.0], [2.0, 0.0]]) == pytest.approx(1.0)
    assert cohesion([[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(np.sqrt(0.5))


def test_given_labelled_rows_when_evaluated_then_the_figures_follow_the_command_contract(rows):
    report, figures = evaluate(rows, get_provider("offline"))

    assert {"adjusted_rand", "v_measure", "n", "clusters_found", "clusters_true"} <= figures.keys()
    assert figures["n"] == 40 and figures["clusters_true"] == 5
    assert figures["adjusted_rand"] >= 0.8
    assert "adjusted Rand" in report


def test_given_the_labels_scrambled_when_evaluated_then_the_score_falls(rows):
    scrambled = [{"text": row["text"], "cluster": str(index % 5)} for index, row in enumerate(rows)]

    _, figures = evaluate(scrambled, get_provider("offline"))

    assert figures["adjusted_rand"] < 0.2


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"text": "one", "cluster": "a"}], "at least 2 rows"),
        ([{"text": "one", "cluster": "a"}, {"text": " ", "cluster": "b"}], "CSV lines 3"),
    ],
)
def test_given_rows_that_cannot_be_clustered_then_the_error_says_why(rows, message):
    from ai.evaluation import EvaluationError

    with pytest.raises(EvaluationError, match=message):
        evaluate(rows, get_provider("offline"))
