"""Customer admin: accounts and their usage browse with bounded queries; search and filters are served by indexes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from customers.models import Customer, UsageSnapshot
from tests.admin_plans import (
    changelist_sorts,
    choice_filters,
    filter_gap,
    registered_models,
    search_gaps,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

ROWS = 20  # more rows than any page's query budget: one query per row (N+1) cannot fit in the budget
QUERY_BUDGET = 10


@pytest.fixture
def accounts(django_user_model) -> list[Customer]:
    """Accounts that each have an owner and a day of usage (every related column of the lists is filled)."""
    owner = django_user_model.objects.create_user(username="owner", first_name="Olga", last_name="Owner")
    customers = [make_customer(name=f"Account {n:02}", account_owner=owner) for n in range(ROWS)]
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(customer=customer, taken_on=date(2026, 11, 1) - timedelta(days=n), active_users=n)
        for n, customer in enumerate(customers)
    )
    return customers


@pytest.mark.parametrize("model", [Customer, UsageSnapshot], ids=lambda model: model.__name__)
def test_given_accounts_when_changelist_opens_then_every_row_renders_within_the_query_budget(
    model, accounts, admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse(f"admin:customers_{model._meta.model_name}_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == ROWS
    assert all(customer.name in response.content.decode() for customer in accounts)


@pytest.mark.parametrize("model", registered_models("customers"), ids=lambda model: model.__name__)
def test_given_customers_admin_when_opening_the_add_form_then_it_answers(model, admin_client):
    response = admin_client.get(reverse(f"admin:customers_{model._meta.model_name}_add"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("acme", {"name": "ACME Industries", "domain": "acme-industries.example"}),
        ("ACME-LABS.EXAMPLE", {"domain": "acme-labs.example"}),
        ("001abc", {"crm_id": "001ABC"}),
    ],
    ids=["name", "domain", "crm_id"],
)
def test_given_accounts_when_searching_name_domain_or_exact_crm_id_then_only_matches_are_listed(
    query, match, admin_client
):
    wanted = make_customer(**match)
    make_customer(name="Globex", domain="globex.example", crm_id="001ABCD")  # crm id matches only in full

    response = admin_client.get(reverse("admin:customers_customer_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_given_a_customer_search_then_each_searched_column_is_served_by_its_index():
    indexes = {"name": "customer_name_trgm", "domain": "customer_domain_trgm", "=crm_id": "customer_crm_id_upper_idx"}

    assert search_gaps(Customer, indexes) == {}


@pytest.mark.parametrize("field", choice_filters(Customer))
def test_given_a_customer_choice_filter_then_its_index_serves_the_condition_in_changelist_order(field):
    assert filter_gap(Customer, field) is None
    assert changelist_sorts(Customer, field) == []
