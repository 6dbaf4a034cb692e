"""The KPI dashboard's figures that are not persona metrics (those are ``insights.metrics``): business success from
the CRM fields and their history, and the operational figures of the feedback loop. One SQL statement each.

**Business success** (``business_figures``) compares every account as it is now with the account as it was at the
window's start: the history (``CustomerHistory``, django-pghistory's "row as it was before each change") gives the
row before its first change at or after the start; an account with no change since is as it is now. Accounts count
from the day they became customers (``customer_since``, else when the hub created them) before the window's start.

- **conversion**: accounts on the Free plan at the start (not churned) now on a paid plan (Pro or Enterprise);
- **logo retention**: accounts live at the start (neither prospect nor churned) that are not churned now;
- **upsell**: accounts on a paid plan at the start (live) now on a higher plan (Pro → Enterprise) or a higher ARR
  tier (Startup → Mid-market → Enterprise; Strategic partner ranks with Enterprise);
- **expansion**: accounts live at the start, on the same plan now, whose ARR grew;
- **net revenue retention**: ARR now (0 if churned) ÷ ARR at the start, over the accounts live at the start;
- **usage expansion** (usage snapshots): accounts whose active users grew 10 % or more over the last 30 days
  against the 30 before (``Customer.usage_change_30d``, kept by ``customers.usage``), among those with a figure;
- **LTV/CAC**: the hub stores no acquisition cost (marketing and sales spend per new account), so it is missing.

**Operational ease** (``feedback_figures``), over the feedback items received in the window that are not marked as
a duplicate (a duplicate's decision is its original's):

- **decision**: an item has a decision once its status left New/Reviewing: Validated, Building, Shipped or Won't do
  (``DECIDED``). *Decision coverage* is the share of the window's items with a decision now (seed 003: 90 %).
- **processing time** (feedback → decision): days from ``received_at`` to the first status change from New/Reviewing
  to a decided status, read from the item's history (``FeedbackItemHistory``: the row before each change; the row
  after a change is the next snapshot, or the item itself for the last one). Items that reached a decided status
  with no such change recorded (created decided, by an import) count for coverage, not for the time.
- **automation coverage**: among the window's items that triage has handled (``triaged_at`` set), the share with no
  field a person overrode afterwards (no ``FieldOverride``).
- **escalation resolution time**: hours from opening to resolving, escalations resolved in the window.
- **survey response rate**: journey survey invitations sent in the window that were answered (seed 003: 70–85 %;
  sent and answered as ``insights.survey_math`` defines them).
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

from customers.choices import Lifecycle, Plan, Tier
from customers.models import Customer
from feedback.choices import Status
from feedback.models import FeedbackItem, FieldOverride
from insights import survey_math
from insights.choices import EscalationStatus
from insights.metrics import Window
from insights.models import Escalation, SurveyInvitation

UNDECIDED = (Status.NEW, Status.REVIEWING)
DECIDED = (Status.VALIDATED, Status.BUILDING, Status.SHIPPED, Status.WONT_DO)
USAGE_GROWTH_PERCENT = 10
PLAN_RANK = {Plan.FREE: 0, Plan.PRO: 1, Plan.ENTERPRISE: 2}
TIER_RANK = {Tier.STARTUP: 0, Tier.MID_MARKET: 1, Tier.ENTERPRISE: 2, Tier.STRATEGIC_PARTNER: 2}


def _rank(column: str, ranks: dict) -> str:
    whens = " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in ranks.items())
    return f"(CASE {column} {whens} ELSE 0 END)"


BUSINESS_SQL = """
WITH firsts AS (
    SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, plan, tier, arr, lifecycle_stage
    FROM {history}
    WHERE pgh_created_at >= %(start)s AND pgh_label = 'before_update'
    ORDER BY pgh_obj_id, pgh_created_at, pgh_id
), accounts AS (
    SELECT c.plan AS plan_now, c.tier AS tier_now, c.arr AS arr_now, c.lifecycle_stage AS stage_now,
           coalesce(f.plan, c.plan) AS plan_then, coalesce(f.tier, c.tier) AS tier_then,
           coalesce(f.arr, c.arr) AS arr_then, coalesce(f.lifecycle_stage, c.lifecycle_stage) AS stage_then,
           c.usage_change_30d
    FROM {customers} AS c LEFT JOIN firsts AS f ON f.id = c.id
    WHERE coalesce(c.customer_since, c.created_at::date) < %(start)s::date
), flagged AS (
    SELECT *, stage_then NOT IN (%(prospect)s, %(churned)s) AS live_then, stage_now = %(churned)s AS churned_now
    FROM accounts
)
SELECT
    count(*) FILTER (WHERE plan_then = %(free)s AND stage_then <> %(churned)s) AS free_then,
    count(*) FILTER (WHERE plan_then = %(free)s AND stage_then <> %(churned)s AND plan_now <> %(free)s) AS converted,
    count(*) FILTER (WHERE live_then) AS live_then,
    count(*) FILTER (WHERE live_then AND NOT churned_now) AS retained,
    count(*) FILTER (WHERE live_then AND plan_then <> %(free)s) AS paid_then,
    count(*) FILTER (WHERE live_then AND plan_then <> %(free)s AND NOT churned_now
                     AND ({plan_now} > {plan_then} OR {tier_now} > {tier_then})) AS upsold,
    count(*) FILTER (WHERE live_then AND NOT churned_now AND plan_now = plan_then AND arr_now > arr_then) AS expanded,
    coalesce(sum(arr_then) FILTER (WHERE live_then), 0) AS arr_then,
    coalesce(sum(CASE WHEN churned_now THEN 0 ELSE arr_now END) FILTER (WHERE live_then), 0) AS arr_now,
    count(usage_change_30d) AS usage_n,
    count(*) FILTER (WHERE usage_change_30d >= %(growth)s) AS usage_grew
