"""The Mistral provider end to end against a real HTTP stub on 127.0.0.1 (tests/ai/mistral_stub.py).

The SDK sends real requests over sockets to the stub through ``server_url``; nothing is mocked inside the SDK. The
fallback is the real offline provider (its real ONNX model).
"""

from __future__ import annotations

import logging
import math
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from ai.extract import extract_offline
from ai.prompts import TRIAGE_SCHEMA
from ai.providers import get_provider, mistral
from ai.providers.base import EmbeddingProvider, ProviderUnavailable, TriageProvider
from ai.providers.mistral import MalformedOutput, MistralProvider, retry_after, routing_language, triage_result
from ai.types import CATEGORIES, PRODUCTS, ClusterName, CustomerContext, ThemeContext, TriageRequest
from tests.ai.mistral_stub import MistralStub, Reply, chat, embeddings, error

CUSTOMER = CustomerContext(
    company="Acme Robotics", tier="enterprise", arr=120_000, industry="Manufacturing", region="EMEA"
)
THEMES = (ThemeContext(id=12, name="SSO login"), ThemeContext(id=40, name="Batch API webhooks"))
BUG = {
    "category": "bug",
    "sentiment_score": -0.6,
    "severity": "high",
    "confidence": 0.91,
    "tags": ["sso", "login"],
    "product": "api",
    "product_area": "auth",
    "language": "en",
    "churn_signal": False,
    "competitors": [],
    "summary": "SSO login fails with a 500 error for Okta users.",
    "theme_ids": [12],
}
TEXT = "Since Monday our Okta SSO login fails with a 500 error, nobody on the team can sign in."


@pytest.fixture
def stub():
    with MistralStub() as server:
        yield server


@pytest.fixture(scope="session")
def offline():
    return get_provider("offline")


@pytest.fixture
def provider(stub, offline, settings):
    settings.MISTRAL_SMALL_MODEL, settings.MISTRAL_LARGE_MODEL = "mistral-small-test", "mistral-large-test"
    return MistralProvider(
        api_key="test-key", server_url=stub.url, timeout_ms=2_000, max_retries=2, backoff_s=0.01, fallback=offline
    )


def request(text: str = TEXT) -> TriageRequest:
    return TriageRequest(text=text, source="zendesk", customer=CUSTOMER, themes=THEMES)


# --- triage ----------------------------------------------------------------------------------------------------------


def test_given_a_valid_answer_when_triaging_then_every_field_is_read_and_the_request_carried_schema_and_context(
    stub, provider
):
    stub.reply(chat(BUG, model="mistral-small-2506"))

    (result,) = provider.triage([request()])

    assert (result.category, result.severity, result.product, result.product_area) == ("bug", "high", "api", "auth")
    assert result.sentiment_score == pytest.approx(-0.6) and result.confidence == pytest.approx(0.91)
    assert result.tags == ["sso", "login"] and result.theme_ids == [12] and result.language == "en"
    assert result.handled and not result.churn_signal and result.notes == ""
    assert (result.provider, result.model, result.version) == ("mistral", "mistral-small-test", "mistral-small-2506")
    (sent,) = stub.requests
    assert sent.path == "/v1/chat/completions" and sent.headers["Authorization"] == "Bearer test-key"
    assert sent.body["model"] == "mistral-small-test"
    schema = sent.body["response_format"]
    assert schema["type"] == "json_schema" and schema["json_schema"]["strict"] is True
    assert schema["json_schema"]["schema"] == TRIAGE_SCHEMA
    assert schema["json_schema"]["schema"]["properties"]["category"]["enum"] == list(CATEGORIES)
    prompt = sent.body["messages"][0]["content"]
    for context in ("Acme Robotics", "enterprise", "$120,000", "Manufacturing", "EMEA", '12: "SSO login"', "zendesk"):
        assert context in prompt
    assert '40: "Batch API webhooks"' in prompt and " | ".join(PRODUCTS) in prompt
    assert '"Since Monday our Okta SSO login fails' in prompt  # the text goes in as a JSON string


