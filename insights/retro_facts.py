"""The figures a retrospective is written from (issue 11, seed 004 "Retro Agent"): one set-based pass over a window.

Every section is a handful of SQL aggregates, never a loop over rows (``read_facts`` runs 17 queries whatever the
window holds, plus 3 + metrics per experiment concluded in it):

- feedback in: originals (not duplicates) received in the window, by category and by sentiment label, their mean
  sentiment with n, and the count of the window before (same length) for comparison;
- shipped: themes whose ``shipped_at`` and launches whose ``shipped_on`` fall in the window;
- per-theme effect of each launch shipped in the window: for every theme the launch is linked to, the theme's
  feedback in the ``L`` days before the ship date and the ``L`` days from it (``L`` = the window's length, the after
  period cut at the moment the retrospective is written), each with its volume (items, items per day) and its mean
  sentiment with n and a 95 % Student t interval (mean ± t(0.975, n − 1) · s/√n); the difference after − before with
  a Welch t interval and p-value (``insights.stats.welch``, the experiments' arithmetic);
- escalations raised (``opened_at`` in the window) and resolved (``resolved_at`` in it), those raised still open at
  the window's end, by severity, and the median hours to resolve;
- survey answers in the window: NPS and CSAT with their n (``insights.surveys.figures``), and the window before;
- experiments concluded that ended in the window (``ended_at``; older rows without it: planned end, else start), each
  analysed (``insights.experiments``);
- themes still open with no launch whose volume grew against the window before (a conditional binomial test of the
  two counts: under an unchanged rate the window's share of both is ½), for the insights.

Evidence is carried as ids (feedback, themes, launches, escalations, survey responses, experiments) so that each
insight and backlog item links back to what it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Avg, Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from scipy import stats as sps

from feedback.choices import Category, Sentiment
from feedback.models import FeedbackItem
from feedbackhub.formatting import change_url
from insights import experiments, stats, surveys
from insights.choices import EscalationStatus, ExperimentStatus
from insights.models import Escalation, Experiment, SurveyResponse
from launches.choices import LaunchStatus
from launches.models import Launch
from themes.choices import ThemeStatus
from themes.models import Theme

CONFIDENCE = 0.95
EVIDENCE_IDS = 20  # ids kept per piece of evidence: enough to check a finding, not a dump
GROWTH_P = 0.05  # a theme "grows" when the binomial test of its two windows' counts says so at this level
GROWTH_MIN_ITEMS = 5  # and it has at least this many items in the window


@dataclass(frozen=True)
class Window:
    """What a retrospective covers: ``start`` (included) to ``end`` (excluded), aware datetimes."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400

    @property
    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(start=self.start - (self.end - self.start), end=self.start)


