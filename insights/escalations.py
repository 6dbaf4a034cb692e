"""The escalation check (seed 004 "Auto-Escalation System"; seed 001 "Automations to Set Up", "Usage Analytics",
"NPS/Surveys"): every enabled rule, each one set-based SQL query, run hourly by ``insights.tasks.check_escalations``.

What each metric compares with the rule's threshold (``THRESHOLD_HELP`` says it in the admin):

- ``nps_detractor``: an NPS answer's score (≤ 6 is a detractor), answered in the last ``period_days``; per account.
- ``usage_drop``: the fall, in %, of an account's active users over the last ``period_days`` days against the
  ``period_days`` before (7: week over week; 30: the last 30 days against the 30 before), days with no snapshot
  counted as no use, none when the earlier window has snapshots on fewer than half its days. The days end at the
  newest snapshot anywhere, so a feed a day late raises no false drops. The same rules as the accounts' usage
  change (``customers.usage``), computed here for any period and fresh every hour.
- ``inactivity``: days since the account's last day with active users (newest snapshot day counted as day 0).
  Only accounts with usage data, neither prospects nor churned.
- ``negative_high_arr``: the account's ARR, for accounts that sent negative feedback in the last ``period_days``.
- ``enterprise_churn_signal``: churn signals (category churn signal, or the churn flag) from an enterprise-tier
  account in the last ``period_days``.
- ``competitor_mention``: feedback naming a competitor in the last ``period_days``, per account.
- ``theme_critical_mass``: a hypothesis theme's feedback count (duplicates not counted): the PM's "time to verify".
  The same condition key as the ``theme.time_to_verify`` event's handler, so the two never open two.

When a condition opens again after its escalation was resolved: on new evidence only. Answers and feedback count when
written after the resolution; inactivity when the account was active after it; a usage drop when the resolution is
older than the period (the windows have moved on); a theme never (it was verified, or judged not worth it).

Indexes: NPS answers by ``survey_kind_score_idx`` (kind, score, responded_at); usage by
``usage_snapshot_unique_customer_day`` (customer, day) and ``usage_taken_on_idx`` (the last days of all accounts);
negative feedback by ``feedback_sentiment_label_idx``; churn signals by ``feedback_category_idx`` or-ed with the
partial ``feedback_churn_idx``; competitor mentions read the period's items through ``feedback_received_idx`` (a
week is ~2 % of a year's feedback: a partial index on ``competitors`` would save little); open and resolved
escalations of a rule by the rule's foreign-key index. Every query reads only its period's rows, never all history.

Several workers: one check at a time (a transaction-level advisory lock; a check that finds it held returns at once,
``skipped``); the INSERT … ON CONFLICT of ``escalation_services.open_escalations`` guards against the event path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from customers.choices import Lifecycle, Tier
from feedback.choices import Category, Sentiment
from feedback.models import FeedbackItem
from feedbackhub.formatting import money
from insights import technical_escalations
from insights.choices import Comparison, Metric
from insights.escalation_services import Condition, key_prefix, open_escalations
from insights.models import Escalation, EscalationRule
from themes.choices import ThemeStatus

logger = logging.getLogger(__name__)

OPERATORS = {Comparison.GTE: ">=", Comparison.GT: ">", Comparison.LTE: "<=", Comparison.LT: "<"}
LOCK_KEY = 0x45534341  # "ESCA": the advisory lock a running check holds
GONE = [Lifecycle.PROSPECT.value, Lifecycle.CHURNED.value]  # no usage to watch: not a customer yet, or lost
THEME_CUSTOMERS = 20  # customers linked to a theme escalation: the largest ARR first (the theme page has them all)

THRESHOLD_HELP = {
    Metric.NPS_DETRACTOR: "score of an NPS answer, 0–10 (detractor: ≤ 6); period = days of answers looked at",
    Metric.USAGE_DROP: "fall of active users in %, last period against the period before (7 days: week over week)",
    Metric.INACTIVITY: "days without active users (the period is not used)",
    Metric.NEGATIVE_HIGH_ARR: "the account's ARR in USD; period = days of negative feedback looked at",
    Metric.ENTERPRISE_CHURN_SIGNAL: "churn signals from one enterprise account within the period",
    Metric.COMPETITOR_MENTION: "items naming a competitor from one account within the period",
    Metric.THEME_CRITICAL_MASS: "feedback items of a hypothesis theme, duplicates not counted (the period is not used)",
    Metric.ERRORS_UP_SENTIMENT_DOWN: technical_escalations.THRESHOLD_HELP,
}


@dataclass
class RuleResult:
    """What one rule's check found and opened."""

    rule_id: int
    name: str
    metric: str
    found: int = 0
    opened: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class CheckReport:
    """One run of the check: per rule, conditions found (without an open escalation) and escalations opened."""

    at: datetime
    skipped: bool = False  # another check held the lock
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def opened(self) -> int:
        return sum(result.opened for result in self.rules)

    @property
    def errors(self) -> list[RuleResult]:
        return [result for result in self.rules if result.error]


