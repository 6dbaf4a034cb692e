"""Technical metrics set against feedback (issue 11 part 6; seed 003 "Satisfaction-Performance Correlation"): per
product and per segment (tier, industry), weekly series of error rate, p95 latency, feedback volume, mean sentiment
and NPS, their Spearman correlations with a confidence interval, and where errors rise while sentiment falls.

**Series** (SQL builds them, one scan of each table's window; Python only pairs them up):

- weeks: ``weeks`` (default 12) whole weeks ending at the start of the current week (Monday 00:00 UTC); a sample
  counts in the week of its ``period_start``, feedback in the week it was received, an NPS answer when answered;
- error rate = Σ errors / Σ requests of the week. For a product the all-customers row (``customer`` empty) is the
  product's total when one was sent for the week, else the sum of the per-account rows (never both: that would
  count the requests twice). A segment sums its accounts' rows;
- p95 latency: the requests-weighted mean of the samples' p95 (percentiles of several samples cannot be combined
  exactly; this is the usual approximation, and its rank order is what Spearman reads);
- feedback volume: items received (duplicates not counted), 0 in a week with none; mean sentiment: the mean
  ``sentiment_score`` (−1…1) of the week's scored items, only for weeks with at least ``MIN_ITEMS_PER_WEEK``;
- NPS = % promoters (9–10) − % detractors (0–6) of the week's NPS answers (``insights.survey_math``), at least
  ``MIN_ANSWERS_PER_WEEK``; for a product, the answers of accounts that have samples of that product in the window
  (its users).

**Correlation**: Spearman's ρ (``scipy.stats.spearmanr``; its p-value, two-sided, from the t distribution) over
the weeks where both figures exist. The 95 % interval is Fisher's z with the Bonett–Wright standard error
(Bonett & Wright 2000, Psychometrika 65:23–28), which suits a rank correlation better than 1/√(n−3)::

    z = atanh(ρ),  se = sqrt((1 + ρ²/2) / (n − 3)),  CI = tanh(z ± 1.959964·se)

Fewer than ``MIN_PERIODS`` weeks (6): "too few periods", no ρ. A series that does not vary: "constant", no ρ.

**Errors up, sentiment down** (``rising``): over the last ``days`` against the ``days`` before (rolling, ending now),
a product or segment whose error rate rose by at least the threshold in % (relative: 0.5 % → 1 % is +100 %) while
its mean sentiment fell. It needs ``MIN_REQUESTS`` requests and some errors in the earlier window (no relative rise
from zero) and ``MIN_ITEMS`` scored feedback items in each window. The escalation rule ``errors_up_sentiment_down``
(``insights.technical_escalations``) and the admin page read this one function.

``refresh`` precomputes it all into the ``DashboardFigure`` "technical:correlations" (a daily task).
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from scipy import stats as sps

from customers.choices import Industry, Tier
from feedback.choices import Product
from insights import survey_math
from insights.choices import Comparison, Metric
from insights.models import DashboardFigure, EscalationRule, TechnicalSample

FIGURE_KEY = "technical:correlations"
WEEKS = 12
MIN_PERIODS = 6
MIN_ITEMS_PER_WEEK = 3
MIN_ANSWERS_PER_WEEK = 3
MIN_REQUESTS = 500
MIN_ITEMS = 5
DEFAULT_RISE = 50.0  # % (when no enabled rule says otherwise)
DEFAULT_DAYS = 14
Z_95 = 1.959963984540054
KINDS = ("product", "tier", "industry")
LABELS = {"product": dict(Product.choices), "tier": dict(Tier.choices), "industry": dict(Industry.choices)}
PAIRS = [
    ("error_rate", "sentiment", "Error rate vs mean sentiment"),
    ("error_rate", "volume", "Error rate vs feedback volume"),
    ("p95", "sentiment", "p95 latency vs mean sentiment"),
    ("error_rate", "nps", "Error rate vs NPS"),
]
COMPARE = {
    Comparison.GTE: operator.ge,
    Comparison.GT: operator.gt,
    Comparison.LTE: operator.le,
    Comparison.LT: operator.lt,
}
WEEK = "floor(extract(epoch FROM {column} - %(start)s) / 604800)::int"

SAMPLES_SQL = f"""
WITH s AS (
    SELECT t.product, t.customer_id, c.tier, c.industry, {WEEK.format(column="t.period_start")} AS bucket,
           t.requests, t.errors, t.latency_p95_ms
    FROM insights_technicalsample t LEFT JOIN customers_customer c ON c.id = t.customer_id
    WHERE t.period_start >= %(start)s AND t.period_start < %(end)s
),
per AS (
    SELECT product, bucket, customer_id IS NULL AS everyone, sum(requests) AS requests, sum(errors) AS errors,
           sum(latency_p95_ms * requests) FILTER (WHERE latency_p95_ms IS NOT NULL) AS p95_weighted,
           sum(requests) FILTER (WHERE latency_p95_ms IS NOT NULL) AS p95_requests
    FROM s GROUP BY product, bucket, customer_id IS NULL
)
(SELECT DISTINCT ON (product, bucket) 'product' AS kind, product AS subject, bucket, requests, errors,
        p95_weighted / nullif(p95_requests, 0) AS p95
 FROM per ORDER BY product, bucket, everyone DESC)