def day_start(day) -> datetime:
    """Midnight starting ``day`` in the hub's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def read_facts(window: Window, *, now: datetime | None = None) -> dict:
    """Every figure of ``window`` as plain JSON (what is stored in ``Retrospective.facts`` and what a writer reads)."""
    now = now or timezone.now()
    return {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "days": round(window.days, 2)},
        "computed_at": now.isoformat(),
        "feedback": feedback_in(window),
        "shipped": shipped(window),
        "launch_effects": launch_effects(window, now=now),
        "escalations": escalations(window),
        "surveys": survey_figures(window),
        "experiments": experiments_concluded(window, now=now),
        "growing_themes": growing_themes(window),
        "method": (
            f"Mean sentiment: {CONFIDENCE:.0%} Student t interval (mean ± t·s/√n). Before/after a launch: the "
            "theme's feedback in equal periods before and from the ship date; the difference after − before with a "
            "Welch t interval and p-value. Growing themes: binomial test of the window's count against the window "
            f"before (p < {GROWTH_P}, at least {GROWTH_MIN_ITEMS} items)."
        ),
    }


# --- feedback in ------------------------------------------------------------------------------------------------------


def _received(window: Window):
    return FeedbackItem.objects.originals().filter(received_at__gte=window.start, received_at__lt=window.end)


def feedback_in(window: Window) -> dict:
    """Originals received in the window: count, by category, by sentiment label, mean sentiment; the window before."""
    items = _received(window).order_by()
    totals = items.aggregate(n=Count("pk"), sentiment_n=Count("sentiment_score"), mean=Avg("sentiment_score"))
    categories = dict(Category.choices)
    by_category = [
        {"category": row["category"] or "", "label": categories.get(row["category"], "Not triaged"), "n": row["n"]}
        for row in items.values("category").annotate(n=Count("pk")).order_by("-n", "category")
    ]
    labels = dict(Sentiment.choices)
    by_sentiment = [
        {
            "sentiment": row["sentiment_label"] or "",
            "label": labels.get(row["sentiment_label"], "Unknown"),
            "n": row["n"],
        }
        for row in items.values("sentiment_label").annotate(n=Count("pk")).order_by("-n", "sentiment_label")
    ]
    return {
        "n": totals["n"],
        "previous_n": _received(window.previous).count(),
        "sentiment_n": totals["sentiment_n"],
        "mean_sentiment": _round(totals["mean"]),
        "by_category": by_category,
        "by_sentiment": by_sentiment,
    }


# --- shipped ----------------------------------------------------------------------------------------------------------


def _launches(window: Window):
    return Launch.objects.filter(
        status=LaunchStatus.SHIPPED,
        shipped_on__gte=timezone.localtime(window.start).date(),
        shipped_on__lt=_end_day(window),
    )


def _end_day(window: Window):
    """The first day not in the window (a window ending at midnight excludes that day)."""
    local = timezone.localtime(window.end)
    return local.date() + timedelta(days=1) if local.time() != time.min else local.date()


def shipped(window: Window) -> dict:
    """Themes shipped and launches shipped in the window (each launch with the themes it closes)."""
    themes = list(
        Theme.objects.filter(shipped_at__gte=window.start, shipped_at__lt=window.end)
        .order_by("shipped_at", "id")
        .values("id", "name", "shipped_at", "feedback_count", "unique_customers")
    )
    launches = list(_launches(window).order_by("shipped_on", "id").values("id", "name", "shipped_on", "launch_type"))
    links: dict[int, list[int]] = {}
    for launch_id, theme_id in (
        Launch.themes.through.objects.filter(launch_id__in=[row["id"] for row in launches])
        .order_by("theme_id")
        .values_list("launch_id", "theme_id")
    ):
        links.setdefault(launch_id, []).append(theme_id)
    return {
        "themes": [
            {
                "id": row["id"],
                "name": row["name"][:120],
                "shipped_at": row["shipped_at"].isoformat(),
                "items": row["feedback_count"],
                "customers": row["unique_customers"],
                "url": change_url(Theme, row["id"]),
            }
            for row in themes
        ],
        "launches": [
            {
                **row,
                "name": row["name"][:120],
                "shipped_on": row["shipped_on"].isoformat(),
                "themes": links.get(row["id"], []),
                "url": change_url(Launch, row["id"]),
            }
            for row in launches
        ],
    }


# --- before and after each launch -------------------------------------------------------------------------------------

EFFECTS_SQL = """
SELECT pair.launch_id, pair.theme_id,
       count(item.id) FILTER (WHERE item.received_at < pair.ship_at),
       count(item.sentiment_score) FILTER (WHERE item.received_at < pair.ship_at),
       coalesce(sum(item.sentiment_score) FILTER (WHERE item.received_at < pair.ship_at), 0),
       coalesce(sum(item.sentiment_score ^ 2) FILTER (WHERE item.received_at < pair.ship_at), 0),
       count(item.id) FILTER (WHERE item.received_at >= pair.ship_at),
       count(item.sentiment_score) FILTER (WHERE item.received_at >= pair.ship_at),
       coalesce(sum(item.sentiment_score) FILTER (WHERE item.received_at >= pair.ship_at), 0),
       coalesce(sum(item.sentiment_score ^ 2) FILTER (WHERE item.received_at >= pair.ship_at), 0),
       (array_agg(item.id ORDER BY item.sentiment_score, item.id)
            FILTER (WHERE item.received_at >= pair.ship_at AND item.sentiment_score < 0))[1:%(keep)s]
FROM unnest(%(launches)s::bigint[], %(themes)s::bigint[], %(starts)s::timestamptz[], %(ships)s::timestamptz[],
            %(ends)s::timestamptz[]) AS pair(launch_id, theme_id, start_at, ship_at, end_at)
LEFT JOIN "{link}" AS link ON link.theme_id = pair.theme_id
LEFT JOIN "{item}" AS item ON item.id = link.feedbackitem_id AND item.duplicate_of_id IS NULL
     AND item.received_at >= pair.start_at AND item.received_at < pair.end_at
