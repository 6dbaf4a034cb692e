"""Admin pieces every app shares: HubModelAdmin's estimated counts, and the query-plan checks (tests/admin_plans.py)
failing when an index is missing."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from feedbackhub.admin_tools import EXACT_COUNT_BELOW, EstimatedCountPaginator, HubModelAdmin
from tests.admin_plans import HUB_APPS, SEARCH_TERM, filter_gap, registered_models, search_gaps
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

# --- HubModelAdmin --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [model for app in sorted(HUB_APPS) for model in registered_models(app)], ids=lambda model: model.__name__
)
def test_given_an_app_model_admin_then_it_is_a_hub_model_admin(model):
    assert isinstance(admin.site._registry[model], HubModelAdmin)


def test_given_small_table_then_paginator_counts_exactly():
    for _ in range(3):
        make_customer()

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Customer.objects.all(), 50).count

    assert count == 3
    assert any("COUNT(*)" in query["sql"].upper() for query in queries.captured_queries)


def test_given_table_past_the_threshold_when_changelist_opens_unfiltered_or_filtered_then_it_counts_without_count_star(
    admin_client,
):
    rows = EXACT_COUNT_BELOW + 2000
    Customer.objects.bulk_create(
        Customer(name=f"Bulk {n}", domain=f"bulk{n}.example", industry="retail", region="uk", tier=tier)
        for n in range(rows)
        for tier in ["enterprise" if n % 12 == 0 else "startup"]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    make_customer(tier="startup")  # after ANALYZE: the exact count moves, the estimate does not
    startups = Customer.objects.filter(tier="startup").count()

    with CaptureQueriesContext(connection) as queries:
        unfiltered = admin_client.get(reverse("admin:customers_customer_changelist"))
        filtered = admin_client.get(reverse("admin:customers_customer_changelist"), {"tier__exact": "startup"})

    assert (unfiltered.status_code, filtered.status_code) == (200, 200)
    assert unfiltered.context["cl"].result_count == rows  # the planner's estimate, not the exact rows + 1
    assert abs(filtered.context["cl"].result_count - startups) < startups * 0.05
    assert [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()] == []


# --- The plan checks themselves: a full index scan with a Filter must not pass ---------------------------------------


def test_given_one_trigram_index_dropped_then_the_search_check_reports_the_whole_search_unserved():
    indexes = {"name": "customer_name_trgm", "domain": "customer_domain_trgm", "=crm_id": "customer_crm_id_upper_idx"}
    assert search_gaps(Customer, indexes) == {}
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX customer_domain_trgm")  # rolled back with the test's transaction

    gaps = search_gaps(Customer, indexes)

    assert sorted(gaps) == ["=crm_id", "domain", "name"]  # one unindexed column of an OR reads the whole table
    assert "Filter=((upper((name)::text) ~~ '%ACME%'::text) OR" in gaps["name"]  # read in full, filtered row by row


def test_given_the_filter_index_dropped_then_a_full_scan_of_the_ordering_index_does_not_pass_the_filter_check():
    assert filter_gap(Customer, "tier") is None
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX customer_tier_idx")  # rolled back with the test's transaction

    gap = filter_gap(Customer, "tier")

    assert gap is not None
    assert "Filter=((tier)::text = " in gap  # the rows are read through another index and filtered one by one


# --- Admin pages of the project itself (users, groups, Celery beat schedules) ----------------------------------------

PROJECT_MODELS = [model for model in admin.site._registry if model._meta.app_label not in HUB_APPS]


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda model: f"{model._meta.app_label}.{model.__name__}")
def test_given_a_project_admin_when_opening_changelist_search_and_add_form_then_each_answers(
    model, admin_client, django_assert_max_num_queries
):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    with django_assert_max_num_queries(15):
        changelist = admin_client.get(reverse(f"{prefix}_changelist"), {"q": SEARCH_TERM})
    add_form = admin_client.get(reverse(f"{prefix}_add"))

    assert changelist.status_code == 200
    assert add_form.status_code == 200