def check_all(*, now: datetime | None = None) -> CheckReport:
    """Evaluate every enabled rule and open an escalation for each condition found that has none open.

    One transaction; a rule that fails is rolled back alone (a savepoint), logged and reported, and the others go on.
    """
    now = now or timezone.now()
    report = CheckReport(at=now)
    with transaction.atomic():
        if not take_lock():
            report.skipped = True
            return report
        for rule in EscalationRule.objects.filter(enabled=True).order_by("id"):
            report.rules.append(check_rule(rule, now=now))
    return report


def take_lock() -> bool:
    """Take the check's advisory lock for the current transaction; False when another check holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]


def check_rule(rule: EscalationRule, *, now: datetime) -> RuleResult:
    """Find ``rule``'s conditions and open their escalations, in a savepoint."""
    result = RuleResult(rule_id=rule.pk, name=rule.name, metric=rule.metric)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            conditions = find_conditions(rule, now=now)
            result.found = len(conditions)
            result.opened = len(open_escalations(rule=rule, conditions=conditions))
    except Exception as error:  # noqa: BLE001 — one broken rule must not stop the others
        logger.exception("escalation rule %s (%s) failed", rule.pk, rule.name)
        result.error = f"{type(error).__name__}: {error}"[:500]
    result.seconds = time.perf_counter() - started
    return result


def check_theme(*, theme_id: int, now: datetime | None = None) -> list[Escalation]:
    """The "time to verify" event's check: the enabled theme rules, for one theme (in the caller's transaction)."""
    now = now or timezone.now()
    opened: list[Escalation] = []
    for rule in EscalationRule.objects.filter(enabled=True, metric=Metric.THEME_CRITICAL_MASS).order_by("id"):
        opened += open_escalations(rule=rule, conditions=find_conditions(rule, now=now, theme_ids=[theme_id]))
    return opened


def find_conditions(rule: EscalationRule, *, now: datetime, theme_ids: list[int] | None = None) -> list[Condition]:
    """The conditions ``rule`` finds true now that have no open (or acknowledged) escalation."""
    if rule.metric == Metric.THEME_CRITICAL_MASS:
        return themes_at_critical_mass(rule, theme_ids=theme_ids)
    if theme_ids is not None:
        return []
    finder = {
        Metric.NPS_DETRACTOR: nps_detractors,
        Metric.USAGE_DROP: usage_drops,
        Metric.INACTIVITY: inactive_accounts,
        Metric.NEGATIVE_HIGH_ARR: negative_from_high_arr,
        Metric.ENTERPRISE_CHURN_SIGNAL: enterprise_churn_signals,
        Metric.COMPETITOR_MENTION: competitor_mentions,
        Metric.ERRORS_UP_SENTIMENT_DOWN: technical_escalations.errors_up_sentiment_down,
    }[rule.metric]
    return finder(rule, now=now)


# --- The queries ------------------------------------------------------------------------------------------------------

# The rule's escalations: the last resolution per condition (new evidence must be newer) and those still open.
ESCALATIONS_CTE = """
resolved AS (
    SELECT condition_key, max(resolved_at) AS at FROM insights_escalation
    WHERE rule_id = %(rule)s AND status = 'resolved' GROUP BY condition_key
),
still_open AS (
    SELECT condition_key FROM insights_escalation WHERE rule_id = %(rule)s AND status <> 'resolved'
)"""
NOT_OPEN = "NOT EXISTS (SELECT 1 FROM still_open o WHERE o.condition_key = %(prefix)s::text || c.id)"
ACCOUNT = "c.id AS customer_id, c.name, c.arr, c.tier, c.account_owner_id AS owner_id"

