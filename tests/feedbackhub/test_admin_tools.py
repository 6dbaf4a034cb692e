"""Admin pieces every app shares: HubModelAdmin's estimated counts, and the query-plan checks (tests/admin_plans.py)
failing when an index is missing."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from feedback.choices import Source
from feedback.models import FeedbackItem
from feedbackhub.admin_tools import EstimatedCountPaginator, HubModelAdmin, estimated_count
from tests.admin_plans import HUB_APPS, SEARCH_TERM, filter_gap, registered_models, search_gaps
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

MANY_ROWS = 10_000  # far past the 500 rows a changelist counts

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


def test_given_table_past_the_threshold_when_changelist_opens_unfiltered_or_filtered_then_it_says_about_the_estimate(
    admin_client,
):
    rows = MANY_ROWS + 2000
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
    assert result_count_text(unfiltered) == f"about {rows:,} customers"  # said as an estimate
    said = re.fullmatch(r"about ([\d,]+) customers", result_count_text(filtered))
    assert said and abs(int(said.group(1).replace(",", "")) - startups) < startups * 0.05
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert counts == []  # a close estimate far past the counted pages is said without counting a row


def result_count_text(response) -> str:
    """The count under the changelist, as the page says it ("about 12,000 customers")."""
    found = re.search(r'id="result-count"[^>]*>(.*?)</div>', response.content.decode(), re.DOTALL)
    assert found, "the changelist shows no result count"
    return " ".join(found.group(1).replace("-", " ").split())


def counts_said_elsewhere(response) -> dict[str, str]:
    """The count as the page header and the action bar's "select all" say it."""
    html = response.content.decode()
    header = re.search(r'<span class="font-medium ml-2 text-subtle">\s*(.*?)\s*\(<a', html, re.DOTALL)
    select_all = re.search(r'<span class="question hidden">\s*<a[^>]*>\s*(.*?)\s*</a>', html, re.DOTALL)
    all_selected = re.search(r'<span class="all hidden">\s*(.*?)\s*</span>', html, re.DOTALL)
    return {
        name: " ".join(found.group(1).split()) if found else None
        for name, found in {"header": header, "select all": select_all, "all selected": all_selected}.items()
    }


def feedback_skewed_over_customers(*, startup_items: int, enterprise_items: int, startups: int = 10) -> None:
    """Feedback not spread evenly over customers: ``startups`` startup accounts and 2 enterprise ones, each tier with
    its own number of items. The planner's estimate for a filter on the tier assumes each customer has as many."""
    startup_accounts = [make_customer(tier="startup") for _ in range(startups)]
    enterprise_accounts = [make_customer(tier="enterprise") for _ in range(2)]
    now = timezone.now()
    FeedbackItem.objects.bulk_create(
        FeedbackItem(
            received_at=now, source=Source.ZENDESK, source_id=f"SK-{n}", verbatim="Batch jobs fail", customer=account
        )
        for n, account in enumerate(
            [startup_accounts[n % startups] for n in range(startup_items)]
            + [enterprise_accounts[n % 2] for n in range(enterprise_items)]
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("ANALYZE feedback_feedbackitem")


def test_given_feedback_skewed_over_customers_when_filtered_on_their_tier_then_the_count_is_exact_not_the_estimate(
    admin_client,
):
    feedback_skewed_over_customers(startup_items=400, enterprise_items=MANY_ROWS + 4000)
    estimate = estimated_count(FeedbackItem.objects.filter(customer__tier="startup"))
    assert estimate > MANY_ROWS  # the planner's figure: 10 of 12 accounts, so 10/12 of the items

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"customer__tier__exact": "startup"})

    assert response.context["cl"].result_count == 400
    assert result_count_text(response) == "400 feedback items"
    assert counts_said_elsewhere(response) == {
        "header": "400 results",
        "select all": "Select all 400 feedback items",
        "all selected": "All 400 selected",
    }


def test_given_more_rows_than_the_cap_across_a_join_then_the_page_says_more_than_the_cap_not_a_figure(
    admin_client, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "count_cap", 100)
    feedback_skewed_over_customers(startup_items=150, enterprise_items=20)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(
            reverse("admin:feedback_feedbackitem_changelist"), {"customer__tier__exact": "startup"}
        )

    assert result_count_text(response) == "more than 100 feedback items"
    assert counts_said_elsewhere(response) == {  # never the pager's 101 as if it were the count
        "header": "more than 100 results",
        "select all": "Select all matching feedback items (more than 100)",
        "all selected": "All matching selected (more than 100)",
    }
    assert response.context["cl"].paginator.count_kind == "more_than"
    counts = [query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"].upper()]
    assert counts and all("LIMIT 101" in sql for sql in counts)


def test_given_exactly_the_cap_then_it_is_counted_exactly_and_one_more_is_more_than_the_cap(monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "count_cap", 5)
    for _ in range(5):
        make_customer(name="Acme")
    searched = Customer.objects.filter(name__icontains="acme")  # no estimate to trust

    exact = EstimatedCountPaginator(searched, 2)
    assert (exact.count, exact.count_kind, exact.count_text) == (5, "exact", "5")
    make_customer(name="Acme")
    more = EstimatedCountPaginator(searched.all(), 2)
    assert (more.count, more.count_kind, more.count_text) == (6, "more_than", "more than 5")
    assert more.num_pages == 3  # the pager still reaches every row it may show


@pytest.mark.parametrize(
    ("queryset", "close"),
    [
        (lambda: Customer.objects.all(), True),
        (lambda: Customer.objects.filter(tier="startup"), True),
        (lambda: Customer.objects.filter(tier__in=["startup", "enterprise"]), True),
        (lambda: FeedbackItem.objects.select_related("customer").filter(status="new"), True),
        (lambda: FeedbackItem.objects.filter(customer__tier="startup"), False),  # a join
        (lambda: Customer.objects.filter(tier="startup", region="uk"), False),  # two conditions, assumed independent
        (lambda: Customer.objects.filter(name__icontains="acme"), False),  # a pattern: no statistics
        (lambda: Customer.objects.exclude(tier="startup"), False),
    ],
    ids=["table", "one-column", "in", "select-related", "join", "two-columns", "search", "exclude"],
)
def test_given_a_list_then_its_estimate_is_shown_only_where_the_statistics_describe_it(queryset, close):
    assert EstimatedCountPaginator(queryset(), 50).estimate_is_close() is close


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
    assert add_form.status_code == (200 if changelist.context["has_add_permission"] else 403)  # jobs: never by hand
