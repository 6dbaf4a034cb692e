"""A sales/CS person sees their own accounts only: no list, search, autocomplete, export, URL or page shows others."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.choices import Lifecycle
from customers.models import Customer
from feedbackhub.roles import PRODUCT_OPS, SALES_CS
from insights import services as insight_services
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db
SECRET = "Zephyr Secret Industries"


@pytest.fixture
def book(django_user_model, client):
    """Marcus (sales) owns Mine Inc; Hannah owns the secret account; Marcus is logged in."""
    marcus = django_user_model.objects.create_user(username="marcus", is_staff=True)
    marcus.groups.add(Group.objects.get(name=SALES_CS))
    hannah = django_user_model.objects.create_user(username="hannah", is_staff=True)
    mine = make_customer(name="Mine Inc", account_owner=marcus, lifecycle_stage=Lifecycle.AT_RISK)
    theirs = make_customer(name=SECRET, account_owner=hannah, lifecycle_stage=Lifecycle.AT_RISK)
    theme = make_theme(name="SSO")
    make_feedback(customer=mine, verbatim="Mine wants SSO").themes.add(theme)
    hidden = make_feedback(customer=theirs, verbatim="Zephyr wants SSO", tags=["zephyr"])
    hidden.themes.add(theme)
    client.force_login(marcus)
    return {"mine": mine, "theirs": theirs, "hidden": hidden, "theme": theme}


def text(response) -> str:
    return response.content.decode()


def test_given_a_sales_user_then_no_list_or_search_shows_another_owners_account_or_its_feedback(client, book):
    pages = [
        (reverse("admin:customers_customer_changelist"), {}),
        (reverse("admin:customers_customer_changelist"), {"q": "Zephyr"}),
        (reverse("admin:customers_customer_changelist"), {"at_risk": "yes"}),
        (reverse("admin:customers_usagesnapshot_changelist"), {}),
        (reverse("admin:feedback_feedbackitem_changelist"), {}),
        (reverse("admin:feedback_feedbackitem_changelist"), {"q": "Zephyr"}),
        (reverse("admin:feedback_feedbackitem_changelist"), {"q": "zephyr"}),  # by tag
        (reverse("admin:feedback_feedbackitem_changelist"), {"customer__id__exact": book["theirs"].pk}),
        (reverse("admin:feedback_accountfeedback_changelist"), {}),
        (reverse("admin:themes_theme_change", args=[book["theme"].pk]), {}),
        (reverse("admin:index"), {}),
    ]
    insight_services.refresh_dashboard()

    for url, params in pages:
        page = text(client.get(url, params))
        assert SECRET not in page and "Zephyr wants SSO" not in page, (url, params)
    assert "Mine Inc" in text(client.get(reverse("admin:customers_customer_changelist")))
    assert "Mine wants SSO" in text(client.get(reverse("admin:themes_theme_change", args=[book["theme"].pk])))


def test_given_a_sales_user_when_opening_another_owners_rows_by_url_then_nothing_is_shown(client, book):
    for url in [
        reverse("admin:customers_customer_change", args=[book["theirs"].pk]),
        reverse("admin:feedback_feedbackitem_change", args=[book["hidden"].pk]),
        reverse("admin:feedback_accountfeedback_change", args=[book["hidden"].pk]),
    ]:
        response = client.get(url, follow=True)
        assert SECRET not in text(response) and "Zephyr wants" not in text(response), url
        assert response.redirect_chain, url  # the admin answers "does not exist" and sends them home


def test_given_a_sales_user_when_autocompleting_customers_then_only_their_accounts_come_back(client, book):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "feedback", "model_name": "feedbackitem", "field_name": "customer", "term": "e"},
    )

    names = [result["text"] for result in response.json()["results"]]
    assert names == ["Mine Inc"]


def test_given_a_sales_user_when_exporting_customers_then_the_file_holds_their_accounts_only(client, book):
    url = reverse("admin:customers_customer_export")
    form = client.get(url)
    assert form.status_code == 200
    fields = dict.fromkeys(("customerresource_name", "customerresource_tier"), "on")

    response = client.post(url, {"format": "0", "resource": "0", **fields})

    content = response.content.decode()
    assert "Mine Inc" in content and "Zephyr" not in content
    assert Customer.objects.count() == 2  # the other account exists: it is only hidden


def test_given_product_ops_then_every_account_is_visible(client, django_user_model, book):
    pm = django_user_model.objects.create_user(username="pm", is_staff=True)
    pm.groups.add(Group.objects.get(name=PRODUCT_OPS), Group.objects.get(name=SALES_CS))  # whole book wins
    client.force_login(pm)

    assert SECRET in text(client.get(reverse("admin:customers_customer_changelist")))
