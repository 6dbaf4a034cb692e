"""Metrics by persona (seed 004 "Metrics Tracker"), each defined once, here, and computed in SQL: one statement per
metric, grouped by persona segment with ``GROUPING SETS ((persona), ())`` so every persona and the total come back
together; no Python loop over rows. Every metric takes its event names, its interval and its window as parameters.

Each returns a ``MetricResult``: per persona (``ALL`` for every persona together; ``""`` is events sent with no
persona) a ``MetricValue`` with the value, its ``n`` (the data points behind it) and extra figures; with fewer than
``min_n`` data points the value is None and the reason says so ("too few data points (n=3)").

Definitions (the subject is the account, ``customer_id``, unless a metric says ``per="contact"``):

- **time-to-value**: subjects whose *first* event (of ``start_event``, or of any name) falls in the window; for each,
  the first ``value_event`` at or after it, before the window's end. Median and p90 in minutes over the subjects that
  reached value (n); ``started`` counts the cohort. A subject's persona is the persona of its first event.
- **property share** (``report_accuracy``, ``renewal_success``): among the window's ``event`` events whose
  ``properties[property]`` is a JSON boolean, the share that are ``true``. An event without the property, or with
  anything but true/false there, says nothing and is not counted (n counts the events that said).
  Report accuracy: ``report_sent`` with ``{"accurate": true|false}``; renewal success: ``campaign_ended`` with
  ``{"renewed": true|false}``.
- **events per account per month** (``errors_per_account``: ``error`` events; ``support_incidents_per_account``:
  ``support_contact_closed``): the window's events of those names ÷ the accounts active in the window (any event:
  n) ÷ the window's length in months (30.44 days).
- **property median** (``support_resolution_hours``): the median and p90 of the numeric ``properties[property]`` of
  the window's ``event`` events (``support_contact_closed`` with ``{"resolution_hours": 5.5}``); n counts the events
  carrying a number there.
- **task completion**: tasks started in the window (``started`` events, a task being account + contact +
  ``properties[key]``) that have a ``completed`` event of the same task at or after the start, before the window's
  end. Defaults: ``feature_started`` → ``feature_completed``, keyed by ``properties.feature``.
- **feature reuse**: accounts that used a feature (``feature_completed`` events) in the window (n); the share of them
  that used one feature again at least ``gap`` (default a day) after their first use of it in the window.
- **retention**: the start cohort is the subjects whose first event ever falls in the window moved back by
  ``number + 1`` periods, so each one's period ``number`` is over by the window's end; the share of them active
  again (any event, or ``active_events``) in their period ``number`` (week or month ``number`` after their first event:
  ``[first + number·period, first + (number + 1)·period)``).
- **survey scores** (``survey_scores``): NPS (% promoters 9–10 − % detractors 0–6) and CSAT (% of 4–5, and the mean
  score) of the window's survey responses, per persona of the journey invitation they answered (answers from the API
  or an import have no persona: ``""``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from insights import survey_math
from insights.choices import ProductEventName, SurveyKind
from insights.models import ProductEvent, SurveyInvitation, SurveyResponse, SurveySubmission

ALL = "*"  # the key of every persona together
MIN_N = 10  # fewer data points than this: no value, the reason instead
STATISTICS = {"p90"}  # extras that are statistics of the data points (hidden with the value), not counts
DAYS_PER_MONTH = 30.4375
PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30)}
EVENTS = ProductEvent._meta.db_table

ERROR_EVENT = "error"
FEATURE_STARTED = "feature_started"


@dataclass(frozen=True)
class Window:
    """A half-open interval of time ``[start, end)``."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, *, now: datetime | None = None) -> Window:
        """The ``days`` days up to ``now``."""
        end = now or timezone.now()
        return cls(start=end - timedelta(days=days), end=end)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def shifted(self, delta: timedelta) -> Window:
        return Window(start=self.start - delta, end=self.end - delta)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": round(self.days, 2)}


