"""The at-risk rule is defined once (customers.rules) and every door agrees with it."""

from decimal import Decimal
from itertools import product

import pytest

from customers.choices import Lifecycle
from customers.models import Customer
from customers.rules import HEALTH_AT_RISK_BELOW, is_at_risk
from tests.factories import make_customer, make_feedback, make_theme
from themes import services as theme_services

pytestmark = pytest.mark.django_db

HEALTHS = [None, 0, HEALTH_AT_RISK_BELOW - 1, HEALTH_AT_RISK_BELOW, 100]


@pytest.mark.parametrize(
    ("stage", "health", "expected"),
    [
        (Lifecycle.AT_RISK, 90, True),
        (Lifecycle.ACTIVE, HEALTH_AT_RISK_BELOW - 1, True),
        (Lifecycle.ACTIVE, HEALTH_AT_RISK_BELOW, False),
        (Lifecycle.ACTIVE, None, False),
        (Lifecycle.CHURNED, 5, False),  # churned accounts are lost, not at risk
    ],
)
def test_given_stage_and_health_then_the_pure_rule_says_at_risk(stage, health, expected):
    assert is_at_risk(lifecycle_stage=stage, health_score=health) is expected


def test_given_every_stage_and_health_then_queryset_property_and_rollup_sql_agree_with_the_pure_rule():
    theme = make_theme()
    expected_arr = Decimal("0")
    for index, (stage, health) in enumerate(product(Lifecycle.values, HEALTHS)):
        customer = make_customer(lifecycle_stage=stage, health_score=health, arr=Decimal(1000 + index))
        make_feedback(customer=customer).themes.add(theme)
        if is_at_risk(lifecycle_stage=stage, health_score=health):
            expected_arr += customer.arr

    flagged_by_queryset = set(Customer.objects.at_risk().values_list("pk", flat=True))
    flagged_by_property = {customer.pk for customer in Customer.objects.all() if customer.is_at_risk}
    flagged_by_rule = {
        c.pk
        for c in Customer.objects.all()
        if is_at_risk(lifecycle_stage=c.lifecycle_stage, health_score=c.health_score)
    }
    theme_services.refresh_rollups(theme_ids=[theme.pk])
    theme.refresh_from_db()

    assert flagged_by_queryset == flagged_by_property == flagged_by_rule
    assert flagged_by_rule  # the grid has at-risk accounts, and accounts that are not
    assert theme.arr_at_risk == expected_arr