UNION ALL
SELECT CASE WHEN grouping(tier) = 0 THEN 'tier' ELSE 'industry' END, coalesce(tier, industry), bucket,
       sum(requests), sum(errors),
       sum(latency_p95_ms * requests) FILTER (WHERE latency_p95_ms IS NOT NULL)
           / nullif(sum(requests) FILTER (WHERE latency_p95_ms IS NOT NULL), 0)
FROM s WHERE customer_id IS NOT NULL
GROUP BY GROUPING SETS ((tier, bucket), (industry, bucket))
"""

FEEDBACK_SQL = f"""
WITH f AS (
    SELECT nullif(f.product, '') AS product, c.tier, c.industry, f.sentiment_score,
           {WEEK.format(column="f.received_at")} AS bucket
    FROM feedback_feedbackitem f LEFT JOIN customers_customer c ON c.id = f.customer_id
    WHERE f.received_at >= %(start)s AND f.received_at < %(end)s AND f.duplicate_of_id IS NULL
)
SELECT CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(tier) = 0 THEN 'tier' ELSE 'industry' END AS kind,
       coalesce(product, tier, industry) AS subject, bucket, count(*) AS volume,
       avg(sentiment_score) AS sentiment, count(sentiment_score) AS scored
FROM f
GROUP BY GROUPING SETS ((product, bucket), (tier, bucket), (industry, bucket))
HAVING coalesce(product, tier, industry) IS NOT NULL
"""

NPS_SQL = f"""
WITH a AS (
    SELECT s.customer_id, s.score, c.tier, c.industry, {WEEK.format(column="s.responded_at")} AS bucket
    FROM insights_surveyresponse s JOIN customers_customer c ON c.id = s.customer_id
    WHERE s.kind = 'nps' AND s.responded_at >= %(start)s AND s.responded_at < %(end)s
),
users AS (
    SELECT DISTINCT product, customer_id FROM insights_technicalsample
    WHERE period_start >= %(start)s AND period_start < %(end)s AND customer_id IS NOT NULL
)
SELECT 'product' AS kind, u.product AS subject, a.bucket, count(*) AS answers, {survey_math.nps_sql("a.score")} AS nps
FROM a JOIN users u ON u.customer_id = a.customer_id GROUP BY u.product, a.bucket
UNION ALL
SELECT CASE WHEN grouping(tier) = 0 THEN 'tier' ELSE 'industry' END, coalesce(tier, industry), bucket, count(*),
       {survey_math.nps_sql("score")}
FROM a GROUP BY GROUPING SETS ((tier, bucket), (industry, bucket))
"""

# Rolling windows for "errors up, sentiment down": recent = [mid, now), before = [start, mid).
RISING_SAMPLES_SQL = """
WITH s AS (
    SELECT t.product, t.customer_id, c.tier, c.industry, t.period_start >= %(mid)s AS recent, t.requests, t.errors
    FROM insights_technicalsample t LEFT JOIN customers_customer c ON c.id = t.customer_id
    WHERE t.period_start >= %(start)s AND t.period_start < %(now)s
),
per AS (
    SELECT product, recent, customer_id IS NULL AS everyone, sum(requests) AS requests, sum(errors) AS errors
    FROM s GROUP BY product, recent, customer_id IS NULL
)
(SELECT DISTINCT ON (product, recent) 'product' AS kind, product AS subject, recent, requests, errors
 FROM per ORDER BY product, recent, everyone DESC)
UNION ALL
SELECT CASE WHEN grouping(tier) = 0 THEN 'tier' ELSE 'industry' END, coalesce(tier, industry), recent,
       sum(requests), sum(errors)
FROM s WHERE customer_id IS NOT NULL
GROUP BY GROUPING SETS ((tier, recent), (industry, recent))
"""

RISING_FEEDBACK_SQL = """
WITH f AS (
    SELECT nullif(f.product, '') AS product, c.tier, c.industry, f.sentiment_score, f.received_at >= %(mid)s AS recent
    FROM feedback_feedbackitem f LEFT JOIN customers_customer c ON c.id = f.customer_id
    WHERE f.received_at >= %(start)s AND f.received_at < %(now)s AND f.duplicate_of_id IS NULL
      AND f.sentiment_score IS NOT NULL
)
SELECT CASE WHEN grouping(product) = 0 THEN 'product' WHEN grouping(tier) = 0 THEN 'tier' ELSE 'industry' END AS kind,
       coalesce(product, tier, industry) AS subject, recent, count(*) AS items, avg(sentiment_score) AS sentiment