NPS_SQL = f"""
WITH {ESCALATIONS_CTE},
hits AS (
    SELECT s.customer_id, s.id, s.score, s.comment, s.survey, s.responded_at, s.feedback_id
    FROM insights_surveyresponse s
    LEFT JOIN resolved r ON r.condition_key = %(prefix)s::text || s.customer_id
    WHERE s.kind = 'nps' AND s.score {{op}} %(threshold)s
      AND s.responded_at > %(since)s AND s.responded_at <= %(now)s
      AND (r.at IS NULL OR s.created_at > r.at)
)
SELECT {ACCOUNT}, count(*) AS answers, min(h.score) AS worst,
       (array_agg(h.feedback_id ORDER BY h.score, h.responded_at DESC, h.id))[1] AS feedback_id,
       (array_agg(left(h.comment, 280) ORDER BY h.score, h.responded_at DESC, h.id))[1] AS comment,
       (array_agg(h.survey ORDER BY h.score, h.responded_at DESC, h.id))[1] AS survey,
       (array_agg(h.responded_at ORDER BY h.score, h.responded_at DESC, h.id))[1] AS answered_at
FROM hits h JOIN customers_customer c ON c.id = h.customer_id
WHERE {NOT_OPEN}
GROUP BY c.id
ORDER BY c.arr DESC, c.id
"""

FEEDBACK_SQL = f"""
WITH {ESCALATIONS_CTE},
hits AS (
    SELECT f.customer_id, f.id, f.received_at, f.competitors,
           left(coalesce(nullif(f.summary, ''), f.verbatim), 200) AS quote
    FROM feedback_feedbackitem f
    JOIN customers_customer c ON c.id = f.customer_id
    LEFT JOIN resolved r ON r.condition_key = %(prefix)s::text || f.customer_id
    WHERE {{item_filter}}
      AND f.received_at > %(since)s AND f.received_at <= %(now)s
      AND (r.at IS NULL OR f.created_at > r.at)
)
SELECT {ACCOUNT}, count(*) AS items,
       (array_agg(h.id ORDER BY h.received_at DESC, h.id DESC))[1] AS feedback_id,
       (array_agg(h.quote ORDER BY h.received_at DESC, h.id DESC))[1:3] AS quotes,
       string_agg(array_to_string(h.competitors, '|'), '|') AS competitors
FROM hits h JOIN customers_customer c ON c.id = h.customer_id
WHERE {NOT_OPEN}
GROUP BY c.id
HAVING {{having}}
ORDER BY c.arr DESC, c.id
"""

# The newest snapshot day anywhere, plus one: the end (exclusive) of the usage windows.
ANCHOR_CTE = "anchor AS (SELECT max(taken_on) + 1 AS day FROM customers_usagesnapshot WHERE taken_on <= %(today)s)"

USAGE_SQL = f"""
WITH {ESCALATIONS_CTE},
{ANCHOR_CTE},
levels AS (
    SELECT u.customer_id, a.day,
           sum(u.active_users) FILTER (WHERE u.taken_on >= a.day - %(days)s) AS users_now,
           sum(u.active_users) FILTER (WHERE u.taken_on < a.day - %(days)s) AS users_then,
           sum(u.api_requests) FILTER (WHERE u.taken_on >= a.day - %(days)s) AS requests_now,
           sum(u.api_requests) FILTER (WHERE u.taken_on < a.day - %(days)s) AS requests_then,
           count(*) FILTER (WHERE u.taken_on < a.day - %(days)s) AS days_then
    FROM customers_usagesnapshot u CROSS JOIN anchor a
    WHERE u.taken_on >= a.day - 2 * %(days)s AND u.taken_on < a.day
    GROUP BY u.customer_id, a.day
),
drops AS (
    SELECT l.*, round(100 * (1 - coalesce(l.users_now, 0)::numeric / l.users_then), 1) AS drop
    FROM levels l WHERE l.users_then > 0 AND l.days_then * 2 >= %(days)s  -- too little data: no drop (customers.usage)
)
SELECT {ACCOUNT}, d.day - 1 AS last_day, d.drop, coalesce(d.users_now, 0) AS users_now, d.users_then,
       coalesce(d.requests_now, 0) AS requests_now, d.requests_then
FROM drops d JOIN customers_customer c ON c.id = d.customer_id
LEFT JOIN resolved r ON r.condition_key = %(prefix)s::text || c.id
WHERE d.drop {{op}} %(threshold)s AND c.lifecycle_stage <> ALL(%(gone)s)
  AND (r.at IS NULL OR r.at <= %(since)s)
  AND {NOT_OPEN}
ORDER BY c.arr DESC, c.id
"""

