"""The offline triage provider, for real: the shipped models, the real embedder, real feedback texts."""

import csv
from pathlib import Path

import numpy as np
import pytest

from ai import classifier
from ai.providers import OfflineEmbedder, OfflineProvider, get_provider
from ai.providers.base import TriageProvider
from ai.types import CATEGORIES, MAX_TAGS, PRODUCT_AREAS, PRODUCTS, SEVERITIES, TriageRequest, TriageResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ai"
FEEDBACK = [
    "Please add a dark mode to Le Chat so that I can work at night.",
    "Outage: Mistral Large API is down for all our users since 9am, we get 503 on every request.",
    "We will cancel our subscription and move to Claude next month.",
    "Amazing model, the answers are great. Thanks team!",
    "Das Modell antwortet sehr langsam auf Deutsch, bitte verbessern.",
]


@pytest.fixture(scope="module")
def provider() -> OfflineProvider:
    return get_provider("offline")


@pytest.fixture(scope="module")
def triaged(provider) -> list[TriageResult]:
    return provider.triage([TriageRequest(text=text) for text in FEEDBACK])


def test_given_the_offline_setting_then_get_provider_gives_the_triage_provider_in_the_embedders_space(provider):
    assert isinstance(provider, OfflineProvider) and isinstance(provider, OfflineEmbedder)
    assert isinstance(provider, TriageProvider)
    assert (provider.name, provider.model, provider.dimensions) == ("offline", "all-MiniLM-L6-v2-int8", 384)
    assert provider.version.startswith(classifier.default().version)


def test_given_feedback_then_each_result_holds_hub_values_and_says_what_produced_it(provider, triaged):
    assert len(triaged) == len(FEEDBACK)
    for result in triaged:
        assert result.category in CATEGORIES and 0 < result.confidence <= 1
        assert -1 <= result.sentiment_score <= 1 and result.severity in SEVERITIES
        assert result.product in (*PRODUCTS, "") and result.product_area in (*PRODUCT_AREAS, "")
        assert len(result.tags) <= MAX_TAGS and all(tag == tag.lower() for tag in result.tags)
        assert (result.provider, result.version) == ("offline", provider.version)
        assert result.summary and len(result.summary) <= 300


def test_given_a_feature_request_then_it_is_one_with_a_jtbd_product_and_tags(triaged):
    request = triaged[0]

    assert request.category == "feature_request"
    assert request.jtbd == "When I use the product, I want to add a dark mode to Le Chat, so I can work at night."
    assert request.product == "le_chat" and "dark mode" in request.tags
    assert request.severity == "low"  # a request's weight is its priority, not its wording
    assert (request.language, request.handled) == ("en", True)


def test_given_an_outage_then_it_is_a_critical_negative_bug_about_the_product_named(triaged):
    outage = triaged[1]

    assert (outage.category, outage.severity, outage.product) == ("bug", "critical", "mistral_large")
    assert outage.sentiment_score <= -0.3 and outage.jtbd == ""


def test_given_a_customer_leaving_for_a_competitor_then_churn_and_the_competitor_are_flagged(triaged):
    leaving = triaged[2]

    assert leaving.category == "churn_signal" and leaving.churn_signal
    assert leaving.competitors == ["Anthropic"]


def test_given_praise_then_it_is_positive_praise_of_low_severity(triaged):
    praise = triaged[3]

    assert (praise.category, praise.severity) == ("praise", "low")
    assert praise.sentiment_score >= 0.5 and not praise.churn_signal


def test_given_a_language_it_does_not_read_then_the_result_says_so_instead_of_a_silent_guess(triaged):
    german = triaged[4]

    assert (german.language, german.handled) == ("de", False)
    assert german.confidence <= 0.3 and "not one the offline provider reads well" in german.notes


def test_given_the_stored_vectors_then_triage_gives_what_it_gives_when_it_embeds(provider, triaged):
    vectors = provider.embed(FEEDBACK)

    again = provider.triage([TriageRequest(text=text) for text in FEEDBACK], vectors=vectors)

    assert [(r.category, r.severity, r.tags) for r in again] == [(r.category, r.severity, r.tags) for r in triaged]
    assert np.allclose([r.sentiment_score for r in again], [r.sentiment_score for r in triaged], atol=1e-3)


def test_given_nothing_or_an_empty_text_then_triage_does_not_raise(provider):
    assert provider.triage([]) == []
    (empty,) = provider.triage([TriageRequest(text="")])
    assert empty.handled is False and "empty" in empty.notes


def test_given_mismatched_vectors_then_triage_refuses(provider):
    with pytest.raises(ValueError, match="1 vectors for 2 requests"):
        provider.triage([TriageRequest(text="a"), TriageRequest(text="b")], vectors=[[0.0] * 384])


def test_given_a_retrained_classifier_when_loaded_then_triage_uses_it_and_the_version_changes(provider):
    fresh = OfflineProvider()
    fresh._tokenizer, fresh._session = provider._load()  # same model: no second load
    texts, labels = classifier.seed_examples()
    by_text = dict(zip(classifier.all_seed_texts(), classifier.seed_vectors(), strict=True))
    corrections = ["How do I rotate my API key?", "Where do I find the invoices?", "Which regions do you serve?"]
    retrained = classifier.train(
        texts + corrections,
        labels + ["question"] * 3,
        np.vstack([[by_text[t] for t in texts], provider.embed(corrections)]),
        weights=[1.0] * len(texts) + [20.0] * 3,
    )
    before = fresh.version

    fresh.load_classifier(retrained.to_bytes())

    assert fresh.version != before and fresh.version.startswith(retrained.version)
    (result,) = fresh.triage([TriageRequest(text="How do I rotate my API key?")])
    assert result.category == "question" and result.version == fresh.version


def test_given_a_group_of_similar_feedback_then_its_name_comes_from_the_shared_distinctive_words(provider):
    texts = [
        "The sleep tracking is wrong every night",
        "Sleep tracking shows me awake when I am asleep",
        "My sleep tracking data is missing since the update",
        "Sleep tracking stopped recording deep sleep",
    ]

    named = provider.name_cluster(texts)

    assert named.name.lower().startswith("sleep tracking")
    assert "4 items" in named.description and "sleep tracking" in named.description
    assert provider.name_cluster([]).name == "Unnamed group"


def test_given_real_reviews_and_vectors_then_every_review_gets_a_handled_result(provider):
    with open(FIXTURES / "category_en.csv", encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    vectors = classifier.seed_vectors()[: len(texts)]  # any vectors of the space will do for the shape

    results = provider.triage([TriageRequest(text=text) for text in texts], vectors=vectors.tolist())

    assert len(results) == len(texts)
    assert sum(result.handled for result in results) >= len(texts) - 3
