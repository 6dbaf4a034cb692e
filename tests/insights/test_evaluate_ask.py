"""Ask the hub's measurement: the metric functions against hand-computed values, and ``manage.py evaluate_ask`` end to
end on a small slice of banking77 (real text, real embeddings, the real retrieval SQL), its JSON last line and its
errors."""

from __future__ import annotations

import csv
import json
import math
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from insights.ask_evaluation import (
    QueryResult,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    roc_auc,
    summarise,
)

BANKING77 = Path(__file__).resolve().parents[2] / "ai" / "eval_data" / "banking77"
LABELS = ("card_arrival", "exchange_rate", "lost_or_stolen_card", "pin_blocked", "top_up_failed")


# The metrics, by hand.


def test_ndcg_divides_the_ranking_dcg_by_the_ideal_one():
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (2 relevant) = 1 + 1/log2(3) = 1.63093
    assert ndcg_at_k([True, False, True], relevant=2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([True, True], relevant=2) == pytest.approx(1.0)
    assert ndcg_at_k([False] * 10 + [True], relevant=1) == 0.0  # rank 11 is outside @10
    assert ndcg_at_k([], relevant=0) == 0.0


def test_ideal_dcg_stops_at_k_when_more_items_are_relevant():
    ranking = [True] * 10
    assert ndcg_at_k(ranking, relevant=130) == pytest.approx(1.0)


def test_precision_counts_k_in_the_denominator_even_for_a_short_answer():
    assert precision_at_k([True, False, True]) == pytest.approx(0.2)
    assert precision_at_k([True] * 12) == 1.0


def test_recall_and_reciprocal_rank():
    assert recall_at_k([True, False, True], relevant=4) == 0.5
    assert recall_at_k([True] * 60, relevant=100, k=50) == 0.5
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([False, False]) == 0.0


def test_auc_is_the_share_of_pairs_in_the_right_order_ties_half():
    # 0.9 and 0.8 beat both negatives, 0.4 beats only 0.3: 5 of 6 pairs
    assert roc_auc([0.9, 0.8, 0.4], [0.5, 0.3]) == pytest.approx(5 / 6)
    assert roc_auc([0.5], [0.5]) == 0.5
    assert roc_auc([0.7, 0.6], [0.2, 0.1]) == 1.0
    with pytest.raises(ValueError):
        roc_auc([0.5], [])


def test_summarise_scores_on_topic_queries_and_abstention_over_both_kinds():
    results = [
        QueryResult("a", "x", (True,) * 10, 10, 0.8, False),  # nDCG 1
        QueryResult("b", "y", (False,) * 10, 10, 0.6, False),  # nDCG 0: under 0.5
        QueryResult("c", "none", (), 0, 0.4, True),
        QueryResult("d", "none", (), 0, 0.65, False),  # above one on-topic query, answered
    ]
    figures = summarise(results, threshold=0.57)
    assert figures["ndcg_at_10"] == 0.5 and figures["share_under_0_5"] == 0.5
    assert figures["precision_at_10"] == 0.5 and figures["mrr"] == 0.5
    assert figures["abstain_auc"] == 0.75  # (0.8 beats both, 0.6 beats 0.4 only) = 3 of 4
    assert figures["off_topic_answered"] == 1 and figures["on_topic_abstained"] == 0
    assert figures["abstain_accuracy"] == 0.75 and figures["n"] == 4


# The command, end to end.


def write_csv(path: Path, header: tuple[str, str], rows: list, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    """20 real banking77 texts of each of 5 intents (100), in banking77's own header (text,category)."""
    with (BANKING77 / "train.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    picked = [row for label in LABELS for row in [r for r in rows if r[1] == label][:20]]
    return write_csv(tmp_path / "corpus.csv", ("text", "category"), picked)


@pytest.fixture
def queries(tmp_path) -> Path:
    rows = [(label.replace("_", " "), label) for label in LABELS]
    rows += [("what will the weather be like tomorrow", "none"), ("which GPU should we buy for fine-tuning", "none")]
    return write_csv(tmp_path / "queries.csv", ("query", "label"), rows)


def run(*args: str) -> tuple[str, dict]:
    out, err = StringIO(), StringIO()
    call_command("evaluate_ask", *args, stdout=out, stderr=err)
    lines = out.getvalue().strip().splitlines()
    assert "100/100" in err.getvalue()  # the progress bar reached the end
    return "\n".join(lines[:-1]), json.loads(lines[-1])


@pytest.mark.django_db
def test_given_a_small_corpus_then_it_reports_the_figures_and_leaves_nothing_behind(corpus, queries):
    spaces, items = EmbeddingSpace.objects.count(), FeedbackItem.objects.count()

    report, figures = run("--corpus", str(corpus), "--queries", str(queries))

    assert figures["n"] == 7 and figures["n_on_topic"] == 5 and figures["n_off_topic"] == 2 and figures["corpus"] == 100
    for key in ("ndcg_at_10", "precision_at_10", "recall_at_50", "mrr", "share_under_0_5", "seconds"):
        assert 0 <= figures[key] <= (1 if key != "seconds" else 600), key
    assert figures["ndcg_at_10"] >= 0.8  # five distinct intents: plain MiniLM cosine finds them
    assert figures["recall_at_50"] >= 0.8  # 20 relevant each, 50 retrieved
    assert figures["abstain_auc"] == 1.0 and figures["off_topic_answered"] == 0
    assert "Worst 5 on-topic queries" in report and "Off-topic queries closest" in report
    assert EmbeddingSpace.objects.count() == spaces and FeedbackItem.objects.count() == items
    assert not FeedbackEmbedding.objects.filter(space__model__contains="evaluate_ask").exists()


@pytest.mark.django_db
def test_the_two_splits_partition_the_queries(corpus, queries):
    _, a = run("--corpus", str(corpus), "--queries", str(queries), "--split", "a")
    _, b = run("--corpus", str(corpus), "--queries", str(queries), "--split", "b")
    assert a["n"] + b["n"] == 7 and a["n"] and b["n"]


@pytest.mark.django_db
def test_bad_files_are_precise_errors(tmp_path, corpus, queries):
    def fails(*args: str) -> str:
        with pytest.raises(CommandError) as error:
            call_command("evaluate_ask", *args, stdout=StringIO(), stderr=StringIO())
        return str(error.value)

    missing = write_csv(tmp_path / "q.csv", ("question", "label"), [("card arrival", "card_arrival")])
    assert "missing column(s) query" in fails("--corpus", str(corpus), "--queries", str(missing))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty" in fails("--corpus", str(empty), "--queries", str(queries))
    header_only = write_csv(tmp_path / "h.csv", ("text", "label"), [])
    assert "no rows" in fails("--corpus", str(header_only), "--queries", str(queries))
    latin = write_csv(tmp_path / "latin.csv", ("text", "label"), [("carte bloquée", "pin_blocked")], "latin-1")
    assert "is not utf-8 text: byte 0xe9" in fails("--corpus", str(latin), "--queries", str(queries))
    assert "unknown encoding 'klingon'" in fails(
        "--corpus", str(corpus), "--queries", str(queries), "--encoding", "klingon"
    )
    stray = write_csv(tmp_path / "stray.csv", ("query", "label"), [("refunds", "refund_not_showing_up")])
    assert "refund_not_showing_up match no text" in fails("--corpus", str(corpus), "--queries", str(stray))
    blank = write_csv(tmp_path / "blank.csv", ("query", "label"), [("card arrival", "")])
    assert "line 2: empty label" in fails("--corpus", str(corpus), "--queries", str(blank))
    assert "no such file" in fails("--corpus", str(tmp_path / "nope.csv"), "--queries", str(queries))
    assert not EmbeddingSpace.objects.filter(model__contains="evaluate_ask").exists()
