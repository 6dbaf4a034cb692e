"""The theme API: created with their checklist (themes.services), rollups read-only, ARR order paged by keyset."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedbackhub.roles import SALES_CS
from tests.api_support import all_pages, ids, make_user, token_client
from tests.factories import make_theme
from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme, ThemeVerification

pytestmark = pytest.mark.django_db
THEMES = "/api/themes/"


@pytest.fixture
def api(admin_user):
    return token_client(admin_user)


def url(theme) -> str:
    return f"{THEMES}{theme.pk}/"


def test_given_themes_when_listed_then_by_arr_impacted_with_verification_progress(api):
    small = make_theme(name="Small")
    big = make_theme(name="Big")
    Theme.objects.filter(pk=big.pk).update(arr_impacted=Decimal("500000"))
    ThemeVerification.objects.filter(theme=big).update(done_at=timezone.now())

    rows = api.get(THEMES).json()["results"]

    assert [row["id"] for row in rows] == [big.pk, small.pk]
    assert rows[0]["verification_done"] == len(VerificationStep) and rows[1]["verification_done"] == 0


def test_when_a_theme_is_created_then_with_its_verification_checklist(api, admin_user):
    body = {"name": "SSO", "owner": admin_user.pk, "tracker_issues": ["LIN-1"], "feedback_count": 99}

    response = api.post(THEMES, body, format="json")

    assert response.status_code == 201, response.json()
    theme = Theme.objects.get(pk=response.json()["id"])
    assert theme.verification_steps.count() == len(VerificationStep)
    assert theme.tracker_issues == ["LIN-1"] and theme.feedback_count == 0  # rollups are the job's, not the caller's
    assert response.json()["verification_done"] == 0


def test_when_a_theme_is_replaced_patched_and_deleted_then_it_changes(api):
    theme = make_theme(name="Old")

    put = api.put(url(theme), {"name": "New", "status": "validated"}, format="json")
    patch = api.patch(url(theme), {"problem_statement": "We believe…"}, format="json")
    theme.refresh_from_db()

    assert put.status_code == 200 and patch.status_code == 200, (put.json(), patch.json())
    assert (theme.name, theme.status, theme.problem_statement) == ("New", ThemeStatus.VALIDATED, "We believe…")
    assert api.delete(url(theme)).status_code == 204 and not Theme.objects.exists()


def test_given_themes_when_filtered_then_only_the_matching_ones(api, admin_user):
    mine = make_theme(name="Mine SSO", owner=admin_user, status=ThemeStatus.VALIDATED)
    other = make_theme(name="Other")
    Theme.objects.filter(pk=other.pk).update(arr_impacted=Decimal("900000"))

    assert ids(api.get(THEMES, {"status": "validated"})) == [mine.pk]
    assert ids(api.get(THEMES, {"owner": admin_user.pk})) == [mine.pk]
    assert ids(api.get(THEMES, {"arr_impacted_min": 100000})) == [other.pk]
    assert ids(api.get(THEMES, {"q": "sso"})) == [mine.pk]
    assert ids(api.get(THEMES, {"ordering": "name"})) == [mine.pk, other.pk]


def test_given_many_themes_at_zero_arr_when_paged_then_each_once(api):
    made = {make_theme().pk for _ in range(7)}

    rows = all_pages(api, THEMES, {"page_size": 3})

    assert [row["id"] for row in rows] == sorted(made)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "maybe", "name": "X"}, "status"),
        ({"description": "no name"}, "name"),
        ({"name": "A", "owner": "me"}, "owner"),
    ],
)
def test_given_bad_input_then_400_naming_the_field_and_nothing_written(api, body, field):
    response = api.post(THEMES, body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Theme.objects.exists()


def test_given_a_taken_name_then_400_naming_name(api):
    make_theme(name="SSO")

    assert "name" in api.post(THEMES, {"name": "SSO"}, format="json").json()


def test_given_more_themes_then_a_readers_list_costs_the_same_queries(django_user_model):
    client = token_client(make_user(django_user_model, "sam", groups=[SALES_CS]), scopes=["read"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(THEMES).status_code == 200
        return len(captured)

    make_theme()
    client.get(THEMES)
    few = queries()
    for _ in range(15):
        make_theme()

    assert queries() == few <= 4  # token, permissions (2), page with its verification counts
    assert client.post(THEMES, {"name": "X"}, format="json").status_code == 403  # a read token