@dataclass(frozen=True)
class MetricValue:
    """One persona's figure: the value (None with too few data points, then ``reason`` says why), its n, extras."""

    value: float | None
    n: int
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"value": self.value, "n": self.n, "reason": self.reason, **self.extra}


@dataclass(frozen=True)
class MetricResult:
    """A metric over a window: the value per persona, ``ALL`` for every persona together."""

    name: str
    window: Window
    by_persona: dict[str, MetricValue]
    min_n: int | None = None

    @property
    def overall(self) -> MetricValue:
        return self.by_persona.get(ALL) or _value(None, 0, min_n=self.min_n)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "window": self.window.as_dict(),
            "min_n": self.min_n,
            "personas": {persona: value.as_dict() for persona, value in self.by_persona.items()},
        }


def minimum(min_n: int | None) -> int:
    """``min_n``, or the module's ``MIN_N`` (read at the call: a test may lower it)."""
    return MIN_N if min_n is None else min_n


def too_few(n: int) -> str:
    return f"too few data points (n={n})"


def _value(value: float | None, n: int, *, min_n: int | None, **extra) -> MetricValue:
    """``value`` if ``n`` reaches ``min_n``; else None with the reason. Extra counts are kept; an extra statistic
    (``p90``) goes with the value."""
    min_n = minimum(min_n)
    numbers = {key: _number(v) for key, v in extra.items()}
    if n < min_n or value is None:
        reason = too_few(n) if n < min_n else "no value"
        return MetricValue(value=None, n=n, reason=reason, extra={**numbers, **dict.fromkeys(STATISTICS & set(extra))})
    return MetricValue(value=float(value), n=n, extra=numbers)


def _number(value):
    return float(value) if value is not None else None


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _by_persona(rows: Sequence[tuple], build) -> dict[str, MetricValue]:
    """Rows of ``(grouping, persona, *figures)`` → persona key → ``build(*figures)``."""
    return {(ALL if grouping else persona or ""): build(*figures) for grouping, persona, *figures in rows}


def _window_params(window: Window, **params) -> dict:
    return {"start": window.start, "end": window.end, **params}


def _subject(per: str) -> tuple[str, str]:
    """The subject column and the filter keeping rows that name one."""
    if per == "contact":
        return "contact", "AND contact <> ''"
    if per == "customer":
        return "customer_id", ""
    raise ValueError(f"per must be 'customer' or 'contact', not {per!r}")


TIME_TO_VALUE_SQL = """
WITH firsts AS (
    SELECT DISTINCT ON ({subject}) {subject} AS subject, occurred_at AS started_at, persona
    FROM {events}
    WHERE occurred_at < %(end)s {subject_filter} {start_filter}
    ORDER BY {subject}, occurred_at, id
), cohort AS (
    SELECT subject, started_at, persona FROM firsts WHERE started_at >= %(start)s
), reached AS (
    SELECT cohort.subject, min(e.occurred_at) AS valued_at
    FROM cohort JOIN {events} AS e
      ON e.{subject} = cohort.subject AND e.name = %(value_event)s
     AND e.occurred_at >= cohort.started_at AND e.occurred_at < %(end)s
    GROUP BY cohort.subject
)
SELECT GROUPING(cohort.persona), cohort.persona, count(*) AS started, count(reached.valued_at) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reached.valued_at - cohort.started_at) / 60),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM reached.valued_at - cohort.started_at) / 60)
FROM cohort LEFT JOIN reached ON reached.subject = cohort.subject
GROUP BY GROUPING SETS ((cohort.persona), ())
"""


def time_to_value(
    *,
    window: Window,
    value_event: str = ProductEventName.VALUE_DELIVERED,
    start_event: str | None = None,
    per: str = "customer",
    min_n: int | None = None,
) -> MetricResult:
    """Minutes from a subject's first event to its first value event: median (the value) and p90."""
    subject, subject_filter = _subject(per)
    sql = TIME_TO_VALUE_SQL.format(
        events=EVENTS,
        subject=subject,
        subject_filter=subject_filter,
        start_filter="AND name = %(start_event)s" if start_event else "",
    )
    rows = _rows(sql, _window_params(window, value_event=value_event, start_event=start_event))

    def build(started, n, median, p90):
        return _value(median, n, min_n=min_n, p90=p90, started=started)

    return MetricResult("time_to_value", window, _by_persona(rows, build), min_n)


