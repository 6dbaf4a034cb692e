"""Theme business logic: creation with its verification checklist, rollups from linked feedback."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from customers.choices import Lifecycle
from customers.models import HEALTH_AT_RISK_BELOW
from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme, ThemeVerification


def ensure_verification_steps(*, theme: Theme) -> None:
    """Give ``theme`` one row per verification step (idempotent)."""
    ThemeVerification.objects.bulk_create(
        [ThemeVerification(theme=theme, step=step, position=index) for index, step in enumerate(VerificationStep)],
        ignore_conflicts=True,
    )


@transaction.atomic
def create_theme(
    *, name: str, description: str = "", problem_statement: str = "", owner=None, status: str = ThemeStatus.HYPOTHESIS
) -> Theme:
    """Create a theme with its verify-before-build checklist."""
    theme = Theme.objects.create(
        name=name, description=description, problem_statement=problem_statement, owner=owner, status=status
    )
    ensure_verification_steps(theme=theme)
    return theme


ROLLUP_SQL = """
WITH linked AS (
    SELECT link.theme_id, item.customer_id
    FROM feedback_feedbackitem_themes AS link
    JOIN feedback_feedbackitem AS item ON item.id = link.feedbackitem_id
    WHERE link.theme_id = ANY(%(ids)s) AND item.duplicate_of_id IS NULL
), per_customer AS (
    SELECT DISTINCT linked.theme_id, customer.id, customer.arr,
           (customer.lifecycle_stage = %(at_risk)s
            OR (customer.health_score < %(health)s AND customer.lifecycle_stage <> %(churned)s)) AS at_risk
    FROM linked JOIN customers_customer AS customer ON customer.id = linked.customer_id
)
SELECT theme.id,
       (SELECT count(*) FROM linked WHERE linked.theme_id = theme.id),
       count(per_customer.id),
       coalesce(sum(per_customer.arr), 0),
       coalesce(sum(per_customer.arr) FILTER (WHERE per_customer.at_risk), 0)
FROM unnest(%(ids)s::bigint[]) AS theme(id)
LEFT JOIN per_customer ON per_customer.theme_id = theme.id
GROUP BY theme.id
"""


def refresh_rollups(*, theme_ids: Iterable[int]) -> int:
    """Recompute feedback count, unique customers, ARR impacted and ARR at risk; returns themes updated.

    Duplicates are not counted twice; a customer's ARR counts once per theme however often they asked.
    """
    ids = sorted(set(theme_ids))
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            ROLLUP_SQL,
            {"ids": ids, "at_risk": Lifecycle.AT_RISK, "churned": Lifecycle.CHURNED, "health": HEALTH_AT_RISK_BELOW},
        )
        rows = cursor.fetchall()
    now = timezone.now()
    themes = [
        Theme(
            id=theme_id,
            feedback_count=count,
            unique_customers=customers,
            arr_impacted=Decimal(arr),
            arr_at_risk=Decimal(at_risk),
            rollups_refreshed_at=now,
        )
        for theme_id, count, customers, arr, at_risk in rows
    ]
    Theme.objects.bulk_update(
        themes,
        ["feedback_count", "unique_customers", "arr_impacted", "arr_at_risk", "rollups_refreshed_at"],
        batch_size=500,
    )
    return len(themes)
