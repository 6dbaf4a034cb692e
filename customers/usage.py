"""Usage signals: what "usage" means, and the per-account figures read everywhere instead of the snapshots.

**Usage is active users** (``UsageSnapshot.active_users``): the people of the account who used the product that day.
API requests and tokens swing with one batch job, a retry storm or a cache change, and a seat-based product churns
people first; seed 001 reads its signals as people's behaviour ("usage drops", "login gaps", "no activity").
An **active day** is a day with at least one active user.

The figures, kept on ``Customer`` so a list of 50,000 accounts reads them without touching the snapshots:

- ``last_active_on``: the last active day;
- ``usage_change_7d`` / ``usage_change_30d``: usage of the last 7 (30) days against the 7 (30) before, in percent
  (−100: silent since). Days an account sent no snapshot count as no usage (a silent account sends nothing).
  None when there is too little data: the earlier window has snapshots on fewer than half its days (a new account,
  a feed that just started) or no usage at all (no percentage of nothing);
- ``heavy_features``: the features (keys of ``features_used``) the account is a heavy user of: over the last 30 days
  it used the feature more than at least 90 % (``HEAVY_PERCENTILE``) of the other accounts that used it (SQL's
  ``percent_rank``: accounts tied with the others do not stand out), and at least ``HEAVY_MIN_USES`` times.

The windows end on the **reference day**: the latest day any account reported (never after today). Snapshots arrive
a day or so late; ending on today would count the day not yet reported as a drop for every account.

``refresh_signals`` recomputes them with one ``UPDATE … FROM (aggregate)`` for all accounts, or for the few a batch
touched, and writes only the rows whose figures changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from customers.models import Customer, UsageSnapshot

USAGE_COLUMN = "active_users"  # what "usage" means (see the module docstring)
SHORT_DAYS, LONG_DAYS = 7, 30  # the two windows of the usage change
HEAVY_DAYS = 30
HEAVY_PERCENTILE = 0.9
HEAVY_MIN_USES = 10
INACTIVE_AFTER_DAYS = 14  # seed 001: "flag accounts with no activity in 14 days"


def reference_day(*, today: date | None = None) -> date | None:
    """The last day any account reported usage (at most ``today``); None when there is no usage at all.

    One index probe (``usage_taken_on_idx``).
    """
    today = today or timezone.localdate()
    latest = UsageSnapshot.objects.filter(taken_on__lte=today).order_by("-taken_on").values_list("taken_on", flat=True)
    return latest.first()


# The per-account aggregate over the last two long windows; the short windows are inside them.
SIGNALS_SQL = """
WITH usage AS (
    SELECT
        s.customer_id,
        SUM(s.{usage}) FILTER (WHERE s.taken_on > %(ref)s::date - {short}) AS short_now,
        SUM(s.{usage}) FILTER (WHERE s.taken_on <= %(ref)s::date - {short}
                                 AND s.taken_on > %(ref)s::date - 2 * {short}) AS short_before,
        COUNT(*) FILTER (WHERE s.taken_on <= %(ref)s::date - {short}
                           AND s.taken_on > %(ref)s::date - 2 * {short}) AS short_before_days,
        SUM(s.{usage}) FILTER (WHERE s.taken_on > %(ref)s::date - {long}) AS long_now,
        SUM(s.{usage}) FILTER (WHERE s.taken_on <= %(ref)s::date - {long}) AS long_before,
        COUNT(*) FILTER (WHERE s.taken_on <= %(ref)s::date - {long}) AS long_before_days,
        MAX(s.taken_on) FILTER (WHERE s.{usage} > 0) AS last_active
    FROM {snapshots} s
    WHERE s.taken_on > %(ref)s::date - 2 * {long} AND s.taken_on <= %(ref)s::date {only_usage}
    GROUP BY s.customer_id
),
signals AS (
    SELECT
        c.id,
        CASE WHEN u.short_before_days * 2 >= {short} AND u.short_before > 0
             THEN round((100.0 * (COALESCE(u.short_now, 0) - u.short_before) / u.short_before)::numeric, 1)::float
        END AS change_short,
        CASE WHEN u.long_before_days * 2 >= {long} AND u.long_before > 0
             THEN round((100.0 * (COALESCE(u.long_now, 0) - u.long_before) / u.long_before)::numeric, 1)::float
        END AS change_long,
        -- active in the windows: that day; else the day stored, if it is older than the windows (it cannot have
        -- changed); else nothing (a corrected snapshot took the activity away)
        COALESCE(
            u.last_active,
            CASE WHEN c.last_active_on <= %(ref)s::date - 2 * {long} THEN c.last_active_on END
        ) AS last_active
    FROM {customers} c
    LEFT JOIN usage u ON u.customer_id = c.id
    WHERE TRUE {only_customers}
)
UPDATE {customers} c
SET usage_change_7d = s.change_short, usage_change_30d = s.change_long, last_active_on = s.last_active
FROM signals s
WHERE c.id = s.id
  AND (c.usage_change_7d IS DISTINCT FROM s.change_short
       OR c.usage_change_30d IS DISTINCT FROM s.change_long
       OR c.last_active_on IS DISTINCT FROM s.last_active)