PROPERTY_SHARE_SQL = """
SELECT GROUPING(persona), persona,
       count(*) FILTER (WHERE jsonb_typeof(properties -> %(property)s) = 'boolean') AS n,
       count(*) FILTER (WHERE properties -> %(property)s = 'true'::jsonb) AS yes
FROM {events}
WHERE name = %(event)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
GROUP BY GROUPING SETS ((persona), ())
"""


def property_share(
    *, window: Window, event: str, property: str, min_n: int | None = None, name: str = ""
) -> MetricResult:
    """The share of ``event`` events whose ``properties[property]`` is true, among those where it is true or false."""
    rows = _rows(PROPERTY_SHARE_SQL.format(events=EVENTS), _window_params(window, event=event, property=property))

    def build(n, yes):
        return _value(yes / n if n else None, n, min_n=min_n, yes=yes)

    return MetricResult(name or f"{event}.{property}", window, _by_persona(rows, build), min_n)


def report_accuracy(
    *, window: Window, event: str = ProductEventName.REPORT_SENT, property: str = "accurate", min_n: int | None = None
) -> MetricResult:
    return property_share(window=window, event=event, property=property, min_n=min_n, name="report_accuracy")


def renewal_success(
    *, window: Window, event: str = ProductEventName.CAMPAIGN_ENDED, property: str = "renewed", min_n: int | None = None
) -> MetricResult:
    return property_share(window=window, event=event, property=property, min_n=min_n, name="renewal_success")


PER_ACCOUNT_SQL = """
SELECT GROUPING(persona), persona,
       count(*) FILTER (WHERE name = ANY(%(names)s)) AS events, count(DISTINCT customer_id) AS accounts
FROM {events}
WHERE occurred_at >= %(start)s AND occurred_at < %(end)s
GROUP BY GROUPING SETS ((persona), ())
"""


def events_per_account_month(
    *, window: Window, names: Sequence[str], min_n: int | None = None, name: str = ""
) -> MetricResult:
    """Events of ``names`` per active account (any event in the window) per month."""
    months = window.days / DAYS_PER_MONTH
    rows = _rows(PER_ACCOUNT_SQL.format(events=EVENTS), _window_params(window, names=list(names)))

    def build(events, accounts):
        return _value(events / accounts / months if accounts else None, accounts, min_n=min_n, events=events)

    return MetricResult(name or "+".join(names), window, _by_persona(rows, build), min_n)


def errors_per_account(
    *, window: Window, names: Sequence[str] = (ERROR_EVENT,), min_n: int | None = None
) -> MetricResult:
    return events_per_account_month(window=window, names=names, min_n=min_n, name="errors_per_account")


def support_incidents_per_account(
    *, window: Window, names: Sequence[str] = (ProductEventName.SUPPORT_CONTACT_CLOSED,), min_n: int | None = None
) -> MetricResult:
    return events_per_account_month(window=window, names=names, min_n=min_n, name="support_incidents_per_account")


PROPERTY_MEDIAN_SQL = """
WITH numbers AS (
    SELECT persona, (properties ->> %(property)s)::double precision AS number
    FROM {events}
    WHERE name = %(event)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
      AND jsonb_typeof(properties -> %(property)s) = 'number'
)
SELECT GROUPING(persona), persona, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY number), percentile_cont(0.9) WITHIN GROUP (ORDER BY number)
FROM numbers
GROUP BY GROUPING SETS ((persona), ())
"""


def property_median(
    *, window: Window, event: str, property: str, min_n: int | None = None, name: str = ""
) -> MetricResult:
    """The median (and p90) of the number in ``properties[property]`` of ``event`` events."""
    rows = _rows(PROPERTY_MEDIAN_SQL.format(events=EVENTS), _window_params(window, event=event, property=property))

    def build(n, median, p90):
        return _value(median, n, min_n=min_n, p90=p90)

    return MetricResult(name or f"{event}.{property}", window, _by_persona(rows, build), min_n)


