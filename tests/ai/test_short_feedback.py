"""Short B2B feedback (a few words: bug reports, outages, requests, questions, praise) through the offline provider.

Hand-written lines, English and French, of the kind a support inbox gets. App-store reviews (the seed) are mostly
short praise, so a model learnt from them alone calls "Exports keep failing" positive; these check the direction of
the sentiment and that such text is handled (no trip to "Needs a person" for "SSO login broken").
"""

import pytest

from ai.providers import get_provider
from ai.sentiment import NEGATIVE_AT, POSITIVE_AT
from ai.types import TriageRequest

# (text, expected tone): the hub's bands, "negative" (score ≤ -0.3), "neutral" (between), "positive" (≥ 0.5).
SHORT_FEEDBACK = [
    ("Exports keep failing", "negative"),
    ("SSO login broken", "negative"),
    ("The API is down for all our users!", "negative"),
    ("Rate limits too low", "negative"),
    ("Webhooks time out every night", "negative"),
    ("Dashboard is really slow today", "negative"),
    ("The app crashes when I upload a CSV", "negative"),
    ("Sync stopped working after the update", "negative"),
    ("Le tableau de bord est lent", "negative"),
    ("L'export plante à chaque fois", "negative"),
    ("Impossible de me connecter depuis ce matin", "negative"),
    ("La synchronisation ne fonctionne plus", "negative"),
    ("Please add dark mode", "neutral"),
    ("Could you add an export to Excel?", "neutral"),
    ("Merci d'ajouter un mode sombre", "neutral"),
    ("How do I reset my password?", "neutral"),
    ("Comment exporter mes données ?", "neutral"),
    ("Great support team, thanks!", "positive"),
    ("Love the new reports", "positive"),
    ("Super outil, très pratique", "positive"),
    ("Excellent service, merci beaucoup", "positive"),
    ("Bug fixed, thanks!", "positive"),
    ("Aucun souci depuis la correction", "positive"),
]


@pytest.fixture(scope="module")
def results():
    provider = get_provider("offline")
    return dict(
        zip(
            [text for text, _ in SHORT_FEEDBACK],
            provider.triage([TriageRequest(text=text) for text, _ in SHORT_FEEDBACK]),
            strict=True,
        )
    )


@pytest.mark.parametrize(("text", "tone"), SHORT_FEEDBACK)
def test_given_short_feedback_then_its_sentiment_has_the_right_direction(results, text, tone):
    score = results[text].sentiment_score

    if tone == "negative":
        assert score <= NEGATIVE_AT, f"{text!r} scored {score}"
    elif tone == "neutral":
        assert NEGATIVE_AT < score < POSITIVE_AT, f"{text!r} scored {score}"
    else:
        assert score >= POSITIVE_AT, f"{text!r} scored {score}"


@pytest.mark.parametrize(("text", "tone"), SHORT_FEEDBACK)
def test_given_short_english_or_french_feedback_then_it_is_handled(results, text, tone):
    assert results[text].handled, f"{text!r}: language {results[text].language!r}, notes {results[text].notes!r}"


@pytest.mark.parametrize(
    "text", ["Exports keep failing", "SSO login broken", "The API is down for all our users!", "Rate limits too low"]
)
def test_given_a_short_problem_report_then_it_is_not_praise_and_its_severity_is_rated(results, text):
    assert results[text].category in ("bug", "complaint", "pain_point")
    assert results[text].severity in ("medium", "high", "critical")


def test_given_an_outage_the_classifier_calls_other_then_its_malfunction_cue_makes_it_a_bug(results):
    assert results["The API is down for all our users!"].category == "bug"


def test_given_a_short_text_in_a_language_it_does_not_read_then_it_is_still_not_handled():
    (result,) = get_provider("offline").triage([TriageRequest(text="Die API ist langsam")])

    assert not result.handled