def test_given_a_feature_request_then_mistral_large_abstracts_its_job_to_be_done(stub, provider):
    answer = {**BUG, "category": "feature_request", "severity": "medium", "sentiment_score": 0.1, "theme_ids": [40]}
    jtbd = {
        "literal_request": "Webhooks when a batch job finishes.",
        "job_to_be_done": "When a nightly batch ends, I want my pipeline to go on at once, so that reports are ready.",
        "verification_questions": ["How do you learn today that a job is done?"],
        "alternatives": ["Polling endpoint with long-polling"],
    }
    stub.reply(chat(answer), chat(jtbd, model="mistral-large-2411"))

    (result,) = provider.triage([request("Please add webhooks when a batch job finishes, polling is a pain.")])

    assert result.category == "feature_request" and result.theme_ids == [40]
    assert result.jtbd.startswith("When a nightly batch ends") and "How do you learn today" in result.jtbd
    assert [r.body["model"] for r in stub.requests] == ["mistral-small-test", "mistral-large-test"]
    assert "faster horse" in stub.requests[1].body["messages"][0]["content"]


def test_given_french_feedback_then_mistral_large_triages_it_natively(stub, provider):
    stub.reply(chat({**BUG, "language": "fr", "summary": "Login SSO fails."}))

    (result,) = provider.triage(
        [request("Depuis lundi la connexion SSO ne marche pas et nous ne pouvons plus rien faire.")]
    )

    assert stub.requests[0].body["model"] == "mistral-large-test"
    assert result.language == "fr" and result.handled and result.model == "mistral-large-test"


def test_given_out_of_range_values_then_they_are_clamped_cut_and_unknown_themes_dropped():
    data = {
        **BUG,
        "sentiment_score": -3,
        "confidence": 1.4,
        "tags": ["A", "b", "c", "d", "e", "f", "a"],
        "theme_ids": [12, 99],
    }

    result = triage_result(data, request(), model="m", version="v")

    assert result.sentiment_score == -1.0 and result.confidence == 1.0
    assert result.tags == ["a", "b", "c", "d", "e"] and result.theme_ids == [12]


@pytest.mark.parametrize(
    "change",
    [
        {"category": "feature"},
        {"severity": "urgent"},
        {"product": "gpt-4"},
        {"sentiment_score": "bad"},
        {"churn_signal": "no"},
    ],
)
def test_given_a_value_outside_the_taxonomy_or_mistyped_then_the_answer_is_malformed(change):
    with pytest.raises(MalformedOutput):
        triage_result({**BUG, **change}, request(), model="m", version="v")


def test_given_malformed_json_from_the_model_then_the_offline_result_is_used_with_a_logged_reason(
    stub, provider, caplog
):
    stub.reply(chat('{"category": "bug", "severity": '))

    with caplog.at_level(logging.WARNING, logger="ai.providers.mistral"):
        (result,) = provider.triage([request()])

    assert result.provider == "offline" and result.model != "mistral-small-test"
    assert result.notes.startswith("fallback: triage: the model's answer is not JSON")
    assert result.category in CATEGORIES
    assert len(stub.requests) == 1  # a malformed answer is not retried
    assert any(r.levelno == logging.WARNING and "not JSON" in r.getMessage() for r in caplog.records)


def test_given_a_category_outside_the_taxonomy_then_the_item_falls_back(stub, provider):
    stub.reply(chat({**BUG, "category": "feature"}))

    (result,) = provider.triage([request()])

    assert result.provider == "offline" and "'feature' is not one of the hub's values" in result.notes


def test_given_a_429_with_retry_after_then_the_call_waits_that_long_and_succeeds(stub, provider):
    stub.reply(error(429, retry_after="0.6"), chat(BUG))

    (result,) = provider.triage([request()])

    assert result.provider == "mistral" and result.category == "bug"
    first, second = stub.requests
    assert 0.55 <= second.at - first.at < 2.0  # the backoff alone would have waited ~0.01 s


def test_given_a_503_then_it_is_retried_with_backoff(stub, provider):
    stub.reply(error(503), chat(BUG))

    (result,) = provider.triage([request()])

    assert result.provider == "mistral" and len(stub.requests) == 2


def test_given_a_persistent_500_then_after_the_retries_the_offline_result_is_used(stub, provider, caplog):
    stub.reply(*[error(500)] * 3)

    with caplog.at_level(logging.WARNING, logger="ai.providers.mistral"):
        (result,) = provider.triage([request()])

    assert len(stub.requests) == 3  # the first try and MISTRAL_MAX_RETRIES=2 retries
    assert result.provider == "offline" and result.notes.startswith("fallback: triage: HTTP 500 (after 3 attempts)")
    assert any(r.levelno == logging.WARNING and "HTTP 500" in r.getMessage() for r in caplog.records)