def support_resolution_hours(
    *,
    window: Window,
    event: str = ProductEventName.SUPPORT_CONTACT_CLOSED,
    property: str = "resolution_hours",
    min_n: int | None = None,
) -> MetricResult:
    return property_median(window=window, event=event, property=property, min_n=min_n, name="support_resolution")


TASK_COMPLETION_SQL = """
WITH started AS (
    SELECT DISTINCT ON (customer_id, contact, task)
           customer_id, contact, task, occurred_at, persona
    FROM (
        SELECT customer_id, contact, coalesce(properties ->> %(key)s, '') AS task, occurred_at, persona, id
        FROM {events}
        WHERE name = %(started)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
    ) AS s
    ORDER BY customer_id, contact, task, occurred_at, id
)
SELECT GROUPING(persona), persona, count(*) AS n,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM {events} AS done
           WHERE done.customer_id = started.customer_id AND done.name = %(completed)s
             AND done.occurred_at >= started.occurred_at AND done.occurred_at < %(end)s
             AND done.contact = started.contact AND coalesce(done.properties ->> %(key)s, '') = started.task
       )) AS completed
FROM started
GROUP BY GROUPING SETS ((persona), ())
"""


def task_completion(
    *,
    window: Window,
    started: str = FEATURE_STARTED,
    completed: str = ProductEventName.FEATURE_COMPLETED,
    key: str = "feature",
    min_n: int | None = None,
) -> MetricResult:
    """Completed ÷ started tasks (a task: account + contact + ``properties[key]``; its first start in the window)."""
    params = _window_params(window, started=started, completed=completed, key=key)
    rows = _rows(TASK_COMPLETION_SQL.format(events=EVENTS), params)

    def build(n, done):
        return _value(done / n if n else None, n, min_n=min_n, completed=done)

    return MetricResult("task_completion", window, _by_persona(rows, build), min_n)


FEATURE_REUSE_SQL = """
WITH uses AS (
    SELECT customer_id, coalesce(properties ->> %(property)s, '') AS feature,
           min(occurred_at) AS first_use, max(occurred_at) AS last_use,
           (array_agg(persona ORDER BY occurred_at, id))[1] AS persona
    FROM {events}
    WHERE name = %(event)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
    GROUP BY customer_id, feature
), accounts AS (
    SELECT customer_id, (array_agg(persona ORDER BY first_use))[1] AS persona,
           bool_or(last_use - first_use >= %(gap)s) AS reused
    FROM uses GROUP BY customer_id
)
SELECT GROUPING(persona), persona, count(*) AS n, count(*) FILTER (WHERE reused) AS reused
FROM accounts
GROUP BY GROUPING SETS ((persona), ())
"""


def feature_reuse(
    *,
    window: Window,
    event: str = ProductEventName.FEATURE_COMPLETED,
    property: str = "feature",
    gap: timedelta = timedelta(days=1),
    min_n: int | None = None,
) -> MetricResult:
    """The share of accounts using a feature in the window that used one feature again ``gap`` or more later."""
    params = _window_params(window, event=event, property=property, gap=gap)
    rows = _rows(FEATURE_REUSE_SQL.format(events=EVENTS), params)

    def build(n, reused):
        return _value(reused / n if n else None, n, min_n=min_n, reused=reused)

    return MetricResult("feature_reuse", window, _by_persona(rows, build), min_n)


RETENTION_SQL = """
WITH firsts AS (
    SELECT DISTINCT ON ({subject}) {subject} AS subject, occurred_at AS first_at, persona
    FROM {events}
    WHERE occurred_at < %(cohort_end)s {subject_filter}
    ORDER BY {subject}, occurred_at, id
), cohort AS (
    SELECT subject, first_at, persona FROM firsts WHERE first_at >= %(cohort_start)s
)
SELECT GROUPING(persona), persona, count(*) AS n,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM {events} AS later
           WHERE later.{subject} = cohort.subject {active_filter}
             AND later.occurred_at >= cohort.first_at + %(period)s * %(number)s
             AND later.occurred_at < cohort.first_at + %(period)s * (%(number)s + 1)
       )) AS retained
FROM cohort
GROUP BY GROUPING SETS ((persona), ())
"""


