"""Writes of escalations (seed 004 "Auto-Escalation System"): open, acknowledge, resolve, reassign.

Every door goes through here: the hourly check (``insights.escalations``), the "time to verify" event
(``insights.handlers``), the admin's actions and change form, the demo.

Opening is one ``INSERT … ON CONFLICT DO NOTHING`` for all the conditions a rule found: the partial unique
constraint (one open or acknowledged escalation per ``condition_key``) is the guard, so two checks at once, or the
check and the event, never open two for one condition. The notifications of the escalations this call opened are
written in the same transaction (``insights.escalation_notices``): they exist if and only if the escalation does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from insights import escalation_notices
from insights.choices import Comparison, EscalationStatus, Metric
from insights.models import Escalation, EscalationRule

NOT_RESOLVED = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED)


@dataclass
class Condition:
    """One condition a rule found true: what the escalation it opens says and who it concerns."""

    key: str
    summary: str
    details: dict = field(default_factory=dict)
    customer_ids: list[int] = field(default_factory=list)
    owner_id: int | None = None
    theme_id: int | None = None
    feedback_id: int | None = None


def key_prefix(rule: EscalationRule, subject: str) -> str:
    """The start of the condition keys of ``rule`` about a ``subject`` ("customer" or "theme"); the id follows.

    The rule's id is part of the key: two rules on one metric (usage down 20 % in a week, 30 % in 30 days) are two
    conditions, and neither's open escalation hides the other's.
    """
    return f"{rule.metric}:{rule.pk}:{subject}:"


def condition_key(rule: EscalationRule, *, customer_id: int | None = None, theme_id: int | None = None) -> str:
    """``usage_drop:3:customer:42``, ``theme_critical_mass:8:theme:17``: the same for the check and the event."""
    if theme_id is not None:
        return f"{key_prefix(rule, 'theme')}{theme_id}"
    return f"{key_prefix(rule, 'customer')}{customer_id}"


INSERT_SQL = """
INSERT INTO insights_escalation
    (rule_id, condition_key, severity, summary, details, theme_id, feedback_id, owner_id, status, resolution_notes)
SELECT %s, c.key, %s, c.summary, c.details::jsonb, c.theme_id, c.feedback_id, c.owner_id, 'open', ''
FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[])
     AS c(key, summary, details, theme_id, feedback_id, owner_id)
ON CONFLICT DO NOTHING
RETURNING id
"""


def open_escalations(*, rule: EscalationRule, conditions: Sequence[Condition]) -> list[Escalation]:
    """Open one escalation per condition with none open or acknowledged; returns those this call opened.

    A condition whose key already has one (opened by an earlier check, by a check running now, or by the event) is
    skipped by the database, not by a read before the write. Each opened one links its customers and enqueues its
    email and Slack notifications in the caller's transaction.
    """
    conditions = list({condition.key: condition for condition in conditions}.values())
    if not conditions:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            [
                rule.pk,
                rule.severity,
                [condition.key for condition in conditions],
                [condition.summary[:300] for condition in conditions],
                [json.dumps(condition.details, default=_json_default) for condition in conditions],
                [condition.theme_id for condition in conditions],
                [condition.feedback_id for condition in conditions],
                [condition.owner_id for condition in conditions],
            ],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        opened = list(Escalation.objects.filter(pk__in=ids).select_related("rule", "owner", "theme").order_by("id"))
        by_key = {condition.key: condition for condition in conditions}
        Link = Escalation.customers.through
        Link.objects.bulk_create(
            [
                Link(escalation_id=escalation.pk, customer_id=customer_id)
                for escalation in opened
                for customer_id in dict.fromkeys(by_key[escalation.condition_key].customer_ids)
            ],
            ignore_conflicts=True,
        )
        escalation_notices.notify_opened(rule=rule, escalations=opened)
    return opened


def _json_default(value):
    """Figures read from SQL: decimals, dates and times into JSON."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _record(escalation: Escalation, *, user, action: str, at) -> None:
    """Add who did what, and when, to the escalation's ``details["history"]`` (the model keeps no audit table)."""
    who = (user.get_full_name() or user.get_username()) if user is not None else "FeedbackHub"
    history = list(escalation.details.get("history", []))
    history.append({"action": action, "by": who, "by_id": getattr(user, "pk", None), "at": at.isoformat()})
    escalation.details = {**escalation.details, "history": history}


