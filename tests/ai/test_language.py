"""Language detection on real reviews and on texts too short to tell."""

import csv
from pathlib import Path

import pytest

from ai.language import OFFLINE_LANGUAGES, detect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ai"


def rows(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("name", "language"), [("category_en.csv", "en"), ("category_fr.csv", "fr")])
def test_given_real_reviews_then_nearly_all_get_their_language_and_none_a_wrong_guess_beyond_a_few(name, language):
    detected = [detect(row["text"]) for row in rows(name)]

    assert detected.count(language) / len(detected) >= 0.85
    assert sum(1 for code in detected if code not in (language, "")) <= 2  # the French file holds a few English ones


def test_given_support_messages_of_another_domain_then_they_read_as_english():
    detected = [detect(row["text"]) for row in rows("banking77_sample.csv")]

    assert detected.count("en") >= 27
    assert set(detected) <= {"en", ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great app", "en"),
        ("Merci", "fr"),
        ("Super appli", "fr"),
        ("Das ist gut", "de"),
        ("La aplicación funciona muy bien, gracias", "es"),
        ("Die App stürzt nach dem letzten Update ständig ab", "de"),
    ],
)
def test_given_short_or_other_language_texts_then_the_language_is_named(text, expected):
    assert detect(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "ok", "hello", "1234 !!", "https://example.com/x", "Super"])
def test_given_text_too_short_or_ambiguous_then_it_says_unsure(text):
    assert detect(text) == ""


def test_given_the_measurements_then_the_offline_provider_handles_english_and_french_only():
    assert OFFLINE_LANGUAGES == ("en", "fr")
