"""``manage.py analyze_experiment`` on given figures: a readable report, one line of JSON last, precise refusals."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args: str) -> tuple[str, dict]:
    out = StringIO()
    call_command("analyze_experiment", *args, stdout=out)
    text = out.getvalue().rstrip("\n")
    return text, json.loads(text.splitlines()[-1])


def test_proportions_report_and_json_line():
    text, figures = run("--proportions", "200/1000", "250/1000")

    assert round(figures["difference"], 4) == 0.05
    assert (round(figures["ci_low"], 5), round(figures["ci_high"], 5)) == (0.01344, 0.08656)
    assert round(figures["p_value"], 6) == 0.007374
    assert round(figures["pooled_z"], 4) == 2.6774
    assert figures["srm_p_value"] == pytest.approx(1.0)  # 1,000 and 1,000 against 50/50
    assert figures["srm_flagged"] is False
    assert "difference 0.05000  CI (0.01344, 0.08656)" in text
    assert "relative   +25.00 %" in text
    assert "Sample ratio check" in text


def test_means_with_shares():
    _text, figures = run("--means", "3407,1396.87,52377.9767", "3461,2422.7,134698.29", "--shares", "50,50")

    assert figures["means"] == pytest.approx([0.41, 0.70])
    assert (round(figures["ci_low"], 5), round(figures["ci_high"], 5)) == (0.04538, 0.53462)
    assert round(figures["p_value"], 5) == 0.02016
    assert figures["kind"] == "mean" and "pooled_z" not in figures


def test_srm_uses_the_given_shares():
    _text, equal = run("--proportions", "500/5000", "540/5400")
    _text, planned = run("--proportions", "500/5000", "540/5400", "--shares", "5000,5400")

    assert round(equal["srm_p_value"], 6) == 0.000088 and equal["srm_flagged"]
    assert planned["srm_p_value"] == pytest.approx(1.0) and not planned["srm_flagged"]


def test_sequential_and_alpha():
    _text, fixed = run("--proportions", "200/1000", "250/1000", "--alpha", "0.01")
    _text, sequential = run("--proportions", "200/1000", "250/1000", "--sequential")

    assert fixed["alpha"] == 0.01 and fixed["ci_low"] < 0.01344  # wider at 99 %
    assert sequential["method"] == "sequential"
    assert sequential["ci_low"] < 0 < sequential["ci_high"]


def test_several_variants_are_corrected():
    text, figures = run("--proportions", "200/1000", "250/1000", "215/1000", "--correction", "holm")

    assert [row["variant"] for row in figures["comparisons"]] == [1, 2]
    first, second = figures["comparisons"]
    assert first["p_value_adjusted"] == pytest.approx(2 * first["p_value"])  # the smaller of two: × 2 under Holm
    assert second["p_value_adjusted"] == pytest.approx(max(second["p_value"], first["p_value_adjusted"]))
    assert "p adjusted (holm)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--proportions", "200/1000"], "at least two variants"),
        (["--proportions", "200-1000", "250/1000"], "#1 '200-1000': expected CONVERSIONS/SUBJECTS"),
        (["--proportions", "200/1000", "2.5/1000"], "#2 '2.5/1000': both numbers must be whole numbers"),
        (["--proportions", "200/1000", "1200/1000"], "#2 '1200/1000': conversions must be between 0 and the 1000"),
        (["--proportions", "200/1000", "0/0"], "#2 '0/0': the number of subjects must be at least 1"),
        (["--means", "3407,1396.87", "3461,2422.7,134698.29"], "#1 '3407,1396.87': expected N,SUM,SUMSQ"),
        (["--means", "1,1,1", "3461,2422.7,134698.29"], "#1 '1,1,1': A mean needs at least 2 observations"),
        (["--means", "10,100,10", "3461,2422.7,134698.29"], "#1 '10,100,10': Impossible sums"),
        (["--means", "10,x,10", "3461,2422.7,134698.29"], "SUM and SUMSQ must be numbers"),
        (["--proportions", "200/1000", "250/1000", "--shares", "50"], "1 shares for 2 variants"),
        (["--proportions", "200/1000", "250/1000", "--shares", "50,0"], "every share must be a positive number"),
        (["--proportions", "200/1000", "250/1000", "--alpha", "5"], "--alpha 5.0: must be between 0 and 1"),
        (["--proportions", "0/1000", "0/1000"], "no variance"),
        ([], "Give an experiment KEY, or figures"),
    ],
)
def test_bad_input_is_a_precise_command_error(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("analyze_experiment", *args, stdout=StringIO())
