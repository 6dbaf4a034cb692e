"""The sidebar puts the hub's work first and shows each person the entries of their role."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from feedbackhub.roles import PRODUCT_OPS, SALES_CS

pytestmark = pytest.mark.django_db


def sidebar_of(client, django_user_model, role: str) -> str:
    user = django_user_model.objects.create_user(username=role.split()[0].lower(), is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    return page


def test_given_a_sales_user_then_the_sidebar_offers_their_accounts_view_and_not_the_pm_board(client, django_user_model):
    page = sidebar_of(client, django_user_model, SALES_CS)

    assert reverse("admin:feedback_accountfeedback_changelist") in page
    assert reverse("admin:feedback_productboard_changelist") not in page
    assert reverse("admin:django_celery_beat_periodictask_changelist") not in page


def test_given_a_pm_then_the_sidebar_offers_the_board_and_the_bugs(client, django_user_model):
    page = sidebar_of(client, django_user_model, PRODUCT_OPS)

    assert reverse("admin:feedback_productboard_changelist") in page
    assert reverse("admin:feedback_bugreport_changelist") in page
    assert reverse("admin:django_celery_beat_periodictask_changelist") not in page  # not an administrator


def test_given_a_pm_then_the_measure_group_offers_the_kpis_surveys_retrospectives_and_technical_metrics(
    client, django_user_model
):
    page = sidebar_of(client, django_user_model, PRODUCT_OPS)

    for name in (
        "admin:insights_kpis",
        "admin:insights_journeysurvey_changelist",
        "admin:insights_retrospective_changelist",
        "admin:insights_technicalsample_correlations",
    ):
        assert reverse(name) in page


def test_given_a_sales_user_then_the_measure_group_shows_only_what_they_may_see(client, django_user_model):
    page = sidebar_of(client, django_user_model, SALES_CS)

    assert reverse("admin:insights_technicalsample_correlations") in page
    assert reverse("admin:insights_kpis") not in page
    assert reverse("admin:insights_journeysurvey_changelist") not in page