FROM flagged
"""


def business_figures(*, window: Window) -> dict:
    """The business figures' counts for ``window`` (accounts now against the window's start); one query."""
    history = apps.get_model("customers", "CustomerHistory")
    sql = BUSINESS_SQL.format(
        history=history._meta.db_table,
        customers=Customer._meta.db_table,
        plan_now=_rank("plan_now", PLAN_RANK),
        plan_then=_rank("plan_then", PLAN_RANK),
        tier_now=_rank("tier_now", TIER_RANK),
        tier_then=_rank("tier_then", TIER_RANK),
    )
    params = {
        "start": window.start,
        "free": Plan.FREE.value,
        "prospect": Lifecycle.PROSPECT.value,
        "churned": Lifecycle.CHURNED.value,
        "growth": USAGE_GROWTH_PERCENT,
    }
    return _one(sql, params)


FEEDBACK_SQL = """
WITH items AS (
    SELECT id, received_at, status, triaged_at
    FROM {items}
    WHERE received_at >= %(start)s AND received_at < %(end)s AND duplicate_of_id IS NULL
), moves AS (
    SELECT h.pgh_obj_id AS item_id, h.pgh_created_at AS at, h.status AS before,
           lead(h.status, 1, items.status) OVER (PARTITION BY h.pgh_obj_id ORDER BY h.pgh_id) AS after
    FROM {history} AS h JOIN items ON items.id = h.pgh_obj_id
    WHERE h.pgh_label = 'before_update'
), decisions AS (
    SELECT item_id, min(at) AS decided_at
    FROM moves WHERE before = ANY(%(undecided)s) AND after = ANY(%(decided)s)
    GROUP BY item_id
)
SELECT
    count(*) AS items,
    count(*) FILTER (WHERE items.status = ANY(%(decided)s)) AS decided,
    count(decisions.decided_at) FILTER (WHERE items.status = ANY(%(decided)s)) AS timed,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decisions.decided_at - items.received_at) / 86400)
        FILTER (WHERE items.status = ANY(%(decided)s)) AS median_days,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decisions.decided_at - items.received_at) / 86400)
        FILTER (WHERE items.status = ANY(%(decided)s)) AS p90_days,
    count(*) FILTER (WHERE items.triaged_at IS NOT NULL) AS triaged,
    count(*) FILTER (WHERE items.triaged_at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM {overrides} AS o WHERE o.feedback_id = items.id
    )) AS automated
FROM items LEFT JOIN decisions ON decisions.item_id = items.id
"""


def feedback_figures(*, window: Window) -> dict:
    """Decision coverage, processing time and automation coverage counts of the window's items; one query."""
    history = apps.get_model("feedback", "FeedbackItemHistory")
    sql = FEEDBACK_SQL.format(
        items=FeedbackItem._meta.db_table, history=history._meta.db_table, overrides=FieldOverride._meta.db_table
    )
    params = {
        "start": window.start,
        "end": window.end,
        "undecided": [status.value for status in UNDECIDED],
        "decided": [status.value for status in DECIDED],
    }
    return _one(sql, params)


ESCALATION_SQL = """
SELECT count(*) AS resolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at) / 3600) AS median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at) / 3600) AS p90_hours
FROM {escalations}
WHERE status = %(resolved)s AND resolved_at >= %(start)s AND resolved_at < %(end)s
"""


def escalation_figures(*, window: Window) -> dict:
    """Escalations resolved in the window and how long they took (hours); one query."""
    sql = ESCALATION_SQL.format(escalations=Escalation._meta.db_table)
    return _one(sql, {"start": window.start, "end": window.end, "resolved": EscalationStatus.RESOLVED.value})


INVITATION_SQL = f"""
SELECT count(*) FILTER (WHERE {survey_math.sent_sql("i")}) AS sent,
       count(*) FILTER (WHERE {survey_math.answered_sql("i")}) AS answered
FROM {{invitations}} AS i
WHERE i.sent_at >= %(start)s AND i.sent_at < %(end)s
"""


def invitation_figures(*, window: Window) -> dict:
    """Journey survey invitations sent in the window and how many were answered; one query."""
    sql = INVITATION_SQL.format(invitations=SurveyInvitation._meta.db_table)
    return _one(sql, {"start": window.start, "end": window.end})


def _one(sql: str, params: dict) -> dict:
    """The one row of an aggregate query, by column name (numbers as float or int)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        row = cursor.fetchone()
    pairs = zip(columns, row, strict=True)
    return {name: (float(value) if hasattr(value, "as_tuple") else value) for name, value in pairs}  # Decimal → float
