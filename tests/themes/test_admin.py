"""Theme admin: themes browse with bounded queries, get their checklist and rollups; search and filters use indexes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.admin_plans import changelist_sorts, choice_filters, filter_gap, search_gaps
from tests.factories import make_customer, make_feedback, make_theme
from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme

pytestmark = pytest.mark.django_db

ROWS = 20  # more rows than the page's query budget: one query per row (N+1) cannot fit in the budget
QUERY_BUDGET = 10


def test_given_owned_themes_with_ticked_steps_when_changelist_opens_then_every_row_renders_within_the_query_budget(
    admin_client, django_user_model, django_assert_max_num_queries
):
    owner = django_user_model.objects.create_user(username="pm-olga", first_name="Olga", last_name="Product")
    themes = [make_theme(name=f"Theme {n:02}", owner=owner) for n in range(ROWS)]
    themes[0].verification_steps.filter(position__lt=3).update(done_at=timezone.now())

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse("admin:themes_theme_changelist"))

    rows = {theme.name: theme for theme in response.context["cl"].result_list}
    assert set(rows) == {theme.name for theme in themes}
    assert (rows[themes[0].name].steps_done, rows[themes[1].name].steps_done) == (3, 0)
    assert "3/8" in response.content.decode()


def test_given_a_new_theme_added_in_admin_then_it_gets_the_eight_verification_steps(admin_client):
    response = admin_client.post(
        reverse("admin:themes_theme_add"),
        {
            "name": "SSO for every plan",
            "status": ThemeStatus.HYPOTHESIS,
            "tracker_issues": "LIN-7",
            "verification_steps-TOTAL_FORMS": "0",
            "verification_steps-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    theme = Theme.objects.get(name="SSO for every plan")
    assert list(theme.verification_steps.values_list("step", flat=True)) == list(VerificationStep.values)
    assert theme.tracker_issues == ["LIN-7"]


def test_given_linked_feedback_when_refresh_rollups_action_runs_then_the_selected_theme_is_recomputed(admin_client):
    selected, other = make_theme(), make_theme()
    for arr in ("100000", "250000"):
        make_feedback(customer=make_customer(arr=Decimal(arr))).themes.add(selected, other)

    response = admin_client.post(
        reverse("admin:themes_theme_changelist"),
        {"action": "refresh_rollups", "_selected_action": [selected.pk]},
        follow=True,
    )

    selected.refresh_from_db()
    other.refresh_from_db()
    assert (selected.feedback_count, selected.unique_customers, selected.arr_impacted) == (2, 2, Decimal("350000"))
    assert (other.feedback_count, other.rollups_refreshed_at) == (0, None)
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Refreshed the rollups of 1 theme(s)."]


@pytest.mark.parametrize(
    ("query", "match"), [("okta", {"name": "Okta SSO"}), ("okta", {"description": "SSO for Okta"})]
)
def test_given_themes_when_searching_name_or_description_then_only_matches_are_listed(query, match, admin_client):
    wanted = make_theme(**match)
    make_theme(name="Batch API latency", description="Jobs are slow")

    response = admin_client.get(reverse("admin:themes_theme_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_given_a_theme_search_then_each_searched_column_is_served_by_its_index():
    assert search_gaps(Theme, {"name": "theme_name_trgm", "description": "theme_description_trgm"}) == {}


@pytest.mark.parametrize("field", choice_filters(Theme))
def test_given_a_theme_choice_filter_then_its_index_serves_the_condition(field):
    assert filter_gap(Theme, field) is None


@pytest.mark.parametrize("field", choice_filters(Theme))
def test_given_a_theme_choice_filter_then_the_page_comes_in_index_order_without_a_sort(field):
    assert changelist_sorts(Theme, field) == []