def test_given_a_retry_after_longer_than_the_cap_then_the_call_fails_now(stub, provider):
    stub.reply(error(429, retry_after="3600"))

    started = time.monotonic()
    (result,) = provider.triage([request()])

    assert time.monotonic() - started < 5 and len(stub.requests) == 1
    assert result.provider == "offline" and "asked to retry after 3600 s" in result.notes


def test_given_an_answer_slower_than_the_timeout_then_the_offline_result_is_used(stub, offline, settings):
    settings.MISTRAL_TIMEOUT_MS, settings.MISTRAL_MAX_RETRIES = 300, 1
    provider = MistralProvider(api_key="k", server_url=stub.url, backoff_s=0.01, fallback=offline)
    stub.reply(Reply(body={}, delay=1.5), Reply(body={}, delay=1.5))

    started = time.monotonic()
    (result,) = provider.triage([request()])

    assert time.monotonic() - started < 1.5  # two attempts of 0.3 s, not the stub's 1.5 s
    assert len(stub.requests) == 2
    assert (
        result.provider == "offline" and result.notes == "fallback: triage: timed out after 300 ms (after 2 attempts)"
    )


def test_given_the_api_down_in_a_batch_then_the_other_items_fall_back_without_calling_it_again(stub, offline):
    provider = MistralProvider(
        api_key="k", server_url=stub.url, max_retries=1, backoff_s=0.01, concurrency=1, fallback=offline
    )
    stub.reply(error(502), error(502))

    results = provider.triage([request(), request("The dashboard is lovely."), request("Billing page crashes.")])

    assert len(stub.requests) == 2
    assert [r.provider for r in results] == ["offline"] * 3
    assert "API unavailable earlier in this batch" in results[2].notes


def test_given_an_unreadable_api_response_for_one_item_then_only_that_item_falls_back(stub, offline):
    provider = MistralProvider(
        api_key="k", server_url=stub.url, max_retries=1, backoff_s=0.01, concurrency=1, fallback=offline
    )
    stub.reply(Reply(body={"id": "cmpl-stub", "choices": "not a list"}), chat(BUG))

    results = provider.triage([request("Billing page crashes."), request()])

    assert len(stub.requests) == 2 and [r.provider for r in results] == ["offline", "mistral"]
    assert "unreadable API response" in results[0].notes


def test_given_the_api_rejecting_one_item_then_only_that_item_falls_back(stub, offline):
    provider = MistralProvider(
        api_key="k", server_url=stub.url, max_retries=1, backoff_s=0.01, concurrency=1, fallback=offline
    )
    stub.reply(error(422), chat(BUG))

    results = provider.triage([request("Billing page crashes."), request()])

    assert len(stub.requests) == 2 and [r.provider for r in results] == ["offline", "mistral"]
    assert results[0].notes.startswith("fallback: triage: HTTP 422")


def test_given_retry_after_headers_then_they_read_as_seconds():
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({}) is None


def test_given_feedback_in_a_language_then_the_routing_guess_names_it():
    assert routing_language("Die Antworten sind sehr langsam und das ist nicht gut für uns") == "de"
    assert routing_language("La latencia es muy alta y no podemos usar el modelo para producción") == "es"
    assert routing_language("The latency is very high and we can not use it for production") == "en"
    assert routing_language("Super, merci !") == "fr"  # ai.language.detect settles a short text by its words
    assert routing_language("ok 12345") == ""  # unsure: stays on mistral-small


# --- embeddings ------------------------------------------------------------------------------------------------------


def test_given_texts_when_embedded_then_the_vectors_are_1024_floats_of_unit_length_in_order(stub, provider):
    stub.reply(embeddings([[3.0] * 1024, [float(i % 7) for i in range(1024)]]))

    vectors = provider.embed(["first", "second"])

    assert [len(v) for v in vectors] == [1024, 1024]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, abs_tol=1e-9) for v in vectors)
    assert vectors[0][0] == pytest.approx(1 / 32)
    (sent,) = stub.requests
    assert (
        sent.path == "/v1/embeddings"
        and sent.body["model"] == "mistral-embed"
        and sent.body["input"] == ["first", "second"]
    )


def test_given_many_texts_then_they_are_embedded_in_batches(stub, provider):
    stub.reply(embeddings([[1.0] * 1024] * 64), embeddings([[1.0] * 1024] * 6))

    assert len(provider.embed([f"text {i}" for i in range(70)])) == 70
    assert [len(r.body["input"]) for r in stub.requests] == [64, 6]