INACTIVITY_SQL = f"""
WITH {ESCALATIONS_CTE},
{ANCHOR_CTE},
active_lately AS (
    SELECT DISTINCT u.customer_id FROM customers_usagesnapshot u CROSS JOIN anchor a
    WHERE u.taken_on >= a.day - %(days)s AND u.taken_on < a.day AND u.active_users > 0
),
quiet AS (
    SELECT c.id, a.day, last.taken_on AS last_active
    FROM customers_customer c
    CROSS JOIN anchor a
    LEFT JOIN LATERAL (
        SELECT u.taken_on FROM customers_usagesnapshot u
        WHERE u.customer_id = c.id AND u.taken_on < a.day AND u.active_users > 0
        ORDER BY u.taken_on DESC LIMIT 1
    ) last ON true
    WHERE c.lifecycle_stage <> ALL(%(gone)s)
      AND NOT EXISTS (SELECT 1 FROM active_lately l WHERE l.customer_id = c.id)
      AND EXISTS (SELECT 1 FROM customers_usagesnapshot u WHERE u.customer_id = c.id)
)
SELECT {ACCOUNT}, q.last_active, q.day - 1 AS last_day, q.day - 1 - q.last_active AS days_quiet
FROM quiet q JOIN customers_customer c ON c.id = q.id
LEFT JOIN resolved r ON r.condition_key = %(prefix)s::text || c.id
WHERE (q.last_active IS NULL OR q.day - 1 - q.last_active {{op}} %(threshold)s)
  AND (r.at IS NULL OR r.at::date <= q.last_active)
  AND {NOT_OPEN}
ORDER BY c.arr DESC, c.id
"""

THEME_SQL = """
SELECT t.id AS theme_id, t.name, t.owner_id, t.feedback_count, t.unique_customers, t.arr_impacted, t.arr_at_risk
FROM themes_theme t
WHERE t.status = %(hypothesis)s AND t.feedback_count {op} %(threshold)s {only}
  AND NOT EXISTS (
      SELECT 1 FROM insights_escalation e WHERE e.rule_id = %(rule)s AND e.condition_key = %(prefix)s::text || t.id
  )
ORDER BY t.arr_impacted DESC, t.id
"""

THEME_CUSTOMERS_SQL = """
SELECT theme_id, customer_id FROM (
    SELECT x.theme_id, x.customer_id, row_number() OVER (PARTITION BY x.theme_id ORDER BY c.arr DESC, c.id) AS n
    FROM (
        SELECT DISTINCT link.theme_id, f.customer_id
        FROM {links} link JOIN feedback_feedbackitem f ON f.id = link.feedbackitem_id
        WHERE link.theme_id = ANY(%(theme_ids)s) AND f.customer_id IS NOT NULL AND f.duplicate_of_id IS NULL
    ) x JOIN customers_customer c ON c.id = x.customer_id
) ranked
WHERE n <= %(limit)s
ORDER BY theme_id, n
"""


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _params(rule: EscalationRule, *, now: datetime, subject: str = "customer") -> dict:
    return {
        "rule": rule.pk,
        "prefix": key_prefix(rule, subject),
        "threshold": rule.threshold,
        "now": now,
        "since": now - timedelta(days=rule.period_days),
        "today": timezone.localdate(now),
        "days": rule.period_days,
        "gone": GONE,
    }


def _account(row: dict, rule: EscalationRule, **figures) -> dict:
    """The details every account escalation carries: the account, the rule's threshold, and the figures."""
    return {
        "metric": rule.metric,
        "threshold": float(rule.threshold),
        "comparison": rule.comparison,
        "period_days": rule.period_days,
        "customer": {"id": row["customer_id"], "name": row["name"], "arr": float(row["arr"]), "tier": row["tier"]},
        **figures,
    }


