"""Leadership's view: themes by ARR impact, the top ten first, each figure linked to its feedback."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from feedbackhub.roles import LEADERSHIP, SALES_CS
from themes.models import Theme

pytestmark = pytest.mark.django_db


def test_given_themes_when_leadership_opens_its_view_then_the_top_ten_by_arr_come_first_with_their_figures(
    client, django_user_model, django_assert_max_num_queries
):
    boss = django_user_model.objects.create_user(username="ceo", is_staff=True)
    boss.groups.add(Group.objects.get(name=LEADERSHIP))
    client.force_login(boss)
    for n in range(12):
        Theme.objects.create(name=f"Theme {n:02}", arr_impacted=Decimal(n * 100_000), unique_customers=n)
    top = Theme.objects.get(name="Theme 11")

    with django_assert_max_num_queries(10):  # 8, and the saved views control's 2
        response = client.get(reverse("admin:themes_leadershiptheme_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("Theme 11") < page.index("Theme 10") < page.index("Theme 02")
    assert "Theme 01" not in page  # the first page is the top ten
    assert "$1,100,000" in page
    assert f"?themes__id__exact={top.pk}" in page


def test_given_a_sales_user_then_the_leadership_view_is_forbidden(client, django_user_model):
    seller = django_user_model.objects.create_user(username="s", is_staff=True)
    seller.groups.add(Group.objects.get(name=SALES_CS))
    client.force_login(seller)

    assert client.get(reverse("admin:themes_leadershiptheme_changelist")).status_code == 403


def test_given_the_theme_status_colours_kept_in_feedbackhub_then_every_theme_status_has_one():
    from feedbackhub.formatting import THEME_STATUS_COLOURS
    from themes.choices import ThemeStatus

    assert set(THEME_STATUS_COLOURS) == set(ThemeStatus.values)  # feedbackhub may not import themes: checked here