FROM f
GROUP BY GROUPING SETS ((product, recent), (tier, recent), (industry, recent))
HAVING coalesce(product, tier, industry) IS NOT NULL
"""


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def label(kind: str, subject: str) -> str:
    return LABELS.get(kind, {}).get(subject, subject)


# --- The statistics -----------------------------------------------------------------------------------------------


def fisher_interval(rho: float, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """The confidence interval of a Spearman ρ from n pairs: Fisher's z with the Bonett–Wright standard error."""
    if n <= 3:
        raise ValueError(f"An interval needs more than 3 pairs; got {n}.")
    if abs(rho) >= 1:
        return (rho, rho)
    centre = math.atanh(rho)
    half = z * math.sqrt((1 + rho * rho / 2) / (n - 3))
    return (math.tanh(centre - half), math.tanh(centre + half))


def spearman(xs: list[float], ys: list[float], *, min_periods: int = MIN_PERIODS) -> dict:
    """ρ, its 95 % interval, p and n of paired figures; ``status`` says why there is no ρ when there is none."""
    n = len(xs)
    if n < min_periods:
        return {"status": "too_few", "n": n, "rho": None, "ci_low": None, "ci_high": None, "p": None}
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        return {"status": "constant", "n": n, "rho": None, "ci_low": None, "ci_high": None, "p": None}
    result = sps.spearmanr(xs, ys)
    rho, p = float(result.statistic), float(result.pvalue)
    low, high = fisher_interval(rho, n)
    return {"status": "ok", "n": n, "rho": rho, "ci_low": low, "ci_high": high, "p": p}


# --- The weekly series and their correlations ---------------------------------------------------------------------


def window(now: datetime, weeks: int = WEEKS) -> tuple[datetime, datetime]:
    """``weeks`` whole weeks ending at the start of ``now``'s week (Monday 00:00 UTC)."""
    day = now.astimezone(timezone.get_fixed_timezone(0)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = day - timedelta(days=day.weekday())
    return end - timedelta(weeks=weeks), end


def weekly_series(*, start: datetime, end: datetime) -> dict[tuple[str, str], dict[int, dict]]:
    """(kind, subject) → week number → the week's figures (three SQL queries)."""
    params = {"start": start, "end": end}
    series: dict[tuple[str, str], dict[int, dict]] = defaultdict(lambda: defaultdict(dict))
    for row in _rows(SAMPLES_SQL, params):
        week = series[(row["kind"], row["subject"])][row["bucket"]]
        week["requests"], week["errors"] = int(row["requests"] or 0), int(row["errors"] or 0)
        week["error_rate"] = week["errors"] / week["requests"] if week["requests"] else None
        week["p95"] = float(row["p95"]) if row["p95"] is not None else None
    feedback = _rows(FEEDBACK_SQL, params)
    for row in feedback:
        week = series[(row["kind"], row["subject"])][row["bucket"]]
        week["volume"] = row["volume"]
        week["sentiment_n"] = row["scored"]
        week["sentiment"] = float(row["sentiment"]) if row["scored"] >= MIN_ITEMS_PER_WEEK else None
    for row in _rows(NPS_SQL, params):
        week = series[(row["kind"], row["subject"])][row["bucket"]]
        week["nps_n"] = row["answers"]
        week["nps"] = float(row["nps"]) if row["answers"] >= MIN_ANSWERS_PER_WEEK else None
    weeks = round((end - start) / timedelta(weeks=1))
    with_feedback = {(row["kind"], row["subject"]) for row in feedback}
    for key, by_week in series.items():  # a week without feedback had a volume of 0 (of a subject that has some)
        if key in with_feedback:
            for number in range(weeks):
                by_week[number].setdefault("volume", 0)
    return series


def correlations(series: dict[tuple[str, str], dict[int, dict]], *, min_periods: int = MIN_PERIODS) -> list[dict]:
    """A row per subject with technical samples × pair of figures: ρ, CI, p, n or the reason there is none."""
    rows = []
    for (kind, subject), by_week in sorted(series.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1])):
        if not any("requests" in week for week in by_week.values()):
            continue  # feedback of a product with no technical samples: nothing to set it against
        for x, y, title in PAIRS:
            pairs = [
                (week[x], week[y])
                for _, week in sorted(by_week.items())
                if week.get(x) is not None and week.get(y) is not None
            ]
            result = spearman([a for a, _ in pairs], [b for _, b in pairs], min_periods=min_periods)
            rows.append({"kind": kind, "subject": subject, "label": label(kind, subject), "pair": f"{x}:{y}",
                         "title": title, **result})  # fmt: skip
    return rows


