"""Reads of escalations that carry a rule: which ones a person may see, and which ones the weekly digest leads with."""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from customers.selectors import sees_own_accounts_only
from feedbackhub.formatting import change_url
from insights.choices import EscalationStatus, Metric, Severity
from insights.models import Escalation

DIGEST_SEVERITIES = [Severity.CRITICAL.value, Severity.HIGH.value]
DIGEST_PER_OWNER = 5  # the digest shows 5 decisions at most: each owner's largest accounts, and the book's


def visible_to(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` narrowed for sales/CS people to escalations they own or that concern an account they own;
    everyone else sees them all (as with customers: ``customers.selectors``)."""
    if not sees_own_accounts_only(user):
        return queryset
    links = Escalation.customers.through.objects.filter(escalation_id=OuterRef("pk"), customer__account_owner=user)
    return queryset.filter(Q(owner=user) | Exists(links))


DECISIONS_SQL = """
SELECT id, summary, severity, status, owner_id, opened_at, arr FROM (
    SELECT e.id, e.summary, e.severity, e.status, e.owner_id, e.opened_at,
           coalesce((e.details -> 'customer' ->> 'arr')::numeric, 0) AS arr,
           row_number() OVER (
               PARTITION BY e.owner_id ORDER BY coalesce((e.details -> 'customer' ->> 'arr')::numeric, 0) DESC, e.id
           ) AS n
    FROM insights_escalation e JOIN insights_escalationrule r ON r.id = e.rule_id
    WHERE e.status = ANY(%(open)s) AND e.severity = ANY(%(severities)s) AND r.metric <> %(theme)s
      AND e.opened_at < %(until)s
) ranked
WHERE n <= %(per_owner)s
ORDER BY arr DESC, id
"""


def digest_decisions(period) -> list[dict]:
    """The weekly digest's decisions from escalations (``notifications.digest_facts.register_decision_source``):
    high and critical escalations about accounts still open at the end of the week, each owner's largest ARR first.

    The theme rule is left out: its themes are already the digest's "verify before building" decisions.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            DECISIONS_SQL,
            {
                "open": [EscalationStatus.OPEN.value, EscalationStatus.ACKNOWLEDGED.value],
                "severities": DIGEST_SEVERITIES,
                "theme": Metric.THEME_CRITICAL_MASS.value,
                "until": period.until,
                "per_owner": DIGEST_PER_OWNER,
            },
        )
        rows = cursor.fetchall()
    return [
        {
            "kind": "escalation",
            "text": f"{Severity(severity).label} escalation, {EscalationStatus(status).label.lower()} since "
            f"{opened_at:%b %d}: {summary}",
            "arr": float(arr),
            "_owner": owner_id,
            "url": change_url(Escalation, pk),
        }
        for pk, summary, severity, status, owner_id, opened_at, arr in rows
    ]
