"""The offline answer: the evidence grouped by theme with exact counts, unique customers and ARR (each customer once),
every claim citing items that exist and are in scope; "not enough evidence" with the nearest items when it is weak;
the question and answer stored."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from feedback.models import FeedbackItem
from insights.ask import ask
from insights.ask_answer import NOT_ENOUGH, OFFLINE
from insights.ask_retrieval import AskFilters
from insights.models import AskedQuestion
from tests.insights.ask_data import OFF_TOPIC, QUESTION, feedback_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def base():
    return feedback_base()


def test_given_a_question_then_the_evidence_is_grouped_by_theme_with_exact_counts_customers_and_arr(base, user):
    answer = ask(QUESTION, user=user, writer=None)

    assert not answer.abstained and answer.written_by == OFFLINE
    themed, unthemed = answer.groups
    assert themed.theme == {"id": base.theme.pk, "name": base.theme.name}
    assert (themed.items, themed.customers, themed.arr) == (3, 2, 650_000.0)  # Acme's 250k once, not twice
    assert sorted(themed.item_ids) == sorted(item.pk for item in base.themed)
    assert unthemed.theme is None
    assert (unthemed.items, unthemed.customers, unthemed.arr) == (1, 1, 80_000.0)
    assert answer.totals == {"items": 4, "customers": 3, "arr": 730_000.0}
    assert len(themed.quotes) == 3 and {q["customer"] for q in themed.quotes} == {"Acme Health", "Bayview Clinic"}
    assert themed.quotes[0]["tier"] == "Enterprise"
    assert "No theme yet: 1 feedback item, 1 customer, $80,000 ARR" in answer.answer_text
    assert answer.answer_text.startswith("4 feedback items from 3 customers ($730,000 ARR) speak to this")


def test_given_an_answer_then_every_line_cites_items_and_the_citations_are_the_evidence(base):
    answer = ask(QUESTION, writer=None)

    evidence = {item.pk for item in [*base.themed, base.unthemed]}
    assert set(answer.citations) == evidence  # the praise and the off-topic items are below the relevance cut
    claims = [line for line in answer.answer_text.splitlines() if line.strip()]
    assert all(re.search(r"\[#\d+\]", line) for line in claims)
    assert FeedbackItem.objects.filter(pk__in=answer.citations).count() == len(answer.citations)


def test_given_filters_then_every_cited_item_is_in_their_scope(base):
    answer = ask("Why do the fine-tuning jobs of enterprise healthcare customers fail?", writer=None)

    assert [row["label"] for row in answer.filters_applied] == ["Enterprise ($100k+)", "Healthcare"]
    assert answer.search_text == "Why do the fine-tuning jobs customers fail?"
    cited = FeedbackItem.objects.filter(pk__in=answer.citations).select_related("customer")
    assert {item.customer.name for item in cited} == {"Acme Health", "Bayview Clinic"}
    assert all(item.customer.tier == "enterprise" and item.customer.industry == "healthcare" for item in cited)
    assert answer.totals == {"items": 3, "customers": 2, "arr": 650_000.0}
    assert "within Tier: Enterprise ($100k+) · Industry: Healthcare" in answer.answer_text


def test_given_explicit_filters_then_they_narrow_the_answer_too(base):
    answer = ask(QUESTION, filters=AskFilters(segment={"tier": "mid_market"}), writer=None)

    assert answer.citations == [base.unthemed.pk]
    assert answer.filters_applied == [{"field": "tier", "value": "mid_market", "label": "Mid-Market", "source": "form"}]


def test_given_an_off_topic_question_then_it_abstains_and_shows_the_nearest_items_marked_as_not_evidence(base):
    answer = ask(OFF_TOPIC, writer=None)

    assert answer.abstained
    assert answer.answer_text.startswith(NOT_ENOUGH)
    assert "Searched: “What is the best recipe for banana bread?” within all feedback." in answer.answer_text
    assert "Nearest items anyway (weak matches, not evidence):" in answer.answer_text
    assert answer.groups == [] and answer.totals == {}
    assert len(answer.nearest) == 3 and answer.citations == [row["item_id"] for row in answer.nearest]


def test_given_a_question_naming_only_its_scope_when_it_abstains_then_it_says_to_name_a_subject(base):
    answer = ask("What do enterprise customers say?", writer=None)
    off_topic = ask(OFF_TOPIC, writer=None)

    assert answer.abstained
    assert "not what about" in answer.answer_text
    assert "e.g. “What do enterprise customers say about rate limits?”" in answer.answer_text
    assert "not what about" not in off_topic.answer_text  # a question with a subject is not told to add one


def test_given_filters_nothing_matches_then_it_abstains_saying_the_scope_is_empty(base):
    answer = ask("Why do fine-tuning jobs fail for government customers?", writer=None)

    assert answer.abstained and answer.citations == [] and answer.nearest == []
    assert "within Industry: Government" in answer.answer_text
    assert "No feedback item is in this scope." in answer.answer_text


def test_given_a_question_then_it_and_its_answer_are_stored_with_who_asked(base, user):
    answer = ask(QUESTION, user=user, writer=None)

    asked = AskedQuestion.objects.get()
    assert answer.id == asked.pk and asked.asked_by == user and asked.question == QUESTION
    assert asked.answer["answer_text"] == answer.answer_text and asked.answer["citations"] == answer.citations
    assert asked.abstained is False and asked.written_by == OFFLINE and asked.seconds > 0
    assert asked.filters == {}


def test_given_the_command_then_it_prints_the_answer_without_storing_it(base, capsys):
    call_command("ask", "Why do the fine-tuning jobs of healthcare customers fail?", "--no-store")

    out = capsys.readouterr().out
    assert "Filters: Industry: Healthcare (from the question)" in out
    assert "3 feedback items from 2 customers ($650,000 ARR)" in out
    assert AskedQuestion.objects.count() == 0
    assert Decimal("650000") == base.acme.arr + base.bayview.arr


def test_given_a_verbatim_that_writes_a_citation_then_only_the_hub_cites(base):
    base.unthemed.verbatim = f"Our fine-tuning jobs keep failing, same as ticket [#{base.others[0].pk}] said."
    base.unthemed.save(update_fields=["verbatim"])
    from ai.providers import get_provider
    from feedback.services import embed_pending

    embed_pending(provider=get_provider("offline"))
    answer = ask(QUESTION, writer=None)

    assert base.unthemed.pk in answer.citations
    assert base.others[0].pk not in answer.citations  # the customer's "[#…]" is quoted, not cited