# --- Errors up while sentiment falls ------------------------------------------------------------------------------


def rising(
    *, now: datetime, days: int = DEFAULT_DAYS, threshold: float = DEFAULT_RISE, comparison: str = Comparison.GTE
) -> list[dict]:
    """The products and segments whose error rate rose (by ``comparison`` ``threshold`` %) over the last ``days``
    against the ``days`` before, while their mean sentiment fell; the largest rise first."""
    params = {"now": now, "mid": now - timedelta(days=days), "start": now - timedelta(days=2 * days)}
    figures: dict[tuple[str, str], dict] = defaultdict(dict)
    for row in _rows(RISING_SAMPLES_SQL, params):
        side = "now" if row["recent"] else "then"
        figures[(row["kind"], row["subject"])][f"requests_{side}"] = int(row["requests"] or 0)
        figures[(row["kind"], row["subject"])][f"errors_{side}"] = int(row["errors"] or 0)
    for row in _rows(RISING_FEEDBACK_SQL, params):
        side = "now" if row["recent"] else "then"
        figures[(row["kind"], row["subject"])][f"items_{side}"] = row["items"]
        figures[(row["kind"], row["subject"])][f"sentiment_{side}"] = float(row["sentiment"])
    compare = COMPARE[comparison]
    found = []
    for (kind, subject), f in figures.items():
        if f.get("requests_then", 0) < MIN_REQUESTS or f.get("requests_now", 0) < MIN_REQUESTS:
            continue
        if not f.get("errors_then") or f.get("items_then", 0) < MIN_ITEMS or f.get("items_now", 0) < MIN_ITEMS:
            continue
        rate_then, rate_now = f["errors_then"] / f["requests_then"], f["errors_now"] / f["requests_now"]
        rise = 100 * (rate_now / rate_then - 1)
        if rise <= 0 or not compare(rise, threshold) or not f["sentiment_now"] < f["sentiment_then"]:
            continue
        found.append({
            "kind": kind, "subject": subject, "label": label(kind, subject), "days": days,
            "rise_percent": round(rise, 1), "error_rate": [rate_then, rate_now],
            "requests": [f["requests_then"], f["requests_now"]], "errors": [f["errors_then"], f["errors_now"]],
            "sentiment": [round(f["sentiment_then"], 3), round(f["sentiment_now"], 3)],
            "items": [f["items_then"], f["items_now"]],
        })  # fmt: skip
    return sorted(found, key=lambda row: (-row["rise_percent"], row["kind"], row["subject"]))


def rule_settings() -> tuple[int, float, str]:
    """The comparison window, threshold and comparison of the first enabled rule, so the page and the escalations
    agree; the defaults when there is none."""
    rule = EscalationRule.objects.filter(enabled=True, metric=Metric.ERRORS_UP_SENTIMENT_DOWN).order_by("id").first()
    if rule is None:
        return DEFAULT_DAYS, DEFAULT_RISE, Comparison.GTE
    return rule.period_days, float(rule.threshold), rule.comparison


# --- The precomputed figure ---------------------------------------------------------------------------------------


def compute(*, now: datetime | None = None, weeks: int = WEEKS) -> dict:
    """The page's figures: window, correlations, the weekly series for the charts, and the rising list."""
    now = now or timezone.now()
    start, end = window(now, weeks)
    series = weekly_series(start=start, end=end)
    days, threshold, comparison = rule_settings()
    charts = {}
    for (kind, subject), by_week in series.items():
        if any("requests" in week for week in by_week.values()):
            charts[f"{kind}:{subject}"] = [
                {"week": (start + timedelta(weeks=number)).date().isoformat(), **by_week.get(number, {})}
                for number in range(weeks)
            ]
    samples = TechnicalSample.objects.filter(period_start__gte=start, period_start__lt=end).count()
    return {
        "window": {"start": start.isoformat(), "end": end.isoformat(), "weeks": weeks},
        "min_periods": MIN_PERIODS,
        "rows": correlations(series),
        "series": charts,
        "rising": {
            "days": days,
            "threshold": threshold,
            "comparison": comparison,
            "rows": rising(now=now, days=days, threshold=threshold, comparison=comparison),
        },
        "samples": samples,
    }


def refresh(*, now: datetime | None = None) -> DashboardFigure:
    """Recompute the figure "technical:correlations" (the daily task)."""
    now = now or timezone.now()
    data = compute(now=now)
    with transaction.atomic():
        figure, _ = DashboardFigure.objects.update_or_create(
            key=FIGURE_KEY, defaults={"data": data, "sample_size": data["samples"], "computed_at": now}
        )
    return figure
