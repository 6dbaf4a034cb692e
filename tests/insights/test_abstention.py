"""Ask the hub's abstention: choosing the threshold on one set and checking it on another (``ai.abstention``, pure
numbers, by hand), and ``evaluate_ask --templates`` end to end (each query asked in every template, the abstention
reported per template, the background z and the threshold chosen on the run in its JSON)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError

from ai.abstention import background_z, choose_threshold, confusion, evenly_spaced, expand
from insights import ask_retrieval
from tests.insights.test_evaluate_ask import corpus, queries, run  # noqa: F401  (fixtures of the command's tests)

# The numbers, by hand.


def test_expand_asks_every_topic_in_every_template_in_template_order():
    topics = [("card arrival", "card_arrival"), ("banana bread", "none")]

    asked = expand(topics, ["{topic}", "Any feedback on {topic}?"])

    assert asked == [
        ("card arrival", "card_arrival", 0),
        ("banana bread", "none", 0),
        ("Any feedback on card arrival?", "card_arrival", 1),
        ("Any feedback on banana bread?", "none", 1),
    ]
    with pytest.raises(ValueError, match="exactly once"):
        expand(topics, ["What do customers say?"])


def test_separable_sets_get_the_midpoint_of_the_gap():
    assert choose_threshold([0.60, 0.70, 0.90], [0.20, 0.40, 0.50]) == pytest.approx(0.55)


def test_overlapping_sets_get_the_lowest_cut_with_the_fewest_mistakes():
    # An off-topic 0.59 sits among the on-topic strengths: every cut makes at least one mistake; cutting above 0.50
    # (halfway to 0.58) makes one (0.59 answered), as does cutting above 0.59 (0.58 declined): the lower one is taken.
    on, off = [0.58, 0.60, 0.70, 0.80], [0.30, 0.50, 0.59]
    threshold = choose_threshold(on, off)

    assert threshold == pytest.approx((0.58 + 0.50) / 2)
    assert confusion(on, off, threshold).errors == 1
    with pytest.raises(ValueError):
        choose_threshold([0.5], [])


def test_confusion_counts_declined_on_topic_and_answered_off_topic_with_the_retrieval_rule():
    matrix = confusion([0.50, 0.57, 0.80], [0.57, 0.30], 0.57)  # abstain when strength < threshold: 0.57 answers

    assert (matrix.declined_on_topic, matrix.on_topic, matrix.answered_off_topic, matrix.off_topic) == (1, 3, 1, 2)
    assert str(matrix) == "declined 1/3 on-topic, answered 1/2 off-topic at 0.570"


def test_background_z_standardises_the_best_cosine_against_the_query_background():
    query = np.array([1.0, 0.0])
    background = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]])  # cosines 1, 0, .6, .8: mean .6, std .3742

    assert background_z(0.9, query, background) == pytest.approx((0.9 - 0.6) / np.std([1.0, 0.0, 0.6, 0.8]))
    assert background_z(0.9, query, background[:1]) == 0.0  # one row has no spread
    assert background_z(0.9, query, np.array([[0.0, 1.0], [0.0, 1.0]])) == 0.0  # no spread


def test_the_background_sample_is_evenly_spaced_and_the_same_every_time():
    assert evenly_spaced(5, 10) == [0, 1, 2, 3, 4]
    assert evenly_spaced(101, 5) == [0, 25, 50, 75, 100]
    assert evenly_spaced(10_003, 1000) == evenly_spaced(10_003, 1000) and len(evenly_spaced(10_003, 1000)) == 1000


# The command, end to end, on the 100 banking77 texts of the evaluate_ask tests.


@pytest.mark.django_db
def test_given_templates_then_every_query_is_asked_in_each_and_reported_per_template(corpus, queries, tmp_path):  # noqa: F811
    templates = tmp_path / "templates.txt"
    templates.write_text("{topic}\nWhat do customers say about {topic}?\n\nAny feedback on {topic}?\n")

    report, figures = run("--corpus", str(corpus), "--queries", str(queries), "--templates", str(templates))

    assert figures["n"] == 21 and figures["n_on_topic"] == 15 and figures["n_off_topic"] == 6  # 7 queries × 3
    rows = figures["by_template"]
    assert [row["template"] for row in rows] == [
        "{topic}",
        "What do customers say about {topic}?",
        "Any feedback on {topic}?",
    ]
    assert all(row["abstain_auc"] == 1.0 for row in rows)  # five distinct intents against weather and GPUs
    assert sum(row["on_topic_abstained"] for row in rows) == figures["on_topic_abstained"]
    assert figures["abstain_threshold"] == ask_retrieval.ABSTAIN_BELOW
    assert figures["min_on_topic_strength"] > figures["threshold_if_chosen_here"] > figures["max_off_topic_strength"]
    assert 0 <= figures["abstain_auc_background_z"] <= 1
    assert "'What do customers say about {topic}?'" in report and "background z" in report


@pytest.mark.django_db
def test_a_template_without_the_topic_is_refused_naming_the_file(corpus, queries, tmp_path):  # noqa: F811
    templates = tmp_path / "templates.txt"
    templates.write_text("What do customers say?\n")

    with pytest.raises(CommandError, match="templates.txt: A template needs"):
        run("--corpus", str(corpus), "--queries", str(queries), "--templates", str(templates))