GROUP BY pair.launch_id, pair.theme_id
"""


def mean_interval(n: int, total: float, sum_squares: float) -> dict:
    """n, mean and its 95 % Student t interval from (n, Σx, Σx²); no interval under 2 observations."""
    if n == 0:
        return {"sentiment_n": 0, "mean": None, "ci_low": None, "ci_high": None}
    mean = total / n
    if n < 2:
        return {"sentiment_n": n, "mean": _round(mean), "ci_low": None, "ci_high": None}
    variance = max(0.0, (sum_squares - total * total / n) / (n - 1))
    half = float(sps.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * math.sqrt(variance / n)
    return {"sentiment_n": n, "mean": _round(mean), "ci_low": _round(mean - half), "ci_high": _round(mean + half)}


def compare(before: tuple[int, float, float], after: tuple[int, float, float]) -> dict | None:
    """After − before (Welch), or None when either side has under 2 observations or neither varies."""
    try:
        result = stats.welch(stats.Sample.from_sums(*before), stats.Sample.from_sums(*after), alpha=1 - CONFIDENCE)
    except stats.NotEnoughData:
        return None
    return {
        "difference": _round(result.difference),
        "ci_low": _round(result.ci_low),
        "ci_high": _round(result.ci_high),
        "p_value": round(result.p_value, 6),
        "method": "welch",
    }


def launch_effects(window: Window, *, now: datetime) -> list[dict]:
    """Per launch shipped in the window and per theme it is linked to: volume and sentiment before and after."""
    length = window.end - window.start
    pairs = list(
        Launch.themes.through.objects.filter(launch__in=_launches(window))
        .order_by("launch__shipped_on", "launch_id", "theme_id")
        .values_list("launch_id", "launch__name", "launch__shipped_on", "theme_id", "theme__name")
    )
    if not pairs:
        return []
    ships = [day_start(shipped_on) for _, _, shipped_on, _, _ in pairs]
    ends = [max(ship, min(ship + length, now)) for ship in ships]
    link, item = FeedbackItem.themes.through._meta.db_table, FeedbackItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            EFFECTS_SQL.format(link=link, item=item),
            {
                "launches": [pair[0] for pair in pairs],
                "themes": [pair[3] for pair in pairs],
                "starts": [ship - length for ship in ships],
                "ships": ships,
                "ends": ends,
                "keep": EVIDENCE_IDS,
            },
        )
        rows = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    effects = []
    for (launch_id, launch_name, shipped_on, theme_id, theme_name), ship, end in zip(pairs, ships, ends, strict=True):
        before_n, bs_n, bs_sum, bs_sq, after_n, as_n, as_sum, as_sq, negative_ids = rows[(launch_id, theme_id)]
        before_days, after_days = length.total_seconds() / 86_400, (end - ship).total_seconds() / 86_400
        effects.append(
            {
                "launch_id": launch_id,
                "launch": launch_name[:120],
                "shipped_on": shipped_on.isoformat(),
                "theme_id": theme_id,
                "theme": theme_name[:120],
                "before": {
                    "start": (ship - length).isoformat(),
                    "end": ship.isoformat(),
                    "days": round(before_days, 2),
                    "items": before_n,
                    "per_day": round(before_n / before_days, 2) if before_days else None,
                    **mean_interval(bs_n, bs_sum, bs_sq),
                },
                "after": {
                    "start": ship.isoformat(),
                    "end": end.isoformat(),
                    "days": round(after_days, 2),
                    "items": after_n,
                    "per_day": round(after_n / after_days, 2) if after_days else None,
                    **mean_interval(as_n, as_sum, as_sq),
                },
                "difference": compare((bs_n, bs_sum, bs_sq), (as_n, as_sum, as_sq)),
                "negative_after_ids": list(negative_ids or []),
            }
        )
    return effects


# --- escalations, surveys, experiments --------------------------------------------------------------------------------


def escalations(window: Window) -> dict:
    """Raised and resolved in the window; those raised still open at its end (ids), by severity; median resolution."""
    raised = Q(opened_at__gte=window.start, opened_at__lt=window.end)
    resolved = Q(resolved_at__gte=window.start, resolved_at__lt=window.end)
    still_open = raised & (~Q(status=EscalationStatus.RESOLVED) | Q(resolved_at__gte=window.end))
    counts = Escalation.objects.order_by().aggregate(
        raised=Count("pk", filter=raised),
        resolved=Count("pk", filter=resolved),
        open_at_end=Count("pk", filter=still_open),
    )
    by_severity = dict(
        Escalation.objects.filter(raised)
        .order_by()
        .values_list("severity")
        .annotate(n=Count("pk"))
        .values_list("severity", "n")
    )
    open_rows = list(
        Escalation.objects.filter(still_open)
        .order_by("-opened_at", "-id")
        .values("id", "summary", "severity", "theme_id", "feedback_id")[:EVIDENCE_IDS]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
                FROM "{Escalation._meta.db_table}" WHERE resolved_at >= %s AND resolved_at < %s""",
            [window.start, window.end],
        )
        median = cursor.fetchone()[0]
    return {
        **counts,
        "by_severity": by_severity,
        "median_hours_to_resolve": round(median / 3600, 1) if median is not None else None,
        "open": [{**row, "summary": row["summary"][:160]} for row in open_rows],
    }


