"""Seed 002's priority formula: tier ×3 + severity ×2 + revenue ×1, boosted for at-risk customers; with its reason.

The weights are plain tables so a PM can read why an item got its priority (the reason string says it term by term):

- tier: strategic partner and enterprise 3, mid-market 2, startup 1; no customer known 1 (an unknown account is
  treated like the smallest, never like nobody: a production outage from anyone is at least medium);
- severity: critical 4, high 3, medium 2, low 1;
- revenue (ARR bands, "calibrate with real ARR thresholds"): $1M+ 3, $100k+ 2, $10k+ 1, less 0;
- boosts: an at-risk account (``customers.rules.is_at_risk``: lifecycle at risk, or health under 40) +3; the
  feedback itself carries a churn signal +2.

Score → priority: 17+ critical, 14+ high, 9+ medium, else low. Enterprise + production outage + $1M ARR is 20
(critical); an enterprise's praise (low severity, $450k) is 13 (medium); a startup's nice-to-have is 6 (low).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from customers.choices import Tier
from customers.rules import is_at_risk
from feedback.choices import Priority, Severity

TIER_WEIGHTS = {Tier.STRATEGIC_PARTNER: 3, Tier.ENTERPRISE: 3, Tier.MID_MARKET: 2, Tier.STARTUP: 1}
UNKNOWN_TIER_WEIGHT = 1
SEVERITY_WEIGHTS = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}
REVENUE_BANDS = ((Decimal("1000000"), 3), (Decimal("100000"), 2), (Decimal("10000"), 1))  # ARR at least → weight
AT_RISK_BOOST = 3
CHURN_SIGNAL_BOOST = 2
PRIORITY_FROM = ((17, Priority.CRITICAL), (14, Priority.HIGH), (9, Priority.MEDIUM))  # score at least → priority


@dataclass(frozen=True)
class PriorityScore:
    """A priority, the score it came from and the sum written out."""

    priority: str
    score: int
    reason: str


def revenue_weight(arr: Decimal | float | None) -> int:
    """The revenue term's weight of an ARR (0 when unknown)."""
    value = Decimal(str(arr or 0))
    return next((weight for floor, weight in REVENUE_BANDS if value >= floor), 0)


def short_money(arr: Decimal | float | None) -> str:
    """$450k, $1.2M, $0: the ARR as the reason shows it."""
    value = float(arr or 0)
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


def priority_for(*, severity: str, customer=None, churn_signal: bool = False) -> PriorityScore:
    """Seed 002's priority of an item of ``severity`` from ``customer`` (a ``Customer`` or None), with its reason."""
    severity = severity or Severity.MEDIUM
    severity_weight = SEVERITY_WEIGHTS.get(severity, SEVERITY_WEIGHTS[Severity.MEDIUM])
    if customer is not None:
        tier_weight = TIER_WEIGHTS.get(customer.tier, UNKNOWN_TIER_WEIGHT)
        tier_name = customer.tier.replace("_", " ") if customer.tier else "unknown"
        money = revenue_weight(customer.arr)
        revenue = f"ARR {short_money(customer.arr)} {money}×1"
        at_risk = is_at_risk(lifecycle_stage=customer.lifecycle_stage, health_score=customer.health_score)
    else:
        tier_weight, tier_name, money, at_risk = UNKNOWN_TIER_WEIGHT, "unknown (no customer)", 0, False
        revenue = "ARR unknown 0×1"
    score = tier_weight * 3 + severity_weight * 2 + money
    reason = f"tier {tier_name} {tier_weight}×3 + severity {severity} {severity_weight}×2 + {revenue} = {score}"
    if at_risk:
        score += AT_RISK_BOOST
        health = f"health {customer.health_score}" if customer.health_score is not None else "no health score"
        reason += f", at-risk account ({customer.lifecycle_stage.replace('_', ' ')}, {health}) +{AT_RISK_BOOST}"
    if churn_signal:
        score += CHURN_SIGNAL_BOOST
        reason += f", churn signal in the text +{CHURN_SIGNAL_BOOST}"
    if at_risk or churn_signal:
        reason += f" = {score}"
    priority = next((value for floor, value in PRIORITY_FROM if score >= floor), Priority.LOW)
    return PriorityScore(priority=str(priority), score=score, reason=f"{reason} → {priority}")