def _condition(rule: EscalationRule, row: dict, summary: str, details: dict, **extra) -> Condition:
    return Condition(
        key=f"{key_prefix(rule, 'customer')}{row['customer_id']}",
        summary=summary,
        details=details,
        customer_ids=[row["customer_id"]],
        owner_id=row["owner_id"],
        **extra,
    )


def nps_detractors(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    rows = _rows(NPS_SQL.format(op=OPERATORS[rule.comparison]), _params(rule, now=now))
    conditions = []
    for row in rows:
        more = f" ({row['answers']} detractor answers in {rule.period_days} days)" if row["answers"] > 1 else ""
        answered = row["answered_at"]
        facts = [
            f"NPS {row['worst']}/10 on {answered:%Y-%m-%d}" + (f" ({row['survey']})" if row["survey"] else ""),
            *([f"“{row['comment']}”"] if row["comment"] else []),
            f"ARR {money(row['arr'])}",
        ]
        details = _account(row, rule, worst_score=row["worst"], answers=row["answers"], facts=facts)
        summary = f"NPS detractor: {row['name']} scored {row['worst']}/10{more}"
        conditions.append(_condition(rule, row, summary, details, feedback_id=row["feedback_id"]))
    return conditions


def _feedback_conditions(rule: EscalationRule, *, now: datetime, item_filter: str, having: str, extra: dict) -> list:
    op = OPERATORS[rule.comparison]
    sql = FEEDBACK_SQL.format(item_filter=item_filter.format(op=op), having=having.format(op=op))
    return _rows(sql, {**_params(rule, now=now), **extra})


def negative_from_high_arr(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    rows = _feedback_conditions(
        rule,
        now=now,
        item_filter="f.sentiment_label = %(negative)s AND c.arr {op} %(threshold)s",
        having="true",
        extra={"negative": Sentiment.NEGATIVE.value},
    )
    conditions = []
    for row in rows:
        count = f": {row['items']} items in {rule.period_days} days" if row["items"] > 1 else ""
        summary = f"Negative feedback from {row['name']} ({money(row['arr'])} ARR){count}"
        facts = [f"“{quote}”" for quote in row["quotes"]]
        details = _account(row, rule, items=row["items"], facts=facts)
        conditions.append(_condition(rule, row, summary, details, feedback_id=row["feedback_id"]))
    return conditions


def enterprise_churn_signals(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    rows = _feedback_conditions(
        rule,
        now=now,
        item_filter="(f.category = %(churn)s OR f.churn_signal) AND c.tier = %(enterprise)s",
        having="count(*) {op} %(threshold)s",
        extra={"churn": Category.CHURN_SIGNAL.value, "enterprise": Tier.ENTERPRISE.value},
    )
    conditions = []
    for row in rows:
        quote = row["quotes"][0]
        summary = f"Churn signal from enterprise account {row['name']}: “{quote[:150]}”"
        facts = [
            f"{row['items']} churn signal{'s' if row['items'] > 1 else ''} in {rule.period_days} days",
            *[f"“{text}”" for text in row["quotes"][1:]],
            f"ARR {money(row['arr'])}",
        ]
        details = _account(row, rule, items=row["items"], facts=facts)
        conditions.append(_condition(rule, row, summary, details, feedback_id=row["feedback_id"]))
    return conditions


def competitor_mentions(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    rows = _feedback_conditions(
        rule, now=now, item_filter="cardinality(f.competitors) > 0", having="count(*) {op} %(threshold)s", extra={}
    )
    conditions = []
    for row in rows:
        named = sorted({name.strip() for name in (row["competitors"] or "").split("|") if name.strip()})
        count = f" ({row['items']} items in {rule.period_days} days)" if row["items"] > 1 else ""
        summary = f"{row['name']} mentions {', '.join(named)}{count}"
        facts = [*(f"“{quote}”" for quote in row["quotes"]), f"ARR {money(row['arr'])}"]
        details = _account(row, rule, items=row["items"], competitors=named, facts=facts)
        conditions.append(_condition(rule, row, summary, details, feedback_id=row["feedback_id"]))
    return conditions


def usage_drops(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    rows = _rows(USAGE_SQL.format(op=OPERATORS[rule.comparison]), _params(rule, now=now))
    days = rule.period_days
    span = "week over week" if days == 7 else f"over {days} days"
    conditions = []
    for row in rows:
        users_then, users_now = row["users_then"] / days, row["users_now"] / days
        facts = [
            f"Active users {users_then:.1f}/day → {users_now:.1f}/day "
            f"(the {days} days to {row['last_day']:%Y-%m-%d} against the {days} before)",
        ]
        if row["requests_then"]:
            change = 100 * (row["requests_now"] / row["requests_then"] - 1)
            facts.append(f"API requests {change:+.0f} %")
        facts.append(f"ARR {money(row['arr'])}")
        details = _account(
            row,
            rule,
            drop_percent=float(row["drop"]),
            active_users_per_day=[round(users_then, 2), round(users_now, 2)],
            api_requests=[row["requests_then"], row["requests_now"]],
            last_day=row["last_day"],
            facts=facts,
        )
        drop = row["drop"]
        shown = f"{drop:.0f}" if round(drop) > rule.threshold else f"{drop:.1f}"  # never "down 20 %" for "> 20 %"
        summary = f"Usage down {shown} % {span}: {row['name']}"
        conditions.append(_condition(rule, row, summary, details))
    return conditions


def inactive_accounts(rule: EscalationRule, *, now: datetime) -> list[Condition]:
    params = {**_params(rule, now=now), "days": int(rule.threshold)}
    rows = _rows(INACTIVITY_SQL.format(op=OPERATORS[rule.comparison]), params)
    conditions = []
    for row in rows:
        if row["last_active"] is None:
            summary = f"No activity recorded: {row['name']}"
            facts = [f"No day with active users in the usage data (to {row['last_day']:%Y-%m-%d})"]
        else:
            summary = f"No activity for {row['days_quiet']} days: {row['name']}"
            facts = [f"Last active on {row['last_active']:%Y-%m-%d}; usage data to {row['last_day']:%Y-%m-%d}"]
        facts.append(f"ARR {money(row['arr'])}")
        details = _account(
            row,
            rule,
            last_active=row["last_active"],
            days_quiet=row["days_quiet"],
            last_day=row["last_day"],
            facts=facts,
        )
        conditions.append(_condition(rule, row, summary, details))
    return conditions


def themes_at_critical_mass(rule: EscalationRule, *, theme_ids: list[int] | None = None) -> list[Condition]:
    params = {
        "rule": rule.pk,
        "prefix": key_prefix(rule, "theme"),
        "threshold": rule.threshold,
        "hypothesis": ThemeStatus.HYPOTHESIS.value,
        "theme_ids": theme_ids or [],
    }
    only = "AND t.id = ANY(%(theme_ids)s)" if theme_ids is not None else ""
    rows = _rows(THEME_SQL.format(op=OPERATORS[rule.comparison], only=only), params)
    if not rows:
        return []
    links = FeedbackItem.themes.through._meta.db_table
    customers: dict[int, list[int]] = {}
    for link in _rows(
        THEME_CUSTOMERS_SQL.format(links=links),
        {"theme_ids": [row["theme_id"] for row in rows], "limit": THEME_CUSTOMERS},
    ):
        customers.setdefault(link["theme_id"], []).append(link["customer_id"])
    conditions = []
    for row in rows:
        count, people = row["feedback_count"], row["unique_customers"]
        summary = f"Time to verify: “{row['name']}” has {count} items from {people} customer{'s' * (people != 1)}"
        facts = [f"ARR impacted {money(row['arr_impacted'])}"]
        if row["arr_at_risk"]:
            facts.append(f"ARR at risk {money(row['arr_at_risk'])}")
        facts.append("A hypothesis until verified: talk to 3x the sample, find the job to be done, check the segments")
        details = {
            "metric": rule.metric,
            "threshold": float(rule.threshold),
            "comparison": rule.comparison,
            "theme": {"id": row["theme_id"], "name": row["name"]},
            "feedback_count": count,
            "unique_customers": people,
            "arr_impacted": float(row["arr_impacted"]),
            "facts": facts,
        }
        conditions.append(
            Condition(
                key=f"{key_prefix(rule, 'theme')}{row['theme_id']}",
                summary=summary,
                details=details,
                customer_ids=customers.get(row["theme_id"], []),
                owner_id=row["owner_id"],
                theme_id=row["theme_id"],
            )
        )
    return conditions
