"""Cohorts (seed 001 "Who to Ask, When"): customer filters, shared saved views for Sales / CS, exported as a list."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from customers import cohorts
from customers.choices import Lifecycle, Plan
from customers.models import Customer
from customers.resources import CustomerResource
from feedbackhub.models import SavedView
from feedbackhub.roles import PRODUCT_OPS, SALES_CS
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

CUSTOMERS = reverse("admin:customers_customer_changelist")
EXPORT_URL = reverse("admin:customers_customer_export")


def today():
    return timezone.localdate()


def shown(client, query: str) -> set[str]:
    response = client.get(f"{CUSTOMERS}?{query}")
    assert response.status_code == 200
    return {customer.name for customer in response.context["cl"].result_list}


def age_history(customer: Customer, days: int) -> None:
    """Move the customer's recorded changes ``days`` into the past."""
    customer.events.update(pgh_created_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def sales_cs(django_user_model):
    user = django_user_model.objects.create_user(username="cs", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=SALES_CS))
    return user


def test_given_sign_up_dates_then_the_new_cohort_is_the_last_14_days(admin_client):
    make_customer(name="Fresh", customer_since=today() - timedelta(days=3))
    make_customer(name="Two weeks", customer_since=today() - timedelta(days=14))
    make_customer(name="Older", customer_since=today() - timedelta(days=15))
    make_customer(name="Prospect")  # no start date

    assert shown(admin_client, "cohort=new") == {"Fresh", "Two weeks"}


def test_given_usage_changes_then_the_usage_down_cohort_is_30_percent_or_more_over_30_days(admin_client):
    make_customer(name="Halved", usage_change_30d=-50.0)
    make_customer(name="Just", usage_change_30d=-30.0)
    make_customer(name="Dipping", usage_change_30d=-29.9, usage_change_7d=-60.0)
    make_customer(name="Unknown")

    assert shown(admin_client, "cohort=usage_down") == {"Halved", "Just"}


def test_given_tenure_stage_and_activity_then_the_loyal_cohort_is_12_months_active_and_not_silent(admin_client):
    year_ago = today() - timedelta(days=365)
    make_customer(name="Loyal", customer_since=year_ago, last_active_on=today())
    make_customer(name="Loyal, no feed", customer_since=year_ago, lifecycle_stage=Lifecycle.EXPANSION)
    make_customer(name="Silent", customer_since=year_ago, last_active_on=today() - timedelta(days=15))
    make_customer(name="Churned", customer_since=year_ago, lifecycle_stage=Lifecycle.CHURNED)
    make_customer(name="Too new", customer_since=year_ago + timedelta(days=1))

    assert shown(admin_client, "cohort=loyal") == {"Loyal", "Loyal, no feed"}


def test_given_arr_and_plan_history_then_the_expanded_cohort_is_arr_or_plan_up_over_90_days(admin_client):
    grew = make_customer(name="Grew", arr=Decimal("100000"))
    grew.arr = Decimal("150000")
    grew.save()
    upgraded = make_customer(name="Upgraded", plan=Plan.PRO)
    upgraded.plan = Plan.ENTERPRISE
    upgraded.save()
    shrank = make_customer(name="Shrank", arr=Decimal("100000"))
    shrank.arr = Decimal("50000")
    shrank.save()
    long_ago = make_customer(name="Long ago", arr=Decimal("100000"))
    long_ago.arr = Decimal("200000")
    long_ago.save()
    age_history(long_ago, 91)
    renamed = make_customer(name="Renamed", arr=Decimal("100000"))
    renamed.name = "Renamed Co"
    renamed.save()

    assert shown(admin_client, "cohort=expanded") == {"Grew", "Upgraded"}


def test_given_heavy_features_then_the_heavy_cohort_and_the_feature_filter_pick_their_accounts(admin_client):
    make_customer(name="Embedder", heavy_features=["embeddings"])
    make_customer(name="Both", heavy_features=["agents", "embeddings"])
    make_customer(name="Light")

    assert shown(admin_client, "cohort=heavy") == {"Embedder", "Both"}
    assert shown(admin_client, "heavy_feature=agents") == {"Both"}
    assert cohorts.heavy_features() == ["agents", "embeddings"]
    page = admin_client.get(CUSTOMERS).content.decode()
    assert "heavy_feature=agents" in page and "cohort=usage_down" in page  # both filters offer their choices


def test_given_a_sales_person_then_the_cohort_views_are_shared_with_them_and_open_their_own_accounts(client, sales_cs):
    mine = make_customer(name="Mine", usage_change_30d=-45.0, account_owner=sales_cs)
    make_customer(name="Not mine", usage_change_30d=-45.0)
    client.force_login(sales_cs)

    response = client.get(CUSTOMERS)

    views = {view["name"]: view["url"] for view in response.context["hub_views"]["views"]}
    assert set(views) == {
        "Cohort: signed up in the last 14 days",
        "Cohort: usage down 30 %+ in 30 days",
        "Cohort: 12+ months, still active",
        "Cohort: recently expanded",
        "Cohort: heavy users of a feature",
    }
    assert views["Cohort: usage down 30 %+ in 30 days"] == f"{CUSTOMERS}?cohort=usage_down"
    assert shown(client, "cohort=usage_down") == {mine.name}  # the view opens the list with its own scoping


def test_given_the_cohort_views_then_they_are_shared_with_sales_cs_and_product_ops_and_owned_by_no_one_who_signs_in():
    views = SavedView.objects.filter(app_label="customers", model_name="customer", name__startswith="Cohort:")

    assert views.count() == len(cohorts.COHORTS)
    assert {view.query for view in views} == {f"cohort={cohort.key}" for cohort in cohorts.COHORTS}
    for view in views:
        assert set(view.shared_with.values_list("name", flat=True)) == {SALES_CS, PRODUCT_OPS}
        assert not view.owner.is_active and not view.owner.has_usable_password()


def test_given_a_cohort_when_a_sales_person_exports_the_list_then_the_file_holds_the_cohort(client, sales_cs):
    make_customer(name="Fresh", customer_since=today(), account_owner=sales_cs)
    make_customer(name="Old", customer_since=today() - timedelta(days=400), account_owner=sales_cs)
    client.force_login(sales_cs)
    fields = CustomerResource().get_export_order()
    data = {"format": "0", "resource": "0", **{f"customerresource_{name}": "on" for name in fields}}

    response = client.post(f"{EXPORT_URL}?cohort=new", data)

    assert response.status_code == 200
    assert [row["Company"] for row in csv.DictReader(io.StringIO(response.content.decode()))] == ["Fresh"]


def test_given_an_unknown_cohort_in_the_url_then_the_list_is_not_filtered_by_it(admin_client):
    make_customer(name="Anyone")

    assert shown(admin_client, "cohort=nope") == {"Anyone"}