def acknowledge_escalations(*, escalation_ids: Iterable[int], user) -> int:
    """Mark open escalations acknowledged (someone is on it); returns how many changed. Others are left alone."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Escalation.objects.select_for_update()
            .filter(pk__in=list(escalation_ids), status=EscalationStatus.OPEN)
            .order_by("id")
        )
        for escalation in rows:
            escalation.status = EscalationStatus.ACKNOWLEDGED
            _record(escalation, user=user, action="acknowledged", at=now)
        Escalation.objects.bulk_update(rows, ["status", "details"])
    return len(rows)


def resolve_escalations(*, escalation_ids: Iterable[int], user, notes: str) -> int:
    """Resolve open or acknowledged escalations with ``notes`` (required: what was done); returns how many changed.

    A resolved escalation frees its condition: the check may open a new one when there is new evidence.
    """
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError({"resolution_notes": "Say what was done: resolution notes are required to resolve."})
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Escalation.objects.select_for_update()
            .filter(pk__in=list(escalation_ids), status__in=NOT_RESOLVED)
            .order_by("id")
        )
        for escalation in rows:
            escalation.status = EscalationStatus.RESOLVED
            escalation.resolution_notes = notes
            escalation.resolved_at = now
            _record(escalation, user=user, action="resolved", at=now)
        Escalation.objects.bulk_update(rows, ["status", "resolution_notes", "resolved_at", "details"])
    return len(rows)


def assign_escalation(*, escalation: Escalation, owner, user) -> Escalation:
    """Hand an escalation to another owner (recorded in its history)."""
    with transaction.atomic():
        locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if locked.owner_id == getattr(owner, "pk", None):
            return locked
        locked.owner = owner
        _record(
            locked, user=user, action=f"assigned to {owner.get_username() if owner else 'nobody'}", at=timezone.now()
        )
        locked.save(update_fields=["owner", "details"])
    return locked


# --- Rules ----------------------------------------------------------------------------------------------------------

# What each metric compares with the threshold, and the comparisons that make sense for it.
RULE_LIMITS: dict[str, tuple[Decimal, Decimal | None, set[str]]] = {
    Metric.NPS_DETRACTOR: (Decimal(0), Decimal(10), {Comparison.LTE, Comparison.LT}),
    Metric.USAGE_DROP: (Decimal(0), Decimal(100), {Comparison.GTE, Comparison.GT}),
    Metric.INACTIVITY: (Decimal(1), None, {Comparison.GTE, Comparison.GT}),
    Metric.NEGATIVE_HIGH_ARR: (Decimal(0), None, {Comparison.GTE, Comparison.GT}),
    Metric.ENTERPRISE_CHURN_SIGNAL: (Decimal(1), None, {Comparison.GTE, Comparison.GT}),
    Metric.COMPETITOR_MENTION: (Decimal(1), None, {Comparison.GTE, Comparison.GT}),
    Metric.THEME_CRITICAL_MASS: (Decimal(1), None, {Comparison.GTE, Comparison.GT}),
    Metric.ERRORS_UP_SENTIMENT_DOWN: (Decimal(1), None, {Comparison.GTE, Comparison.GT}),
}
CHANNELS = ("email", "slack")
MAX_PERIOD_DAYS = 365


def check_rule(
    *, metric: str, threshold: Decimal | None, comparison: str, period_days: int | None, channels: Iterable[str]
) -> None:
    """Refuse a rule the check could not read sensibly (a threshold out of the metric's range, a comparison that
    would alert on the healthy side, an unknown channel); raises ``ValidationError`` by field."""
    errors: dict[str, str] = {}
    if metric in RULE_LIMITS and threshold is not None:
        low, high, comparisons = RULE_LIMITS[metric]
        if threshold < low or (high is not None and threshold > high):
            errors["threshold"] = f"Between {low} and {high}." if high is not None else f"At least {low}."
        if comparison not in comparisons:
            allowed = " or ".join(sorted(Comparison(value).label for value in comparisons))
            errors["comparison"] = f"This metric alerts with {allowed}."
    if period_days is not None and not 1 <= period_days <= MAX_PERIOD_DAYS:
        errors["period_days"] = f"Between 1 and {MAX_PERIOD_DAYS} days."
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        errors["channels"] = f"Unknown channel(s): {', '.join(unknown)} (email, slack)."
    if errors:
        raise ValidationError(errors)
