"""The suggestion review queue in the admin (accept, accept under a new name, reject) and the 'time to verify'
marker on the theme list: through the services, within a query budget."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_feedback, make_theme
from themes.models import Theme, ThemeSuggestion
from themes.suggestions_admin import time_to_verify

pytestmark = pytest.mark.django_db

ROWS = 15
QUERY_BUDGET = 10


def make_suggestion(name: str, *, size: int = 3, decision: str = "pending") -> ThemeSuggestion:
    suggestion = ThemeSuggestion.objects.create(name=name, size=size, cohesion=0.61, decision=decision)
    suggestion.items.set([make_feedback(verbatim=f"{name}: verbatim {n}") for n in range(size)])
    return suggestion


def test_given_suggestions_when_the_queue_opens_then_pending_come_first_with_samples_within_the_budget(
    admin_client, django_assert_max_num_queries
):
    rejected = make_suggestion("Rejected big", size=9, decision="rejected")
    pending = [make_suggestion(f"Pending {n:02}", size=3 + n % 4) for n in range(ROWS)]

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse("admin:themes_themesuggestion_changelist"))

    rows = list(response.context["cl"].result_list)
    assert rows[-1] == rejected and set(rows[:-1]) == set(pending)
    assert [row.size for row in rows[:-1]] == sorted((row.size for row in rows[:-1]), reverse=True)
    page = response.content.decode()
    assert "Pending 00: verbatim 0" in page and "0.61" in page
    assert "Pending 00: verbatim 2" in page and "verbatim 3<" not in page  # three samples per row
    assert "Pending 01: verbatim 2" in page and "Pending 01: verbatim 3" not in page  # a row of 4 shows 3


def test_given_selected_suggestions_when_accepted_then_each_becomes_a_theme(admin_client):
    first, second = make_suggestion("Exports time out"), make_suggestion("SSO for Okta")

    admin_client.post(
        reverse("admin:themes_themesuggestion_changelist"),
        {"action": "accept_selected", "_selected_action": [first.pk, second.pk]},
    )

    assert set(Theme.objects.values_list("name", flat=True)) == {"Exports time out", "SSO for Okta"}
    assert Theme.objects.get(name="SSO for Okta").feedback_items.count() == 3
    assert set(ThemeSuggestion.objects.values_list("decision", flat=True)) == {"accepted"}


def test_given_a_suggestion_when_accepted_under_a_new_name_then_the_theme_has_it(admin_client, admin_user):
    suggestion = make_suggestion("Exports time out")
    url = reverse("admin:themes_themesuggestion_accept_renamed", args=[suggestion.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"name": "Large CSV exports", "description": "Exports over 1M rows fail"})

    assert page.status_code == 200 and 'value="Exports time out"' in page.content.decode()
    theme = Theme.objects.get(name="Large CSV exports")
    assert response.status_code == 302 and response.url == reverse("admin:themes_theme_change", args=[theme.pk])
    assert (theme.owner, theme.description) == (admin_user, "Exports over 1M rows fail")
    assert theme.feedback_items.count() == 3


def test_given_a_taken_name_when_accepting_then_the_form_says_so_and_nothing_is_created(admin_client):
    make_theme(name="Taken")
    suggestion = make_suggestion("Exports time out")

    response = admin_client.post(
        reverse("admin:themes_themesuggestion_accept_renamed", args=[suggestion.pk]), {"name": "Taken"}
    )

    assert response.status_code == 200 and "already exists" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.decision == "pending" and Theme.objects.count() == 1


def test_given_a_suggestion_when_rejected_then_it_is_closed_and_a_get_changes_nothing(admin_client):
    suggestion = make_suggestion("Noise")
    url = reverse("admin:themes_themesuggestion_reject_one", args=[suggestion.pk])

    admin_client.get(url)
    suggestion.refresh_from_db()
    assert suggestion.decision == "pending"

    admin_client.post(url)
    suggestion.refresh_from_db()
    assert suggestion.decision == "rejected" and Theme.objects.count() == 0


def test_given_a_theme_told_to_verify_then_the_list_badges_it_and_the_filter_finds_it(admin_client):
    due = make_theme(name="Due theme")
    Theme.objects.filter(pk=due.pk).update(verify_notified_at=timezone.now())
    validated = make_theme(name="Validated theme", status="validated")
    Theme.objects.filter(pk=validated.pk).update(verify_notified_at=timezone.now())
    make_theme(name="Young theme")

    listed = admin_client.get(reverse("admin:themes_theme_changelist"))
    filtered = admin_client.get(reverse("admin:themes_theme_changelist") + "?verify=due")

    assert listed.content.decode().count("Time to verify") >= 1
    badges = {theme.name: time_to_verify(theme) for theme in listed.context["cl"].result_list}
    assert badges == {"Due theme": "Time to verify", "Validated theme": "", "Young theme": ""}
    assert [theme.name for theme in filtered.context["cl"].result_list] == ["Due theme"]
