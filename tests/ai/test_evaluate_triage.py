"""``manage.py evaluate_triage`` on real labelled samples: the report, the last line of JSON, and its errors."""

import json
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ai"


def run(*args: str) -> tuple[str, dict]:
    out = StringIO()
    call_command("evaluate_triage", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return "\n".join(lines[:-1]), json.loads(lines[-1])


def test_given_coarse_labels_then_it_reports_accuracy_macro_f1_and_the_confusion_matrix():
    report, figures = run("--task", "category", "--csv", str(FIXTURES / "category_en.csv"))

    assert figures["labels"] == "coarse" and figures["n"] == 60 and figures["seconds"] > 0
    assert figures["accuracy"] >= 0.85 and figures["macro_f1"] >= 0.8
    assert set(figures["per_label_f1"]) == {"bug", "feature_request", "other"}
    assert "Confusion matrix" in report and "feature_request" in report


def test_given_hub_labels_then_they_are_compared_as_hub_categories(tmp_path):
    rows = ["text,label", '"Please add an export to PDF",feature_request', '"I love it, thank you!",praise']
    path = tmp_path / "hub.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    _, figures = run("--task", "category", "--csv", str(path))

    assert figures["labels"] == "hub" and figures["n"] == 2
    assert figures["accuracy"] == 1.0


def test_given_french_star_ratings_then_it_reports_direction_and_three_class_accuracy():
    report, figures = run("--task", "sentiment", "--csv", str(FIXTURES / "sentiment_fr.csv"))

    assert figures["n"] == 35 and figures["polar_n"] == 30
    # 30 polar reviews: one review is 0.033. Quality on 2,000 is test_sentiment's (held-out folds, ≥ 0.9).
    assert figures["direction_accuracy"] >= 0.75 and 0 < figures["accuracy"] <= 1
    assert "direction accuracy" in report


def test_given_a_file_with_a_bom_and_extra_columns_then_it_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffid,Text,sentiment\n1,Worst app ever,negative\n2,Great app,positive\n", encoding="utf-8")

    _, figures = run("--task", "sentiment", "--csv", str(path))

    assert figures["n"] == 2 and figures["direction_accuracy"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "is empty"),
        ("text,label\n", "no rows to evaluate"),
        ("text,category\nhello,bug\n", "missing column(s) label"),
        ("text,label\nhello,kudos\n", "unknown labels ['kudos']"),
    ],
)
def test_given_a_bad_file_then_the_command_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        run("--task", "category", "--csv", str(path))


def test_given_unknown_sentiment_labels_then_the_command_says_which(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,sentiment\nfine,meh\n", encoding="utf-8")

    with pytest.raises(CommandError, match="unknown sentiment labels"):
        run("--task", "sentiment", "--csv", str(path))


def test_given_a_task_whose_module_is_missing_then_the_command_says_which_file_is_needed(tmp_path, monkeypatch):
    path = tmp_path / "themes.csv"
    path.write_text("text,cluster\na,1\nb,2\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ai.evaluation.themes", None)  # as if the file were not there

    with pytest.raises(CommandError, match=r"ai/evaluation/themes.py with evaluate\(rows, provider\)"):
        run("--task", "themes", "--csv", str(path))
