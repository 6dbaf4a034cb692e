"""Theme business logic: creation with its verification checklist, rollups from linked feedback."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from customers.models import Customer
from customers.rules import at_risk_q
from feedbackhub.ticks import apply_tick
from themes.choices import ThemeStatus, TrackerState, VerificationStep
from themes.models import Theme, ThemeVerification
from themes.segments import segment_counts
from themes.verification_notice import notify_time_to_verify


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


def set_step_done(*, step: ThemeVerification, done: bool, user, at: datetime | None = None) -> ThemeVerification:
    """Tick (or untick) a verification step, recording who did it and when (``at``, default now)."""
    if apply_tick(step, done=done, user=user, at=at):
        step.save(update_fields=["done_at", "done_by"])
    return step


ROLLUP_SQL = """
WITH linked AS (
    SELECT link.theme_id, item.customer_id
    FROM feedback_feedbackitem_themes AS link
    JOIN feedback_feedbackitem AS item ON item.id = link.feedbackitem_id
    WHERE link.theme_id = ANY(%s) AND item.duplicate_of_id IS NULL
), per_customer AS (
    SELECT DISTINCT linked.theme_id, customer.id, customer.arr, customer.at_risk
    FROM linked JOIN ({customers}) AS customer ON customer.id = linked.customer_id
)
SELECT theme.id,
       (SELECT count(*) FROM linked WHERE linked.theme_id = theme.id),
       count(per_customer.id),
       coalesce(sum(per_customer.arr), 0),
       coalesce(sum(per_customer.arr) FILTER (WHERE per_customer.at_risk), 0)
FROM unnest(%s::bigint[]) AS theme(id)
LEFT JOIN per_customer ON per_customer.theme_id = theme.id
GROUP BY theme.id
"""


def _customers_with_risk_sql() -> tuple[str, tuple]:
    """SQL for (id, arr, at_risk) of every customer, compiled from the one at-risk rule (``customers.rules``)."""
    rows = (
        Customer.objects.order_by()
        .annotate(at_risk=ExpressionWrapper(at_risk_q(), output_field=BooleanField()))
        .values("id", "arr", "at_risk")
    )
    return rows.query.sql_with_params()


def refresh_rollups(*, theme_ids: Iterable[int]) -> int:
    """Recompute feedback count, unique customers, ARR impacted, ARR at risk and who asked by segment; returns
    themes updated.

    Duplicates are not counted twice; a customer's ARR counts once per theme however often they asked.
    Clears the themes' stale flag. A theme that reaches ``THEME_VERIFY_AT`` items is marked 'time to verify' and emits
    ``theme.time_to_verify`` (``themes.verification_notice``, once per theme): its PM is told through the outbox,
    never from inside this transaction.
    """
    ids = sorted(set(theme_ids))
    if not ids:
        return 0
    customers_sql, customers_params = _customers_with_risk_sql()
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_SQL.format(customers=customers_sql), (ids, *customers_params, ids))
        rows = cursor.fetchall()
    segments = segment_counts(ids)
    now = timezone.now()
    themes = [
        Theme(
            id=theme_id,
            feedback_count=count,
            unique_customers=customers,
            arr_impacted=Decimal(arr),
            arr_at_risk=Decimal(at_risk),
            segment_rollups=segments[theme_id],
            rollups_refreshed_at=now,
            rollups_dirty=False,
        )
        for theme_id, count, customers, arr, at_risk in rows
    ]
    Theme.objects.bulk_update(
        themes,
        [
            "feedback_count",
            "unique_customers",
            "arr_impacted",
            "arr_at_risk",
            "segment_rollups",
            "rollups_refreshed_at",
            "rollups_dirty",
        ],
        batch_size=500,
    )
    notify_time_to_verify(theme_ids=[theme.id for theme in themes if theme.feedback_count >= settings.THEME_VERIFY_AT])
    return len(themes)


def refresh_stale_rollups(*, batch_size: int = 200) -> int:
    """Recompute the themes flagged stale, one locked batch at a time; returns themes refreshed.

    Safe on several workers at once: each batch locks its rows with SKIP LOCKED, and a theme flagged again while
    its batch runs (the flagging UPDATE waits for the lock) stays flagged for the next run.
    """
    refreshed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Theme.objects.filter(rollups_dirty=True)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return refreshed
            refreshed += refresh_rollups(theme_ids=ids)


def refresh_all_rollups(*, batch_size: int = 500) -> int:
    """Recompute every theme's rollups in batches (the periodic full refresh); returns themes refreshed."""
    ids = list(Theme.objects.order_by("id").values_list("id", flat=True))
    return sum(refresh_rollups(theme_ids=ids[i : i + batch_size]) for i in range(0, len(ids), batch_size))


# --- Closing the loop: tracker issues (Linear, GitHub) moving ------------------------------------------------------

CLOSED_STATES = {TrackerState.DONE, TrackerState.CANCELED}


def status_for_trackers(*, theme: Theme) -> str:
    """The status a theme's tracker issues call for (its current one when they call for none).

    - Every linked issue closed (done or canceled, at least one done) → shipped: the work behind the theme is out.
    - An issue started while the theme is validated → in progress. A hypothesis is never moved: verify first.
    - Anything else (an issue reopened after shipping, one not heard of yet) is recorded only: a PM decides.
    """
    states = [theme.tracker_states.get(key, {}).get("state") for key in theme.tracker_issues]
    if states and all(state in CLOSED_STATES for state in states) and TrackerState.DONE in states:
        return ThemeStatus.SHIPPED
    if TrackerState.STARTED in states and theme.status == ThemeStatus.VALIDATED:
        return ThemeStatus.IN_PROGRESS
    return theme.status


@transaction.atomic
def tracker_issue_changed(*, key: str, state: str, at: datetime | None = None) -> list[Theme]:
    """Record that tracker issue ``key`` is now ``state`` on every theme linking it, and move those whose issues
    call for it (``status_for_trackers``); returns the themes whose status changed."""
    state = TrackerState(state)
    moved = []
    for theme in Theme.objects.select_for_update().filter(tracker_issues__contains=[key]).order_by("id"):
        theme.tracker_states = {
            **theme.tracker_states,
            key: {"state": state.value, "at": (at or timezone.now()).isoformat()},
        }
        fields = ["tracker_states", "updated_at"]
        status = status_for_trackers(theme=theme)
        if status != theme.status:
            theme.status = status
            fields.append("status")
            moved.append(theme)
        theme.save(update_fields=fields)
    return moved


def ship_themes(*, theme_ids: Iterable[int]) -> int:
    """Mark themes shipped (a launch shipping ships its themes); returns how many changed. One UPDATE: the database
    trigger records a ``theme.shipped`` event for each, which closes their loop (``launches.closing``)."""
    return (
        Theme.objects.filter(pk__in=list(theme_ids))
        .exclude(status=ThemeStatus.SHIPPED)
        .update(status=ThemeStatus.SHIPPED, updated_at=timezone.now())
    )