def test_given_a_text_longer_than_the_models_context_then_its_opening_is_embedded_and_the_batch_goes_through(
    stub, provider
):
    stub.reply(embeddings([[1.0] * 1024] * 2))
    transcript = "word " * 50_000  # 250,000 characters: ~60k tokens, past mistral-embed's 8,192

    assert len(provider.embed(["short", transcript])) == 2
    (sent,) = stub.requests
    assert sent.body["input"][0] == "short" and sent.body["input"][1] == transcript[: mistral.EMBED_TEXT_CHARS]


@pytest.mark.parametrize("replies", [[error(503)] * 3, [embeddings([[1.0] * 384])]], ids=["down", "wrong-size"])
def test_given_the_embeddings_api_failing_then_it_raises_and_never_falls_back(stub, provider, replies):
    stub.reply(*replies)

    with pytest.raises(ProviderUnavailable, match="Mistral embeddings unavailable, retry later"):
        provider.embed(["first"])


# --- cluster names and extracts -------------------------------------------------------------------------------------

TRANSCRIPT = (
    "[00:00:05] Sam (AE): How is the rollout going?\n"
    "[00:00:12] Dana: We love how fast Mistral Small answers.\n"
    "[00:00:41] Dana: The price is too high for our volume.\n"
)


def test_given_a_transcript_then_mistral_large_splits_it_with_offsets(stub, provider):
    items = [
        {"kind": "praise", "text": "We love how fast Mistral Small answers."},
        {"kind": "objection", "text": "The price is too high for our volume."},
    ]
    stub.reply(chat({"items": items}, model="mistral-large-2411"))

    pieces = provider.extract(TRANSCRIPT)

    assert [(p.kind, TRANSCRIPT[p.start : p.end]) for p in pieces] == [(i["kind"], i["text"]) for i in items]
    (sent,) = stub.requests
    assert sent.body["model"] == "mistral-large-test"
    assert sent.body["response_format"]["json_schema"]["schema"]["properties"]["items"]["items"]["properties"]["kind"][
        "enum"
    ] == ["request", "objection", "praise", "competitor"]


@pytest.mark.parametrize("reply", [chat({"items": [{"kind": "complaint", "text": "x"}]}), error(400)])
def test_given_extraction_failing_then_the_offline_splitter_answers(stub, provider, reply):
    stub.reply(reply)

    assert provider.extract(TRANSCRIPT) == extract_offline(TRANSCRIPT)
    assert [p.kind for p in extract_offline(TRANSCRIPT)] == ["praise", "objection"]


def test_given_a_cluster_then_mistral_large_names_it(stub, provider):
    stub.reply(chat({"name": "Know when batch jobs finish", "description": "Teams poll to learn a job is done."}))

    name = provider.name_cluster(["Webhook when batch done", "Polling batch status is painful"], themes=THEMES)

    assert name == ClusterName("Know when batch jobs finish", "Teams poll to learn a job is done.")
    prompt = stub.requests[0].body["messages"][0]["content"]
    assert "Polling batch status is painful" in prompt and '12: "SSO login"' in prompt


def test_given_cluster_naming_failing_then_the_offline_name_is_used(stub, provider, offline):
    stub.reply(chat({"name": "", "description": "x"}))
    texts = ["Webhook when batch done", "Polling batch status is painful"]

    assert provider.name_cluster(texts) == offline.name_cluster(texts)


# --- wiring ----------------------------------------------------------------------------------------------------------


def test_given_mistral_configured_then_get_provider_returns_the_mistral_provider(settings, monkeypatch):
    monkeypatch.setattr("ai.providers._providers", {})
    settings.MISTRAL_API_KEY = "test-key"

    provider = get_provider("mistral")

    assert isinstance(provider, MistralProvider) and get_provider("mistral") is provider
    assert isinstance(provider, TriageProvider) and isinstance(provider, EmbeddingProvider)
    assert (provider.name, provider.model, provider.dimensions) == ("mistral", "mistral-embed", 1024)


def test_given_no_api_key_then_the_mistral_provider_refuses_to_start(settings, monkeypatch):
    monkeypatch.setattr("ai.providers._providers", {})
    settings.MISTRAL_API_KEY = ""

    with pytest.raises(ImproperlyConfigured, match="MISTRAL_API_KEY"):
        get_provider("mistral")
