"""Filters read from the question's own words, merged under the explicit ones, shown back with where they came from;
the text searched is the question without them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from insights.ask_filters import explicit_filters, parse_question
from insights.ask_retrieval import AskFilters

TODAY = date(2026, 12, 6)


def parsed(question: str, **kwargs):
    return parse_question(question, today=TODAY, **kwargs)


@pytest.mark.parametrize(
    ("question", "segment", "product", "search_text"),
    [
        (
            "What do enterprise healthcare customers say about fine-tuning?",
            {"tier": "enterprise", "industry": "healthcare"},
            "",
            "What do customers say about fine-tuning?",
        ),
        ("What do users say about Codestral latency?", {}, "codestral", "What do users say about latency?"),
        (
            "Rate limit complaints from mid-market fintech accounts",
            {"tier": "mid_market", "industry": "financial_services"},
            "",
            "Rate limit complaints accounts",
        ),
        (
            "SSO problems of at-risk accounts in Europe",
            {"lifecycle_stage": "at_risk", "region": "europe"},
            "",
            "SSO problems accounts",
        ),
        ("What does the community say about open weights?", {"community": True}, "open_weight", ""),
        ("Billing issues on the enterprise plan", {"plan": "enterprise"}, "", "Billing issues"),
        ("Is Mistral Large better than Mistral Small?", {}, "", "Is Mistral Large better than Mistral Small?"),
        ("Healthcare and retail customers on SSO", {}, "", "Healthcare and retail customers on SSO"),
        ("Which API errors do startups hit?", {"tier": "startup"}, "", "Which API errors do hit?"),
    ],
)
def test_given_a_question_stating_segments_or_a_product_then_they_are_filters_and_leave_the_searched_text(
    question, segment, product, search_text
):
    result = parsed(question)

    assert result.filters.segment == segment
    assert result.filters.product == product
    if search_text:
        assert result.search_text == search_text
    assert all(row.source == "question" for row in result.applied)


def test_given_a_question_that_is_only_filters_then_the_question_itself_is_searched():
    result = parsed("What do enterprise customers say?")

    assert result.filters.segment == {"tier": "enterprise"}
    assert result.search_text == "What do enterprise customers say?"
    assert result.has_topic is False
    assert parsed("What do enterprise customers say about latency?").has_topic is True
    assert parsed("What do customers say?").has_topic is False


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("latency since March", date(2026, 3, 1), None),
        ("latency since March 2025", date(2025, 3, 1), None),
        ("latency since 2026-02-14", date(2026, 2, 14), None),
        ("latency in the last 30 days", date(2026, 11, 6), None),
        ("latency over the past 2 weeks", date(2026, 11, 22), None),
        ("latency this quarter", date(2026, 10, 1), None),
        ("latency in 2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("latency in February", date(2026, 2, 1), date(2026, 2, 28)),
        ("latency before April 2026", None, date(2026, 3, 31)),
        ("latency after March", date(2026, 4, 1), None),
        ("latency since December", date(2026, 12, 1), None),  # the latest December not after today: this one
    ],
)
def test_given_dates_in_the_question_then_they_bound_the_answer(question, since, until):
    result = parsed(question)

    assert (result.filters.since, result.filters.until) == (since, until)
    assert result.search_text == "latency"


def test_given_a_month_still_to_come_this_year_then_last_years_is_meant():
    assert parse_question("churn since March", today=date(2026, 2, 10)).filters.since == date(2025, 3, 1)


def test_given_an_explicit_field_then_it_wins_over_the_text_and_both_are_shown_with_their_source():
    explicit = AskFilters(segment={"tier": "mid_market"}, since=date(2026, 1, 1))

    result = parsed("What do enterprise healthcare customers say about SSO since March?", explicit=explicit)

    assert result.filters.segment == {"tier": "mid_market", "industry": "healthcare"}
    assert result.filters.since == date(2026, 1, 1)
    shown = {row.field: (row.label, row.source) for row in result.applied}
    assert shown == {
        "tier": ("Mid-Market", "form"),
        "industry": ("Healthcare", "question"),
        "since": ("1 Jan 2026", "form"),
    }


def test_given_strip_off_then_the_question_is_searched_as_asked():
    result = parsed("What do enterprise customers say about SSO?", strip=False)

    assert result.search_text == "What do enterprise customers say about SSO?"
    assert result.filters.segment == {"tier": "enterprise"}


def test_given_words_that_only_look_like_filters_then_nothing_is_applied():
    result = parsed("Is the API active and does the pro version of the docs help onboarding?")

    assert result.filters == AskFilters()
    assert result.applied == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tier": "platinum"}, "tier"),
        ({"industry": "mining"}, "industry"),
        ({"product": "gpt"}, "product"),
        ({"since": date(2026, 3, 1), "until": date(2026, 2, 1)}, "until"),
    ],
)
def test_given_a_bad_explicit_field_then_the_error_names_it(fields, field):
    with pytest.raises(ValidationError) as error:
        explicit_filters(fields)

    assert list(error.value.message_dict) == [field]