def _survey(window: Window) -> dict:
    answers = SurveyResponse.objects.filter(responded_at__gte=window.start, responded_at__lt=window.end)
    result = surveys.figures(answers)
    return {**result.__dict__, "nps": result.nps, "csat": result.csat}


def survey_figures(window: Window) -> dict:
    """NPS and CSAT of the answers in the window with their n; the window before; detractors' ids (evidence)."""
    detractors = list(
        SurveyResponse.objects.filter(
            surveys.band_q(surveys.DETRACTOR), kind="nps", responded_at__gte=window.start, responded_at__lt=window.end
        )
        .order_by("score", "-responded_at")
        .values_list("id", "feedback_id")[:EVIDENCE_IDS]
    )
    return {
        **_survey(window),
        "previous": _survey(window.previous),
        "detractor_ids": [row[0] for row in detractors],
        "detractor_feedback_ids": [row[1] for row in detractors if row[1]],
    }


def experiments_concluded(window: Window, *, now: datetime) -> list[dict]:
    """Experiments concluded that ended in the window, with their analysis summarised, earliest end first.

    An experiment ends when it stops collecting (``ended_at``: the first of stop and conclude, set by
    ``insights.experiments``). Rows concluded before that field existed have none: their planned end stands for it,
    else their start."""
    ended = Coalesce("ended_at", "planned_end_at", "start_at")
    concluded = (
        Experiment.objects.filter(status=ExperimentStatus.CONCLUDED)
        .alias(ended=ended)
        .filter(ended__gte=window.start, ended__lt=window.end)
        .prefetch_related("variants")
        .order_by("ended", "id")
    )
    found = []
    for experiment in concluded:
        analysis = experiments.analyze(experiment, now=now)
        top = analysis.as_json()
        found.append(
            {
                "id": experiment.pk,
                "key": experiment.key,
                "name": experiment.name[:120],
                "winner": analysis.winner,
                "reasons": analysis.reasons[:3],
                "exposed": top["exposed"],
                "difference": _round(top["difference"]),
                "ci_low": _round(top["ci_low"]),
                "ci_high": _round(top["ci_high"]),
                "p_value": round(top["p_value"], 6) if top["p_value"] is not None else None,
                "metric": top["results"][0]["metric"] if top["results"] else None,
            }
        )
    return found


# --- themes growing without a launch ----------------------------------------------------------------------------------

GROWTH_SQL = """
SELECT link.theme_id, theme.name,
       count(*) FILTER (WHERE item.received_at >= %(start)s),
       count(*) FILTER (WHERE item.received_at < %(start)s),
       (array_agg(item.id ORDER BY item.received_at DESC, item.id DESC)
            FILTER (WHERE item.received_at >= %(start)s))[1:%(keep)s]
FROM "{item}" AS item JOIN "{link}" AS link ON link.feedbackitem_id = item.id
JOIN "{theme}" AS theme ON theme.id = link.theme_id
WHERE item.received_at >= %(previous)s AND item.received_at < %(end)s AND item.duplicate_of_id IS NULL
  AND theme.status <> %(shipped)s
  AND NOT EXISTS (SELECT 1 FROM "{launch_link}" AS launch_link WHERE launch_link.theme_id = theme.id)
GROUP BY link.theme_id, theme.name
HAVING count(*) FILTER (WHERE item.received_at >= %(start)s) >= %(minimum)s
"""


def growing_themes(window: Window) -> list[dict]:
    """Open themes with no launch whose feedback grew against the window before (one-sided binomial test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            GROWTH_SQL.format(
                item=FeedbackItem._meta.db_table,
                link=FeedbackItem.themes.through._meta.db_table,
                theme=Theme._meta.db_table,
                launch_link=Launch.themes.through._meta.db_table,
            ),
            {
                "start": window.start,
                "end": window.end,
                "previous": window.previous.start,
                "shipped": ThemeStatus.SHIPPED,
                "minimum": GROWTH_MIN_ITEMS,
                "keep": EVIDENCE_IDS,
            },
        )
        rows = cursor.fetchall()
    found = []
    for theme_id, name, now_n, before_n, ids in rows:
        p_value = float(sps.binomtest(now_n, now_n + before_n, 0.5, alternative="greater").pvalue)
        if p_value < GROWTH_P:
            found.append(
                {
                    "theme_id": theme_id,
                    "theme": name[:120],
                    "items": now_n,
                    "previous_items": before_n,
                    "p_value": round(p_value, 6),
                    "feedback_ids": list(ids or []),
                }
            )
    found.sort(key=lambda row: (row["p_value"], -row["items"], row["theme_id"]))
    return found


def _round(value, digits: int = 4):
    return None if value is None else round(float(value), digits)