"""

# Heavy users: each feature's uses per account over HEAVY_DAYS, ranked among the accounts that used it.
HEAVY_SQL = """
WITH uses AS (
    SELECT s.customer_id, f.key AS feature, SUM(
        CASE WHEN jsonb_typeof(f.value) = 'number' THEN (f.value #>> '{{}}')::numeric ELSE 0 END
    ) AS n
    FROM {snapshots} s, jsonb_each(s.features_used) AS f
    WHERE s.taken_on > %(ref)s::date - {days} AND s.taken_on <= %(ref)s::date AND s.features_used <> '{{}}'::jsonb
    GROUP BY s.customer_id, f.key
),
ranked AS (
    SELECT customer_id, feature, n, percent_rank() OVER (PARTITION BY feature ORDER BY n) AS rank
    FROM uses WHERE n > 0
),
heavy AS (
    SELECT customer_id, array_agg(left(feature, 50) ORDER BY feature)::varchar(50)[] AS features
    FROM ranked WHERE rank >= %(percentile)s AND n >= %(min_uses)s
    GROUP BY customer_id
)
UPDATE {customers} c
SET heavy_features = COALESCE(h.features, '{{}}')
FROM {customers} c2 LEFT JOIN heavy h ON h.customer_id = c2.id
WHERE c.id = c2.id AND c.heavy_features IS DISTINCT FROM COALESCE(h.features, '{{}}')
"""


def refresh_signals(*, customer_ids: Iterable[int] | None = None, today: date | None = None) -> int:
    """Recompute the usage figures of every account (or of ``customer_ids``); returns how many rows changed.

    Heavy users compare each account with all the others, so they are recomputed only in a full refresh (the
    daily job), not for the few accounts a batch of snapshots touched.
    """
    ref = reference_day(today=today)
    quote = connection.ops.quote_name
    names = {"snapshots": quote(UsageSnapshot._meta.db_table), "customers": quote(Customer._meta.db_table)}
    ids = None if customer_ids is None else sorted(set(customer_ids))
    if ids == []:
        return 0
    params = {"ref": ref or (today or timezone.localdate()), "ids": ids}
    subset = ids is not None
    sql = SIGNALS_SQL.format(
        usage=USAGE_COLUMN,
        short=SHORT_DAYS,
        long=LONG_DAYS,
        only_usage="AND s.customer_id = ANY(%(ids)s)" if subset else "",
        only_customers="AND c.id = ANY(%(ids)s)" if subset else "",
        **names,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
        if not subset:
            heavy = HEAVY_SQL.format(days=HEAVY_DAYS, **names)
            cursor.execute(heavy, {**params, "percentile": HEAVY_PERCENTILE, "min_uses": HEAVY_MIN_USES})
            changed += cursor.rowcount
    return changed


def inactive_since(*, today: date | None = None) -> date:
    """Accounts whose last active day is before this day are inactive (``INACTIVE_AFTER_DAYS`` without activity)."""
    return (today or timezone.localdate()) - timedelta(days=INACTIVE_AFTER_DAYS)
