"""Suggested themes from real vectors: clustered without k, named, idempotent; a PM accepts, renames or rejects."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ai.types import ClusterName
from feedback.services import add_theme
from tests.factories import make_theme
from tests.themes.embedded_items import embedded_items, messages
from themes import services
from themes.models import Theme, ThemeSuggestion
from themes.suggestions import accept_suggestion, reject_suggestion, suggest_themes

pytestmark = pytest.mark.django_db


class Namer:
    """A provider that names a cluster after its first text and records what it was shown."""

    name = "test"

    def __init__(self):
        self.shown: list[list[str]] = []

    def name_cluster(self, texts: list[str]) -> ClusterName:
        self.shown.append(texts)
        return ClusterName(name=f"About: {texts[0][:40]}", description=f"{len(texts)} texts")


@pytest.fixture
def items_by_intent():
    intents = messages()
    return {intent: embedded_items(texts) for intent, texts in intents.items()}


@pytest.fixture
def pm(django_user_model):
    return django_user_model.objects.create_user("pm", email="pm@example.com")


def intent_of(items_by_intent) -> dict[int, str]:
    return {item.pk: intent for intent, items in items_by_intent.items() for item in items}


def test_given_unthemed_items_when_suggested_then_each_cluster_is_one_intent_without_being_told_how_many(
    items_by_intent,
):
    namer = Namer()

    made = suggest_themes(provider=namer)

    intents = intent_of(items_by_intent)
    assert 4 <= len(made) <= 8
    pure = 0
    for suggestion in made:
        members = list(suggestion.items.values_list("pk", flat=True))
        assert suggestion.size == len(members) >= 3
        pure += max(Counter(intents[pk] for pk in members).values())
        assert 0.4 < suggestion.cohesion <= 1
        assert suggestion.name.startswith("About: ") and suggestion.provider == "test"
        assert suggestion.decision == ThemeSuggestion.Decision.PENDING
    assert sum(suggestion.size for suggestion in made) >= 30
    assert pure / sum(suggestion.size for suggestion in made) >= 0.9  # each suggestion is (nearly) one intent
    assert all(1 <= len(texts) <= 12 for texts in namer.shown)


def test_given_a_run_when_run_again_then_nothing_is_suggested_twice(items_by_intent):
    first = suggest_themes(provider=Namer())

    assert first
    assert suggest_themes(provider=Namer()) == []
    assert ThemeSuggestion.objects.count() == len(first)


def test_given_a_rejected_suggestion_then_its_items_are_not_suggested_again(items_by_intent, pm):
    made = suggest_themes(provider=Namer())
    for suggestion in made:
        reject_suggestion(suggestion=suggestion, user=pm)

    assert suggest_themes(provider=Namer()) == []
    assert ThemeSuggestion.objects.filter(decision="rejected").count() == len(made)


def test_given_themed_old_or_duplicate_items_then_they_are_left_out(items_by_intent):
    rates = items_by_intent["exchange_rate"]
    add_theme(items=rates[:4], theme=make_theme(name="Exchange rates"))
    for item in rates[4:6]:
        item.received_at = timezone.now() - timedelta(days=40)
        item.save()
    rates[6].duplicate_of = rates[7]
    rates[6].save()

    suggest_themes(provider=Namer())

    held = set(ThemeSuggestion.items.through.objects.values_list("feedbackitem_id", flat=True))
    assert held.isdisjoint(item.pk for item in rates[:7])


def test_given_a_suggestion_when_accepted_then_it_becomes_a_theme_with_its_items_and_correct_rollups(
    items_by_intent, pm
):
    suggestion = suggest_themes(provider=Namer())[0]

    theme = accept_suggestion(suggestion=suggestion, user=pm)
    services.refresh_stale_rollups()

    theme.refresh_from_db()
    suggestion.refresh_from_db()
    assert theme.name == suggestion.name and theme.owner == pm
    members = set(suggestion.items.values_list("pk", flat=True))
    assert set(theme.feedback_items.values_list("pk", flat=True)) == members
    assert theme.feedback_count == suggestion.size
    assert theme.verification_steps.count() == 8
    assert (suggestion.decision, suggestion.theme, suggestion.decided_by) == ("accepted", theme, pm)
    with pytest.raises(ValidationError):
        accept_suggestion(suggestion=suggestion, user=pm)


def test_given_a_suggestion_when_accepted_under_a_new_name_then_the_theme_has_that_name(items_by_intent, pm):
    suggestion = suggest_themes(provider=Namer())[0]

    theme = accept_suggestion(suggestion=suggestion, user=pm, name="  Travel money  ", description="FX questions")

    suggestion.refresh_from_db()
    assert (theme.name, theme.description) == ("Travel money", "FX questions")
    assert suggestion.name.startswith("About: ")  # what was suggested stays on record
    assert suggestion.theme == theme


def test_given_a_name_already_used_when_accepted_then_it_is_refused_and_nothing_changes(items_by_intent, pm):
    make_theme(name="Taken")
    suggestion = suggest_themes(provider=Namer())[0]

    with pytest.raises(ValidationError, match="already exists"):
        accept_suggestion(suggestion=suggestion, user=pm, name="taken")

    suggestion.refresh_from_db()
    assert suggestion.decision == "pending" and Theme.objects.count() == 1


def test_given_a_fresh_install_then_beat_suggests_themes_daily_with_an_expiry():
    task = PeriodicTask.objects.get(task="themes.tasks.suggest_themes")

    assert task.enabled and task.crontab is not None and task.expire_seconds
    assert (task.crontab.hour, task.crontab.minute) == ("5", "0")
