"""Customer rules, each defined once: a Q expression for querysets (and SQL) plus a pure function for one row.

Every place that needs a rule (querysets, model properties, raw SQL, the demo builder, digests) uses these.
"""

from __future__ import annotations

from django.db.models import Q

from customers.choices import Lifecycle

HEALTH_AT_RISK_BELOW = 40  # a health score under this marks a live account at risk


def at_risk_q(prefix: str = "") -> Q:
    """Accounts flagged at risk, or live accounts whose health fell under the threshold (churned accounts are lost).

    ``prefix`` reaches the customer through a relation, e.g. ``at_risk_q("customer__")`` on feedback.
    """
    return Q(**{f"{prefix}lifecycle_stage": Lifecycle.AT_RISK}) | (
        Q(**{f"{prefix}health_score__lt": HEALTH_AT_RISK_BELOW}) & ~Q(**{f"{prefix}lifecycle_stage": Lifecycle.CHURNED})
    )


def is_at_risk(*, lifecycle_stage: str, health_score: int | None) -> bool:
    """The same rule as ``at_risk_q`` for one account's values."""
    if lifecycle_stage == Lifecycle.AT_RISK:
        return True
    return lifecycle_stage != Lifecycle.CHURNED and health_score is not None and health_score < HEALTH_AT_RISK_BELOW
