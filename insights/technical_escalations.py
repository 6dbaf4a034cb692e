"""The escalation check of the rule metric ``errors_up_sentiment_down`` (issue 11 part 6; seed 003 "Proactive
Technical Issue Prevention"), registered in ``insights.escalations.find_conditions`` beside the other checks.

- threshold: the rise of the error rate in % (relative), the last ``period_days`` against the ``period_days``
  before, while the mean feedback sentiment fell (``insights.technical_correlation.rising``: the same function the
  admin page lists);
- one condition per product or segment: ``errors_up_sentiment_down:<rule>:product:mistral_large``,
  ``…:tier:enterprise``, ``…:industry:retail``; one open escalation per key (the database's partial unique
  constraint, through ``escalation_services.open_escalations``);
- the figures (error rates, requests, sentiment, items, rise) in ``details`` and as readable ``facts``; the accounts
  with the most errors in the recent window (at most ``CUSTOMERS``) linked;
- once resolved, the condition opens again only when the resolution is older than the period (the windows have
  moved on: new evidence), as a usage drop does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, Sum

from insights import technical_correlation
from insights.escalation_services import NOT_RESOLVED, Condition, key_prefix
from insights.models import Escalation, EscalationRule, TechnicalSample

CUSTOMERS = 20
THRESHOLD_HELP = (
    "rise of the error rate in % (0.5 % → 1 % is 100), the last period against the period before, while mean "
    "feedback sentiment fell; per product, tier and industry"
)


def errors_up_sentiment_down(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    """The products and segments where errors rise while sentiment falls, without an open escalation."""
    found = technical_correlation.rising(
        now=now, days=rule.period_days, threshold=float(rule.threshold), comparison=rule.comparison
    )
    if not found:
        return []
    keys = {_key(rule, row): row for row in found}
    ours = Escalation.objects.filter(rule=rule, condition_key__in=list(keys))
    busy = set(ours.filter(status__in=NOT_RESOLVED).values_list("condition_key", flat=True))
    since = now - timedelta(days=rule.period_days)
    fresh = set(
        ours.filter(resolved_at__gt=since).exclude(status__in=NOT_RESOLVED).values_list("condition_key", flat=True)
    )
    return [_condition(rule, key, row, now=now) for key, row in keys.items() if key not in busy | fresh]


def _key(rule: EscalationRule, row: dict) -> str:
    return f"{key_prefix(rule, row['kind'])}{row['subject']}"


def _condition(rule: EscalationRule, key: str, row: dict, *, now: datetime) -> Condition:
    days = rule.period_days
    (rate_then, rate_now), (mood_then, mood_now) = row["error_rate"], row["sentiment"]
    (requests_then, requests_now), (items_then, items_now) = row["requests"], row["items"]
    subject = row["label"] if row["kind"] == "product" else f"{row['kind']} {row['label']}"
    facts = [
        f"Error rate {rate_then:.2%} → {rate_now:.2%} (+{row['rise_percent']:.0f} %; "
        f"{requests_then:,} → {requests_now:,} requests)",
        f"Mean feedback sentiment {mood_then:+.2f} → {mood_now:+.2f} ({items_then} → {items_now} scored items)",
        f"The {days} days to {now:%Y-%m-%d %H:%M} UTC against the {days} before",
    ]
    details = {
        "metric": rule.metric,
        "threshold": float(rule.threshold),
        "comparison": rule.comparison,
        "period_days": days,
        "subject": {"kind": row["kind"], "value": row["subject"], "label": row["label"]},
        **{name: row[name] for name in ("rise_percent", "error_rate", "requests", "errors", "sentiment", "items")},
        "facts": facts,
    }
    summary = f"Errors up {row['rise_percent']:.0f} % in {days} days while sentiment fell: {subject}"
    return Condition(
        key=key, summary=summary, details=details, customer_ids=affected_accounts(row, since=now - timedelta(days=days))
    )


def affected_accounts(row: dict, *, since: datetime) -> list[int]:
    """The accounts of the product or segment with the most errors since ``since`` (at most ``CUSTOMERS``)."""
    subject = {"product": Q(product=row["subject"]), "tier": Q(customer__tier=row["subject"])}.get(
        row["kind"], Q(customer__industry=row["subject"])
    )
    return list(
        TechnicalSample.objects.filter(subject, customer__isnull=False, period_start__gte=since)
        .values("customer_id")
        .annotate(failed=Sum("errors"))
        .filter(failed__gt=0)
        .order_by("-failed", "customer_id")
        .values_list("customer_id", flat=True)[:CUSTOMERS]
    )
