"""Customer domain filters and constraints."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from customers.choices import Lifecycle
from customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_given_lifecycle_or_low_health_then_account_is_at_risk_in_queries_and_rows():
    flagged = make_customer(lifecycle_stage=Lifecycle.AT_RISK, health_score=90)
    unhealthy = make_customer(health_score=39)
    make_customer(health_score=40)
    make_customer(health_score=5, lifecycle_stage=Lifecycle.CHURNED)  # lost, not at risk

    at_risk = set(Customer.objects.at_risk())
    flagged_rows = {customer for customer in Customer.objects.all() if customer.is_at_risk}

    assert at_risk == {flagged, unhealthy}
    assert flagged_rows == at_risk  # the row property and the query filter agree


def test_given_renewal_dates_then_renewing_within_keeps_today_to_the_last_day_of_the_window():
    today = date(2026, 11, 23)
    inside = [make_customer(renewal_date=today + timedelta(days=days)) for days in (0, 30, 90)]
    for days in (-1, 91, 120):
        make_customer(renewal_date=today + timedelta(days=days))
    make_customer(renewal_date=None)

    assert set(Customer.objects.renewing_within(90, today=today)) == set(inside)


def test_given_health_above_100_then_database_rejects_it():
    with pytest.raises(IntegrityError, match="customer_health_score_0_100"), transaction.atomic():
        make_customer(health_score=101)


def test_given_negative_arr_then_database_rejects_it():
    with pytest.raises(IntegrityError, match="customer_arr_not_negative"), transaction.atomic():
        make_customer(arr=Decimal("-1"))


def test_given_two_customers_with_one_domain_then_database_rejects_the_second():
    make_customer(domain="acme.io")

    with pytest.raises(IntegrityError, match=r"Key \(domain\)=\(acme.io\) already exists"), transaction.atomic():
        make_customer(domain="acme.io")


def test_given_customers_without_domain_then_many_can_exist():
    make_customer(domain=None)

    make_customer(domain=None)

    assert Customer.objects.filter(domain=None).count() == 2
