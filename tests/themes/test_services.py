"""Themes carry the verify-before-build checklist and roll up their feedback."""

from decimal import Decimal

import pytest

from customers.choices import Lifecycle
from tests.factories import make_customer, make_feedback, make_theme
from themes import services
from themes.choices import VerificationStep

pytestmark = pytest.mark.django_db


def test_given_new_theme_then_it_has_the_eight_verification_steps_in_seed_order():
    theme = make_theme()

    steps = list(theme.verification_steps.values_list("step", flat=True))

    assert steps == list(VerificationStep.values)
    assert len(steps) == 8


def test_given_steps_exist_when_ensuring_again_then_none_are_duplicated():
    theme = make_theme()

    services.ensure_verification_steps(theme=theme)

    assert theme.verification_steps.count() == 8


def test_given_linked_feedback_when_refreshing_then_rollups_count_customers_and_arr_once():
    theme, other_theme = make_theme(), make_theme()
    healthy = make_customer(arr=Decimal("100000"))
    at_risk = make_customer(arr=Decimal("40000"), lifecycle_stage=Lifecycle.AT_RISK)
    low_health = make_customer(arr=Decimal("5000"), health_score=20)
    original = make_feedback(customer=healthy)
    for item in (
        original,
        make_feedback(customer=healthy),
        make_feedback(customer=at_risk),
        make_feedback(customer=low_health),
        make_feedback(customer=None),
        make_feedback(customer=at_risk, duplicate_of=original),
    ):
        item.themes.add(theme)
    make_feedback(customer=healthy).themes.add(other_theme)

    updated = services.refresh_rollups(theme_ids=[theme.pk, other_theme.pk])

    theme.refresh_from_db()
    other_theme.refresh_from_db()
    assert updated == 2
    assert (theme.feedback_count, theme.unique_customers) == (5, 3)  # the duplicate is not counted
    assert theme.arr_impacted == Decimal("145000")
    assert theme.arr_at_risk == Decimal("45000")
    assert (other_theme.feedback_count, other_theme.arr_impacted) == (1, Decimal("100000"))


def test_given_theme_without_feedback_when_refreshing_then_rollups_are_zero():
    theme = make_theme()

    services.refresh_rollups(theme_ids=[theme.pk])

    theme.refresh_from_db()
    assert (theme.feedback_count, theme.unique_customers, theme.arr_impacted) == (0, 0, Decimal("0"))
    assert theme.rollups_refreshed_at is not None
