"""The customer health score: 0 (about to churn) to 100, computed for every account in one SQL statement.

The formula (the same text is the field's help in the admin) adds five parts, each from 0 to its points:

============================  ======  ===================================================================
part                          points  how it is counted
============================  ======  ===================================================================
usage trend                   25      ``usage_change_30d`` (``customers.usage``): 25 when usage held or grew;
                                      1 point less per 2 % of drop; 0 from a 50 % drop
recency of activity           20      days since ``last_active_on``: 20 up to 2 days; 0 from 30 days; linear
NPS / CSAT                    20      the answers of the last 90 days, each as a share of its scale
                                      (NPS 0–10 → score / 10, CSAT 1–5 → (score − 1) / 4), averaged, × 20
negative feedback and churn   20      feedback received in the last 90 days: 4 points off per item of
                                      negative sentiment, 8 per churn signal (flag or category); at least 0
open escalations              15      8 points off per escalation of the account not resolved; at least 0
============================  ======  ===================================================================

A part with no data (no usage feed, no survey answer) counts half its points: unknown is neither healthy nor sick.
A churned account scores 0: it is lost, whatever its last signals said.
So an account nobody has heard from scores 68; one with no usage for a month, two detractors (NPS 3), two negative
items and an open escalation scores under 40, the at-risk line (``customers.rules.HEALTH_AT_RISK_BELOW``).
The weights follow seed 001's signals: behaviour first (usage drop, no activity), then what the customer says
(surveys, feedback, churn signals), then what the hub already escalated.

``refresh_health_scores`` computes it set-based (one statement for 50,000 accounts, each part an aggregate over an
index) and writes it through ``customers.services.write_health_scores`` (only the scores that moved).
``explain`` gives one account's parts, for the admin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from customers import services as customer_services
from customers.choices import Lifecycle
from customers.models import Customer
from feedback.choices import Category, Sentiment
from feedback.models import FeedbackItem
from feedbackhub import events
from insights.choices import EscalationStatus, SurveyKind
from insights.models import Escalation, SurveyResponse

WINDOW_DAYS = 90  # surveys, feedback and churn signals of this many days count
USAGE_POINTS, RECENCY_POINTS, SURVEY_POINTS, FEEDBACK_POINTS, ESCALATION_POINTS = 25, 20, 20, 20, 15
USAGE_ZERO_AT_DROP = 50  # % drop at which the usage part reaches 0
RECENT_DAYS, SILENT_DAYS = 2, 30  # full recency points up to RECENT_DAYS, none from SILENT_DAYS
NEGATIVE_PENALTY, CHURN_PENALTY, ESCALATION_PENALTY = 4, 8, 8
PARTS = ("usage", "recency", "surveys", "feedback", "escalations")

PARTS_SQL = """
WITH surveys AS (
    SELECT r.customer_id,
           AVG(CASE WHEN r.kind = %(nps)s THEN r.score / 10.0 ELSE (r.score - 1) / 4.0 END) AS share
    FROM {surveys} r
    WHERE r.responded_at >= %(since)s {only_surveys}
    GROUP BY r.customer_id
),
voice AS (
    SELECT f.customer_id,
           COUNT(*) FILTER (WHERE f.sentiment_label = %(negative)s) AS negative,
           COUNT(*) FILTER (WHERE f.churn_signal OR f.category = %(churn)s) AS churn
    FROM {feedback} f
    WHERE f.received_at >= %(since)s AND f.customer_id IS NOT NULL
      AND (f.sentiment_label = %(negative)s OR f.churn_signal OR f.category = %(churn)s) {only_feedback}
    GROUP BY f.customer_id
),
escalated AS (
    SELECT ec.customer_id, COUNT(*) AS open
    FROM {escalation_customers} ec JOIN {escalations} e ON e.id = ec.escalation_id
    WHERE e.status <> %(resolved)s {only_escalations}
    GROUP BY ec.customer_id
)
SELECT
    c.id,
    CASE WHEN c.usage_change_30d IS NULL THEN {usage_points} / 2.0
         ELSE {usage_points} * LEAST(1, GREATEST(0, 1 + c.usage_change_30d / {usage_zero}))
    END AS usage,
    CASE WHEN c.last_active_on IS NULL THEN {recency_points} / 2.0
         ELSE {recency_points} * LEAST(1, GREATEST(0,
             ({silent} - (%(today)s::date - c.last_active_on))::float / ({silent} - {recent})))
    END AS recency,
    CASE WHEN s.share IS NULL THEN {survey_points} / 2.0 ELSE {survey_points} * s.share END AS surveys,
    GREATEST(0, {feedback_points} - {negative_penalty} * COALESCE(v.negative, 0)
                                  - {churn_penalty} * COALESCE(v.churn, 0)) AS feedback,
    GREATEST(0, {escalation_points} - {escalation_penalty} * COALESCE(x.open, 0)) AS escalations,
    c.lifecycle_stage = %(churned)s AS churned