def retention(
    *,
    window: Window,
    period: str = "week",
    number: int = 1,
    active_events: Sequence[str] | None = None,
    per: str = "customer",
    min_n: int | None = None,
) -> MetricResult:
    """The share of a start cohort active again in its week (month) ``number``; the cohort is described above."""
    if number < 1:
        raise ValueError("number must be 1 or more (period 0 is the start itself)")
    length = PERIODS[period]
    cohort = window.shifted(length * (number + 1))
    subject, subject_filter = _subject(per)
    sql = RETENTION_SQL.format(
        events=EVENTS,
        subject=subject,
        subject_filter=subject_filter,
        active_filter="AND later.name = ANY(%(active)s)" if active_events else "",
    )
    params = {
        "cohort_start": cohort.start,
        "cohort_end": cohort.end,
        "period": length,
        "number": number,
        "active": list(active_events or []),
    }
    rows = _rows(sql, params)

    def build(n, retained):
        return _value(retained / n if n else None, n, min_n=min_n, retained=retained)

    result = MetricResult(f"retention_{period}_{number}", window, _by_persona(rows, build), min_n)
    return result


SURVEY_SQL = f"""
SELECT GROUPING(persona), persona,
       count(*) FILTER (WHERE kind = %(nps)s) AS nps_n,
       count(*) FILTER (WHERE kind = %(nps)s AND {survey_math.promoter_sql()}) AS promoters,
       count(*) FILTER (WHERE kind = %(nps)s AND {survey_math.detractor_sql()}) AS detractors,
       count(*) FILTER (WHERE kind = %(csat)s) AS csat_n,
       count(*) FILTER (WHERE kind = %(csat)s AND {survey_math.satisfied_sql()}) AS satisfied,
       avg(score) FILTER (WHERE kind = %(csat)s) AS csat_mean
FROM (
    SELECT r.kind, r.score, coalesce(i.persona, '') AS persona
    FROM {{responses}} AS r
    LEFT JOIN {{submissions}} AS s ON s.id = r.submission_id
    LEFT JOIN {{invitations}} AS i ON i.id = s.invitation_id
    WHERE r.responded_at >= %(start)s AND r.responded_at < %(end)s
) AS answers
GROUP BY GROUPING SETS ((persona), ())
"""


def survey_scores(*, window: Window, min_n: int | None = None) -> tuple[MetricResult, MetricResult, MetricResult]:
    """NPS (−100..100), CSAT (% satisfied, 4–5) and mean CSAT (1–5) of the window's answers, per persona."""
    sql = SURVEY_SQL.format(
        responses=SurveyResponse._meta.db_table,
        submissions=SurveySubmission._meta.db_table,
        invitations=SurveyInvitation._meta.db_table,
    )
    rows = _rows(sql, _window_params(window, nps=SurveyKind.NPS.value, csat=SurveyKind.CSAT.value))
    nps, csat, mean = {}, {}, {}
    for grouping, persona, nps_n, promoters, detractors, csat_n, satisfied, csat_mean in rows:
        key = ALL if grouping else persona or ""
        score = survey_math.nps(promoters, detractors, nps_n)
        nps[key] = _value(score, nps_n, min_n=min_n, promoters=promoters, detractors=detractors)
        csat[key] = _value(survey_math.share(satisfied, csat_n), csat_n, min_n=min_n, satisfied=satisfied)
        mean[key] = _value(csat_mean, csat_n, min_n=min_n)
    return (
        MetricResult("nps", window, nps, min_n),
        MetricResult("csat", window, csat, min_n),
        MetricResult("csat_mean", window, mean, min_n),
    )
