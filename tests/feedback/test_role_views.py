"""Role views of feedback: engineering's bugs, sales' own accounts, the PM's product board."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.choices import Tier
from feedback.choices import Category, Product, Severity, Status
from feedbackhub.roles import ENGINEERING, PRODUCT_OPS, SALES_CS
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(django_user_model, client):
    """Log a new staff member of ``role`` in; returns the user."""

    def login(role: str, username: str):
        user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return login


def test_given_bugs_and_other_feedback_when_engineering_opens_its_view_then_only_bugs_with_tracker_links_show(
    client, member, settings, django_assert_max_num_queries
):
    settings.TRACKER_ISSUE_URL = "https://linear.app/acme/issue/{key}"
    member(ENGINEERING, "eng")
    theme = make_theme()
    theme.tracker_issues = ["LIN-42"]
    theme.save()
    bank = make_customer(name="Big Bank", tier=Tier.ENTERPRISE, arr=Decimal("900000"))
    for n in range(12):
        make_feedback(customer=bank, category=Category.BUG, severity=Severity.CRITICAL, verbatim=f"Crash {n}")
    make_feedback(customer=bank, category=Category.BUG, severity=Severity.LOW, verbatim="Typo").themes.add(theme)
    make_feedback(category=Category.PRAISE, verbatim="Love it")

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:feedback_bugreport_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Crash 0" in page and "Typo" in page and "Love it" not in page
    assert '<a href="https://linear.app/acme/issue/LIN-42"' in page
    critical_enterprise = f"?severity__exact={Severity.CRITICAL}&amp;customer__tier__exact={Tier.ENTERPRISE}"
    assert f'{critical_enterprise}">12</a>' in page  # the matrix cell links to its 12 bugs
    assert "$900,000" in page


def test_given_a_matrix_cell_when_followed_then_it_lists_exactly_its_bugs(admin_client):
    bank = make_customer(tier=Tier.ENTERPRISE)
    make_feedback(customer=bank, category=Category.BUG, severity=Severity.HIGH, verbatim="Enterprise high")
    mid = make_customer(tier=Tier.MID_MARKET)
    make_feedback(customer=mid, category=Category.BUG, severity=Severity.HIGH, verbatim="SMB")

    url = reverse("admin:feedback_bugreport_changelist")
    response = admin_client.get(url, {"severity__exact": Severity.HIGH, "customer__tier__exact": Tier.ENTERPRISE})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enterprise high" in page and ">SMB<" not in page


def test_given_two_account_owners_when_sales_opens_my_accounts_then_only_their_accounts_feedback_shows(
    client, member, django_user_model
):
    me = member(SALES_CS, "marcus")
    other = django_user_model.objects.create_user(username="hannah")
    mine = make_customer(name="Mine Inc", account_owner=me)
    theirs = make_customer(name="Theirs GmbH", account_owner=other)
    make_feedback(customer=mine, verbatim="SSO please").themes.add(make_theme(name="SSO"))
    hidden = make_feedback(customer=theirs, verbatim="Secret roadmap ask")
    url = reverse("admin:feedback_accountfeedback_changelist")

    listed = client.get(url).content.decode()
    searched = client.get(url, {"q": "Secret"}).content.decode()
    direct = client.get(reverse("admin:feedback_accountfeedback_change", args=[hidden.pk]))

    assert "SSO please" in listed and "SSO" in listed and "Hypothesis" in listed  # what they asked, and its status
    assert "Secret roadmap ask" not in listed and "Theirs GmbH" not in listed
    assert "Secret roadmap ask" not in searched
    assert direct.status_code == 302 and "Secret" not in client.get(direct.url).content.decode()


def test_given_a_sales_user_then_engineering_and_board_views_are_forbidden(client, member):
    member(SALES_CS, "sam")

    assert client.get(reverse("admin:feedback_bugreport_changelist")).status_code == 403
    assert client.get(reverse("admin:feedback_productboard_changelist")).status_code == 403


def test_given_a_product_when_pm_opens_the_board_then_each_status_column_shows_its_cards_in_two_queries(
    client, member, django_assert_max_num_queries
):
    member(PRODUCT_OPS, "pm")
    make_feedback(product=Product.CODESTRAL, verbatim="Autocomplete is slow")
    make_feedback(product=Product.CODESTRAL, status=Status.BUILDING, verbatim="FIM in JetBrains")
    make_feedback(product=Product.LE_CHAT, verbatim="Other product")
    url = reverse("admin:feedback_productboard_changelist")

    with django_assert_max_num_queries(8):
        page = client.get(url, {"product": Product.CODESTRAL}).content.decode()

    new_column = page[page.index('aria-label="New"') : page.index('aria-label="Reviewing"')]
    building_column = page[page.index('aria-label="Building"') : page.index('aria-label="Shipped"')]
    assert "Autocomplete is slow" in new_column and "FIM in JetBrains" in building_column
    assert "Other product" not in page
    assert 'value="reviewing"' in new_column and 'value="shipped"' not in new_column  # only allowed moves


def test_given_a_card_when_pm_moves_it_then_the_workflow_service_decides(client, member):
    member(PRODUCT_OPS, "pm")
    item = make_feedback(product=Product.CODESTRAL)
    url = f"{reverse('admin:feedback_productboard_changelist')}?product={Product.CODESTRAL}"

    refused = client.post(url, {"item": item.pk, "status": Status.SHIPPED}, follow=True).content.decode()
    item.refresh_from_db()
    assert item.status == Status.NEW
    assert "Cannot move feedback from New to Shipped; allowed:" in refused

    client.post(url, {"item": item.pk, "status": Status.REVIEWING})
    item.refresh_from_db()
    assert item.status == Status.REVIEWING


def test_given_an_engineer_when_posting_a_move_on_the_board_then_it_is_forbidden(client, member):
    engineer = member(ENGINEERING, "eng")
    engineer.user_permissions.add(*Group.objects.get(name=PRODUCT_OPS).permissions.filter(codename="view_productboard"))
    item = make_feedback(product=Product.CODESTRAL)

    response = client.post(reverse("admin:feedback_productboard_changelist"), {"item": item.pk, "status": "reviewing"})

    item.refresh_from_db()
    assert response.status_code == 403 and item.status == Status.NEW
