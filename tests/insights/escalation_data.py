"""Builders for the escalation tests: the default rules (as the migration makes them) and data that trips each one,
or stays just under it."""

from __future__ import annotations

import importlib
import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from customers.choices import Tier
from customers.models import Customer, UsageSnapshot
from feedback.choices import Category, Sentiment
from insights.models import EscalationRule, SurveyResponse
from tests.factories import make_customer, make_feedback, make_theme
from themes.models import Theme

DEFAULTS = importlib.import_module("insights.migrations.0004_default_escalation_rules")
_answers = itertools.count(1)


def ensure_default_rules() -> dict[str, EscalationRule]:
    """The default rules by name (a transactional test's flush removes what the migration made: made again here)."""
    for rule in DEFAULTS.RULES:
        EscalationRule.objects.get_or_create(
            name=rule["name"], defaults={**rule, "channels": DEFAULTS.BOTH, "enabled": True}
        )
    return {rule.name: rule for rule in EscalationRule.objects.all()}


def nps_answer(customer: Customer, *, score: int, days_ago: float = 1, created_at: datetime | None = None, **fields):
    now = timezone.now()
    return SurveyResponse.objects.create(
        kind="nps",
        score=score,
        customer=customer,
        source="test",
        external_id=f"nps-{next(_answers)}",
        responded_at=now - timedelta(days=days_ago),
        **({"created_at": created_at} if created_at else {}),
        **fields,
    )


def usage(customer: Customer, users_by_days_ago: dict[int, int], *, today: date | None = None) -> None:
    """Snapshots of ``customer``: days ago → active users (requests proportional)."""
    today = today or timezone.localdate()
    UsageSnapshot.objects.bulk_create(
        [
            UsageSnapshot(
                customer=customer,
                taken_on=today - timedelta(days=days_ago),
                active_users=users,
                api_requests=users * 100,
            )
            for days_ago, users in users_by_days_ago.items()
        ]
    )


def level(first: int, last: int, users: int) -> dict[int, int]:
    """``users`` active users every day from ``first`` days ago to ``last`` days ago (inclusive)."""
    return dict.fromkeys(range(last, first + 1), users)


# --- One scenario per default rule: (rule name, build data that trips it, build data just under it) ----------------


def week_drop(under: bool) -> Customer:
    customer = make_customer()
    usage(customer, {**level(14, 8, 100), **level(7, 1, 81 if under else 79)})  # 19 % or 21 % down
    return customer


def month_drop(under: bool) -> Customer:
    customer = make_customer()
    usage(customer, {**level(60, 31, 100), **level(30, 1, 71 if under else 70)})  # 29 % or 30 % down
    return customer


def quiet(under: bool) -> Customer:
    customer = make_customer()
    last_active = 14 if under else 15  # 13 or 14 days without active users before yesterday's snapshot
    usage(customer, {**level(20, last_active, 5), **level(last_active - 1, 1, 0)})
    return customer


def detractor(under: bool) -> Customer:
    customer = make_customer()
    nps_answer(customer, score=7 if under else 6, comment="Support takes days to answer.")
    return customer


def negative_from_big_account(under: bool) -> Customer:
    customer = make_customer(tier=Tier.ENTERPRISE, arr=Decimal("499999") if under else Decimal("500000"))
    make_feedback(customer=customer, sentiment_label=Sentiment.NEGATIVE, summary="Batch API keeps timing out")
    return customer


def enterprise_churn(under: bool) -> Customer:
    customer = make_customer(tier=Tier.MID_MARKET if under else Tier.ENTERPRISE, arr=Decimal("200000"))
    make_feedback(customer=customer, category=Category.CHURN_SIGNAL, summary="We are evaluating other vendors")
    return customer


def competitor(under: bool) -> Customer:
    customer = make_customer(arr=Decimal("50000"))
    received = timezone.now() - timedelta(days=8 if under else 2)  # outside or inside the 7 days
    make_feedback(customer=customer, competitors=["OpenAI"], received_at=received, summary="OpenAI does this")
    return customer


def critical_mass(under: bool) -> Theme:
    theme = make_theme(name=f"Theme {next(_answers)}")
    Theme.objects.filter(pk=theme.pk).update(feedback_count=4 if under else 5, unique_customers=3)
    return theme


SCENARIOS = [
    ("Usage drop over 20 % week over week", week_drop),
    ("Usage drop of 30 % or more in 30 days", month_drop),
    ("No activity in 14 days", quiet),
    ("NPS detractor", detractor),
    ("Negative feedback from a high-ARR account", negative_from_big_account),
    ("Churn signal from an enterprise account", enterprise_churn),
    ("Competitor mention", competitor),
    ("Theme reaches 5 items: time to verify", critical_mass),
]