FROM {customers} c
LEFT JOIN surveys s ON s.customer_id = c.id
LEFT JOIN voice v ON v.customer_id = c.id
LEFT JOIN escalated x ON x.customer_id = c.id
WHERE TRUE {only_customers}
"""


def parts_sql(*, customer_ids: list[int] | None, today: date) -> tuple[str, dict]:
    """The query of each account's five parts (``PARTS``), for all accounts or ``customer_ids``, with its params."""
    quote = connection.ops.quote_name
    subset = customer_ids is not None
    only = {
        "only_surveys": "AND r.customer_id = ANY(%(ids)s)",
        "only_feedback": "AND f.customer_id = ANY(%(ids)s)",
        "only_escalations": "AND ec.customer_id = ANY(%(ids)s)",
        "only_customers": "AND c.id = ANY(%(ids)s)",
    }
    sql = PARTS_SQL.format(
        surveys=quote(SurveyResponse._meta.db_table),
        feedback=quote(FeedbackItem._meta.db_table),
        escalations=quote(Escalation._meta.db_table),
        escalation_customers=quote(Escalation.customers.through._meta.db_table),
        customers=quote(Customer._meta.db_table),
        usage_points=USAGE_POINTS,
        usage_zero=float(USAGE_ZERO_AT_DROP),
        recency_points=RECENCY_POINTS,
        recent=RECENT_DAYS,
        silent=SILENT_DAYS,
        survey_points=SURVEY_POINTS,
        feedback_points=FEEDBACK_POINTS,
        negative_penalty=NEGATIVE_PENALTY,
        churn_penalty=CHURN_PENALTY,
        escalation_points=ESCALATION_POINTS,
        escalation_penalty=ESCALATION_PENALTY,
        **{key: value if subset else "" for key, value in only.items()},
    )
    start = timezone.make_aware(datetime.combine(today - timedelta(days=WINDOW_DAYS), datetime.min.time()))
    params = {
        "today": today,
        "since": start,  # midnight, WINDOW_DAYS before today (the hub's time zone)
        "ids": customer_ids or [],
        "nps": SurveyKind.NPS.value,
        "negative": Sentiment.NEGATIVE.value,
        "churn": Category.CHURN_SIGNAL.value,
        "resolved": EscalationStatus.RESOLVED.value,
        "churned": Lifecycle.CHURNED.value,
    }
    return sql, params


def refresh_health_scores(*, customer_ids: Iterable[int] | None = None, today: date | None = None) -> int:
    """Recompute the health score of every account (or of ``customer_ids``); returns how many scores moved."""
    ids = None if customer_ids is None else sorted(set(customer_ids))
    if ids == []:
        return 0
    sql, params = parts_sql(customer_ids=ids, today=today or timezone.localdate())
    total = " + ".join(PARTS)
    return customer_services.write_health_scores(
        scores_sql=f"SELECT id, CASE WHEN churned THEN 0 ELSE {total} END FROM ({sql}) AS parts", params=params
    )


@dataclass(frozen=True)
class HealthParts:
    """One account's five parts and their sum, as the daily job counts them (points, not rounded)."""

    usage: float
    recency: float
    surveys: float
    feedback: float
    escalations: float
    churned: bool = False

    @property
    def score(self) -> int:
        """The sum rounded half up, as the database rounds it, within 0–100; 0 for a churned account."""
        if self.churned:
            return 0
        total = self.usage + self.recency + self.surveys + self.feedback + self.escalations
        return max(0, min(100, math.floor(total + 0.5)))


def explain(*, customer: Customer, today: date | None = None) -> HealthParts:
    """Why ``customer`` has its score: the parts of the formula, computed now (one query)."""
    sql, params = parts_sql(customer_ids=[customer.pk], today=today or timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return HealthParts(*(float(value) for value in row[1:6]), churned=bool(row[6]))


def refresh_customer_health(*, today: date | None = None) -> dict[str, int]:
    """The daily job: every account's usage signals, then every health score (which reads them)."""
    signals = customer_services.refresh_usage_signals(today=today)
    return {"usage signals": signals, "health scores": refresh_health_scores(today=today)}


def on_usage_recorded(payload: dict) -> None:
    """``usage.recorded`` (an import of snapshots; their usage signals are fresh): rescore those accounts."""
    refresh_health_scores(customer_ids=payload.get("customer_ids") or [])


def subscribe() -> None:
    """Called from ``InsightsConfig.ready``."""
    events.subscribe(customer_services.USAGE_RECORDED, on_usage_recorded)
