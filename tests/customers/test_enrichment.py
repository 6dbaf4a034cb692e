"""CRM account sync: ARR, tier, plan, health, renewal and owner applied per row, problems reported per row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customers.choices import Plan, Tier
from customers.services import update_enrichment
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_given_a_crm_row_then_the_account_it_names_gets_its_enrichment(django_user_model):
    owner = django_user_model.objects.create_user(username="ae", email="ae@hub.example")
    customer = make_customer(crm_id="001A", arr=Decimal("1000"), tier=Tier.STARTUP, plan=Plan.FREE, health_score=90)

    report = update_enrichment(
        rows=[
            {
                "crm_id": "001A",
                "arr": "250,000",
                "tier": "Enterprise ($100k+)",
                "plan": "pro",
                "health_score": 64.4,
                "renewal_date": "03/31/2027",
                "owner_email": "AE@hub.example",
            }
        ]
    )

    customer.refresh_from_db()
    assert (report.updated, report.errors) == (1, [])
    assert (customer.arr, customer.tier, customer.plan) == (Decimal("250000.00"), Tier.ENTERPRISE, Plan.PRO)
    assert (customer.health_score, customer.renewal_date, customer.account_owner) == (64, date(2027, 3, 31), owner)


def test_given_an_account_matched_by_domain_then_it_learns_its_crm_id_and_blank_cells_change_nothing():
    customer = make_customer(domain="globex.example", crm_id=None, health_score=70)

    report = update_enrichment(rows=[{"crm_id": "001G", "domain": "https://www.globex.example", "health_score": ""}])

    customer.refresh_from_db()
    assert report.updated == 1 and (customer.crm_id, customer.health_score) == ("001G", 70)


def test_given_bad_rows_then_each_problem_is_reported_with_its_row_and_the_good_cells_still_apply():
    customer = make_customer(crm_id="001B", health_score=50, arr=Decimal("10"))

    report = update_enrichment(
        rows=[
            {"crm_id": "001Z", "arr": "5"},
            {"crm_id": "001B", "health_score": "140", "tier": "Platinum", "arr": "20"},
            {"crm_id": "001B", "arr": "20"},
        ]
    )

    customer.refresh_from_db()
    assert report.errors == [
        (1, "no account has CRM id “001Z” or domain “”."),
        (2, "tier “Platinum” is not one of enterprise, mid_market, startup, strategic_partner."),
        (2, "health score 140 is outside 0–100."),
    ]
    assert (report.updated, report.unchanged) == (1, 1)
    assert (customer.arr, customer.health_score) == (Decimal("20.00"), 50)
