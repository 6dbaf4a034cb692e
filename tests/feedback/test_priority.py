"""Seed 002's priority formula: tier ×3 + severity ×2 + revenue ×1, boosted for at-risk customers, with its reason."""

from __future__ import annotations

from decimal import Decimal

from customers.choices import Lifecycle, Tier
from customers.models import Customer
from feedback.priority import priority_for


def customer(**fields) -> Customer:
    """An unsaved account: the formula reads its tier, ARR, lifecycle and health only."""
    defaults = {
        "tier": Tier.ENTERPRISE,
        "arr": Decimal("450000"),
        "lifecycle_stage": Lifecycle.ACTIVE,
        "health_score": 80,
    }
    return Customer(**{**defaults, **fields})


def test_given_an_enterprise_with_a_high_severity_issue_then_the_sum_is_written_out():
    result = priority_for(severity="high", customer=customer())

    assert (result.score, result.priority) == (17, "critical")
    assert result.reason == "tier enterprise 3×3 + severity high 3×2 + ARR $450k 2×1 = 17 → critical"


def test_given_an_at_risk_account_then_the_priority_is_boosted_and_the_reason_says_why():
    calm = priority_for(severity="low", customer=customer())
    at_risk = priority_for(severity="low", customer=customer(health_score=25))

    assert (calm.score, calm.priority) == (13, "medium")
    assert (at_risk.score, at_risk.priority) == (16, "high")
    assert at_risk.reason.endswith("= 13, at-risk account (active, health 25) +3 = 16 → high")


def test_given_a_churn_signal_in_the_text_then_it_is_boosted_too():
    result = priority_for(
        severity="medium", customer=customer(tier=Tier.MID_MARKET, arr=Decimal("50000")), churn_signal=True
    )

    assert (result.score, result.priority) == (6 + 4 + 1 + 2, "medium")
    assert "churn signal in the text +2" in result.reason


def test_given_the_seeds_examples_then_enterprise_outage_is_critical_and_a_small_nice_to_have_is_low():
    outage = priority_for(severity="critical", customer=customer(arr=Decimal("1200000")))
    nice_to_have = priority_for(severity="low", customer=customer(tier=Tier.STARTUP, arr=Decimal("12000")))

    assert (outage.score, outage.priority) == (20, "critical")
    assert (nice_to_have.score, nice_to_have.priority) == (6, "low")
    assert "ARR $1.2M 3×1" in outage.reason


def test_given_no_customer_then_a_critical_issue_is_still_medium_and_the_reason_says_the_customer_is_unknown():
    result = priority_for(severity="critical", customer=None)

    assert (result.score, result.priority) == (11, "medium")
    assert result.reason.startswith("tier unknown (no customer) 1×3 + severity critical 4×2 + ARR unknown 0×1")


def test_given_a_churned_account_then_it_is_not_boosted_as_at_risk():
    result = priority_for(severity="low", customer=customer(lifecycle_stage=Lifecycle.CHURNED, health_score=5))

    assert "at-risk" not in result.reason and result.score == 13
