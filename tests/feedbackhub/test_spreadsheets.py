"""The formula-escaping rule: text that a spreadsheet would run gets a leading quote; anything else is untouched."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from feedbackhub import spreadsheets
from feedbackhub.spreadsheets import escape_formula, unescape_formula

DANGEROUS = ["=1+1", "+41 22 000 00 00", "-2+3", "@SUM(A1:A2)", "\t=cmd", "\r=cmd"]


@pytest.mark.parametrize("text", DANGEROUS, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_given_text_starting_like_a_formula_when_escaped_then_it_gets_a_leading_quote(text):
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Acme", "", "a=b", " =1", "'=already quoted", "1-2"])
def test_given_plain_text_when_escaped_then_it_is_unchanged(text):
    assert escape_formula(text) == text


@pytest.mark.parametrize("value", [-1200, Decimal("-1200.50"), -0.8, None, True, date(2026, 1, 1)])
def test_given_a_value_that_is_not_text_when_escaped_then_it_is_unchanged(value):
    assert escape_formula(value) is value


def test_given_the_rule_module_then_it_imports_no_app_and_no_django():
    tree = ast.parse(Path(spreadsheets.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert imported <= {"__future__", "typing"}


@pytest.mark.parametrize("text", DANGEROUS)
def test_given_escaped_text_when_unescaped_then_it_reads_as_written(text):
    assert unescape_formula(escape_formula(text)) == text


@pytest.mark.parametrize("value", ["'quoted on purpose", "'", "plain", -5, None])
def test_given_text_export_did_not_escape_when_unescaped_then_it_is_unchanged(value):
    assert unescape_formula(value) == value
