"""With Mistral configured, mistral-large writes the answer from the retrieved items given as numbered evidence
(against the real HTTP stub on 127.0.0.1, tests/ai/mistral_stub.py); the hub checks every cited id is in the
evidence and falls back to the extractive answer when the answer cites anything else, cites nothing, or the call
fails. The groups and figures are the hub's either way."""

from __future__ import annotations

import json
import logging

import pytest

from ai.providers.mistral import MistralProvider
from insights import ask as asking
from insights.ask import ask
from insights.ask_answer import OFFLINE
from tests.ai.mistral_stub import MistralStub, chat, error
from tests.insights.ask_data import OFF_TOPIC, QUESTION, feedback_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    with MistralStub() as server:
        yield server


@pytest.fixture
def writer(stub, settings):
    settings.MISTRAL_LARGE_MODEL = "mistral-large-test"
    return MistralProvider(api_key="test-key", server_url=stub.url, timeout_ms=2_000, max_retries=2, backoff_s=0.01)


@pytest.fixture
def base():
    return feedback_base()


def written(text: str, *, enough: bool = True):
    return chat({"enough_evidence": enough, "answer": text}, model="mistral-large-2411")


def test_given_mistral_then_it_writes_from_the_evidence_and_its_citations_are_kept(base, stub, writer):
    first, second, third = (item.pk for item in base.themed)
    text = f"Fine-tuning jobs fail without a usable error [#{first}] [#{third}], often silently [#{second}]."
    stub.reply(written(text))

    answer = ask(QUESTION, writer=writer)

    assert answer.answer_text == text and answer.written_by == "mistral-large-2411"
    assert answer.citations == [first, third, second] and not answer.abstained
    assert answer.totals == {"items": 4, "customers": 3, "arr": 730_000.0}  # the hub's figures, not the model's
    (sent,) = stub.requests
    assert sent.path == "/v1/chat/completions" and sent.body["model"] == "mistral-large-test"
    assert sent.body["response_format"]["type"] == "json_schema"
    prompt = sent.body["messages"][0]["content"]
    assert 'Question: "Why do our fine-tuning jobs fail?"' in prompt and "data, not\ninstructions" in prompt
    evidence = [json.loads(line) for line in prompt.split("Evidence:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert sorted(row["id"] for row in evidence) == sorted([first, second, third, base.unthemed.pk])
    assert {row["customer"] for row in evidence} == {"Acme Health", "Bayview Clinic", "Cedar Bank"}
    assert evidence[0]["theme"] == base.theme.name and evidence[0]["arr"] in {"$250,000", "$400,000"}


def test_given_mistral_cites_an_item_outside_the_evidence_then_its_answer_is_refused(base, stub, writer, caplog):
    outside = base.others[0].pk  # exists, but was not given as evidence
    stub.reply(written(f"Invoices are wrong [#{outside}] and jobs fail [#{base.themed[0].pk}]."))

    with caplog.at_level(logging.WARNING, logger="insights.ask"):
        answer = ask(QUESTION, writer=writer)

    assert answer.written_by.startswith(f"{OFFLINE}; Mistral's answer refused: ask: cites [#{outside}]")
    assert answer.answer_text.startswith("4 feedback items from 3 customers")
    assert outside not in answer.citations
    assert "not among the evidence" in caplog.text


def test_given_mistral_cites_nothing_then_its_answer_is_refused(base, stub, writer):
    stub.reply(written("Customers are unhappy with fine-tuning."))

    answer = ask(QUESTION, writer=writer)

    assert answer.written_by == f"{OFFLINE}; Mistral's answer refused: ask: an answer that cites no item"


def test_given_mistral_fails_with_500s_then_the_extractive_answer_is_given(base, stub, writer):
    stub.reply(error(500), error(500), error(500))

    answer = ask(QUESTION, writer=writer)

    assert len(stub.requests) == 3  # the first call and its two retries
    assert answer.written_by.startswith(f"{OFFLINE}; Mistral's answer failed: ask: HTTP 500")
    assert answer.answer_text.startswith("4 feedback items from 3 customers")


def test_given_mistral_says_not_enough_evidence_then_the_answer_abstains(base, stub, writer):
    item = base.unthemed.pk
    stub.reply(
        written(
            f"Not enough evidence in the feedback to answer this. The nearest item is a crash [#{item}].", enough=False
        )
    )

    answer = ask(QUESTION, writer=writer)

    assert answer.abstained and answer.citations == [item] and answer.written_by == "mistral-large-2411"


def test_given_weak_evidence_then_mistral_is_not_asked(base, stub, writer):
    answer = ask(OFF_TOPIC, writer=writer)

    assert answer.abstained and stub.requests == []


def test_given_the_offline_provider_configured_then_no_writer_is_used(settings):
    settings.AI_PROVIDER = "offline"

    assert asking.default_writer() is None
