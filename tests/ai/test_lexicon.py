"""The keyword rules of the offline provider: competitors, churn cues, severity, product, area, tags, JTBD."""

import pytest

from ai import lexicon
from ai.types import MAX_TAGS, PRODUCT_AREAS, PRODUCTS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We are moving to ChatGPT, GPT-4o answers better", ["OpenAI"]),
        ("Claude Sonnet and Gemini both handle this", ["Anthropic", "Google Gemini"]),
        ("Our team runs Llama 3.1 on premises", ["Meta Llama"]),
        ("Cohere's Command R+ is cheaper", ["Cohere"]),
        ("We are switching to another provider", ["competitor"]),
        ("A competitor offers this for free", ["competitor"]),
        ("The cursor blinks in the prompt box", []),
        ("Great model, thanks", []),
    ],
)
def test_given_a_text_then_competitors_in_names_the_competitors_it_mentions(text, expected):
    assert lexicon.competitors_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We will not renew our contract in March.",
        "I'm cancelling my subscription today.",
        "Switching to Claude next week.",
        "Looking at alternatives, honestly.",
        "Je vais résilier mon abonnement.",
    ],
)
def test_given_a_customer_about_to_leave_then_churn_cues_are_found(text):
    assert lexicon.churn_cues(text)


def test_given_a_plain_request_then_there_is_no_churn_cue():
    assert lexicon.churn_cues("Please add a dark mode to the console.") == []


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("Outage: the API is down for all our users", "bug", "critical"),
        ("We lost all our data after the migration", "bug", "critical"),
        ("Security issue: API keys are exposed in logs", "bug", "critical"),
        ("Blocking: we can't use fine-tuning at all", "bug", "high"),
        ("The app crashes when I open settings", "bug", "high"),
        ("Sometimes the chart shows a wrong total", "bug", "medium"),
        ("Dark mode please", "feature_request", "low"),
        ("Strange behaviour on the settings page", "bug", "medium"),
    ],
)
def test_given_a_text_then_severity_follows_the_rules(text, category, expected):
    assert lexicon.severity_of(text, category) == expected


@pytest.mark.parametrize(
    ("text", "product", "area"),
    [
        ("Codestral autocomplete is slow in VS Code", "codestral", "inference"),
        ("Mistral Large returns 429 rate limit errors on the API", "mistral_large", "inference"),
        ("Le Chat logs me out every day, SSO is broken", "le_chat", "auth"),
        ("We were charged twice on the invoice", "", "billing"),
        ("Fine-tuning jobs fail with a custom model", "", "fine_tuning"),
        ("The docs lack an example for the Python client", "", "docs"),
        ("Embeddings from mistral-embed give poor vectors for retrieval", "embed", "embeddings"),
        ("Nice weather today", "", ""),
    ],
)
def test_given_a_text_then_product_and_area_come_from_its_keywords(text, product, area):
    assert lexicon.product_of(text) == product
    assert lexicon.product_area_of(text) == area
    assert product in (*PRODUCTS, "") and area in (*PRODUCT_AREAS, "")


def test_given_a_text_then_tags_are_at_most_five_lowercase_words_of_it_without_stopwords():
    text = "The CSV export of the usage dashboard times out; the usage dashboard export is what our finance team needs."

    tags = lexicon.tags_for(text)

    assert 0 < len(tags) <= MAX_TAGS
    assert tags[0] == "usage dashboard"
    assert any("export" in tag for tag in tags)
    for tag in tags:
        assert tag == tag.lower()
        assert all(word in text.lower() and word not in lexicon.STOPWORDS for word in tag.split())


def test_given_a_request_then_the_jtbd_is_built_from_its_own_words():
    jtbd = lexicon.jtbd_for("It would be nice to export the chat history as PDF when I finish a project.")

    assert jtbd == (
        "When I finish a project, I want to export the chat history as PDF, "
        "so I can get my work done without a workaround."
    )
    assert lexicon.jtbd_for("Please add a dark mode so that I can work at night.") == (
        "When I use the product, I want to add a dark mode, so I can work at night."
    )
    assert lexicon.jtbd_for("") == ""


def test_given_a_long_first_sentence_then_the_summary_is_trimmed_to_300_characters_at_a_word():
    text = "word " * 100 + ". Second sentence."

    summary = lexicon.summary_of(text)

    assert len(summary) <= 300 and summary.endswith("…") and "Second" not in summary
    assert lexicon.summary_of("First one. Second one.") == "First one."
