"""A/B and shadow experiments (issue 11, seed 004 "A/B Testing Framework"): the writes, the assignment, the analysis.

**Writes.** Every door (admin form and inline, API, demo) goes through ``create_experiment``, ``validate_metrics``,
``validate_variants`` and ``start_experiment`` / ``stop_experiment`` / ``conclude_experiment``: a running experiment
has ≥ 2 variants whose shares sum to 100 with exactly one control, and at least one success metric; a fixed-horizon
one has a planned end (else "no peeking" has no meaning). ``ended_at`` records when it stopped collecting: the first
of stop and conclude (a stopped experiment concluded later keeps its stop time), set in the status's own UPDATE.

**Assignment** is a pure function of the experiment key and the subject: sha256("<key>:<subject>"), its first 8
bytes as a number in [0, 1), placed on the variants' cumulative shares (control first, then by key). Nothing is
stored or random, so every process, every restart and every product computing it itself gets the same variant.
A shadow experiment shows everyone the control and names the other variants as computed in the shadow.

**Analysis** (``analyze``) reads product events (``insights.models.ProductEvent``) in SQL:

- an exposure is an ``experiment_exposure`` event with ``properties = {"experiment", "variant", "subject"}``; a
  subject counts once, from its first exposure; a subject exposed to two variants is left out and counted;
- the window runs from the start to the earliest of now, the planned end and ``ended_at`` (once stopped, products
  show everyone the control: those exposures are not the experiment's and would skew the SRM check);
- a conversion is the metric's event by the same subject at or after its first exposure, within the window. A
  conversion event names its subject by ``properties.subject``, else its ``contact``, else its customer's id. A
  proportion metric asks "did the subject send it"; a mean metric sums the event's numeric ``properties[property]``
  per subject (0 when it sent none) and compares the means.
- then ``insights.stats``: Welch (fixed horizon) or the always-valid confidence sequence (sequential) for every
  metric × treatment against the control, adjusted by Holm or Benjamini-Hochberg over that family, and the SRM check
  of the exposed subjects against the planned shares.

A metric says which way is better: ``"better": "higher"`` (the default: conversions, revenue) or ``"lower"``
(errors, time to value, support cases). A winner is declared only when every variant has the minimum sample, the
SRM check passes, a fixed horizon has reached its planned end (and was not stopped before it: that is peeking too),
and the first metric (the primary one) shows a significant difference in its better direction after the
correction; otherwise ``reasons`` says what is missing. Before the minimum sample no figure is shown at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from insights import stats
from insights.choices import (
    Correction,
    ExperimentAnalysis,
    ExperimentKind,
    ExperimentStatus,
    MetricKind,
    ProductEventName,
)
from insights.models import Experiment, Variant
from insights.stats import NotEnoughData, Sample

EXPOSURE_EVENT = ProductEventName.EXPERIMENT_EXPOSURE.value
ALPHA = stats.DEFAULT_ALPHA
METRIC_FIELDS = {"name", "kind", "event", "property", "better"}
HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)
CORRECTIONS = {Correction.HOLM: stats.holm, Correction.BH: stats.benjamini_hochberg}


# --- Assignment ----------------------------------------------------------------------------------------------------


def bucket(experiment_key: str, subject: str) -> float:
    """The subject's place in [0, 1) for this experiment: sha256 of "<key>:<subject>", first 8 bytes."""
    digest = hashlib.sha256(f"{experiment_key}:{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose(variants: Sequence[Variant], experiment_key: str, subject: str) -> Variant:
    """The variant whose slice of the cumulative shares holds the subject's bucket (variants in their model order)."""
    total = sum(variant.share for variant in variants)
    if not variants or total <= 0:
        raise ValueError(f"Experiment {experiment_key!r} has no variant with a share.")
    point = bucket(experiment_key, subject) * total
    running = 0
    for variant in variants:
        running += variant.share
        if point < running:
            return variant
    return variants[-1]  # unreachable while bucket < 1; kept for float safety


@dataclass(frozen=True)
class Assignment:
    """What a product shows a subject, and what it computes in the shadow."""

    experiment: str
    subject: str
    variant: str
    variant_name: str
    kind: str
    status: str
    shadow_variants: list[str] = field(default_factory=list)


def assignment_for(*, key: str, subject: str) -> Assignment:
    """The subject's variant; ``Experiment.DoesNotExist`` for an unknown or draft experiment. Once stopped or
    concluded, everyone gets the control (the product stops splitting traffic)."""
    experiment = Experiment.objects.exclude(status=ExperimentStatus.DRAFT).get(key=key)
    variants = list(experiment.variants.all())
    control = next((v for v in variants if v.is_control), variants[0] if variants else None)
    if control is None:
        raise Experiment.DoesNotExist(f"Experiment {key!r} has no variants.")
    shadow: list[str] = []
    if experiment.status != ExperimentStatus.RUNNING:
        shown = control
    elif experiment.kind == ExperimentKind.SHADOW:
        shown, shadow = control, [v.key for v in variants if not v.is_control]
    else:
        shown = choose(variants, experiment.key, subject)
    return Assignment(
        experiment=experiment.key,
        subject=subject,
        variant=shown.key,
        variant_name=shown.name,
        kind=experiment.kind,
        status=experiment.status,
        shadow_variants=shadow,
    )


# --- Writes --------------------------------------------------------------------------------------------------------


def validate_metrics(metrics) -> list[dict]:
    """The success metrics, cleaned; ValidationError on ``metrics`` naming the entry and the problem."""
    if not isinstance(metrics, list):
        raise ValidationError({"metrics": 'A list of metrics: [{"name": …, "kind": …, "event": …}].'})
    cleaned, names = [], set()
    for index, metric in enumerate(metrics, 1):
        where = f"Metric #{index}"
        if not isinstance(metric, dict):
            raise ValidationError({"metrics": f"{where}: an object with name, kind, event (and property for a mean)."})
        if unknown := sorted(set(metric) - METRIC_FIELDS):
            raise ValidationError({"metrics": f"{where}: unknown field(s) {', '.join(unknown)}."})
        name, kind = str(metric.get("name") or "").strip(), metric.get("kind")
        event, prop = str(metric.get("event") or "").strip(), str(metric.get("property") or "").strip()
        if not name:
            raise ValidationError({"metrics": f"{where}: a name is needed."})
        if name in names:
            raise ValidationError({"metrics": f"{where}: the name {name!r} is used twice."})
        if kind not in MetricKind.values:
            raise ValidationError({"metrics": f"{where} ({name}): kind must be one of {', '.join(MetricKind.values)}."})
        if not event:
            raise ValidationError({"metrics": f"{where} ({name}): the event that counts as a conversion is needed."})
        if kind == MetricKind.MEAN and not prop:
            raise ValidationError({"metrics": f"{where} ({name}): a mean needs the numeric property to average."})
        better = metric.get("better", HIGHER)
        if better not in DIRECTIONS:
            raise ValidationError(
                {
                    "metrics": f'{where} ({name}): better must be "higher" (the default) or "lower" (e.g. errors, time '
                    f"to value, support cases); got {better!r}."
                }
            )
        names.add(name)
        cleaned.append(
            {
                "name": name,
                "kind": kind,
                "event": event,
                **({"property": prop} if prop else {}),
                **({"better": LOWER} if better == LOWER else {}),
            }
        )
    return cleaned


def validate_variants(variants: Sequence[dict]) -> None:
    """≥ 2 variants, unique keys, shares summing to 100, exactly one control; ValidationError otherwise."""
    if len(variants) < 2:
        raise ValidationError("An experiment needs at least two variants (a control and one to compare).")
    keys = [v["key"] for v in variants]
    if len(set(keys)) != len(keys):
        raise ValidationError("Each variant needs its own key.")
    total = sum(int(v["share"]) for v in variants)
    if total != 100:
        raise ValidationError(f"The variants' shares must sum to 100 %; they sum to {total} %.")
    if any(int(v["share"]) <= 0 for v in variants):
        raise ValidationError("Every variant needs a share above 0 % (remove the variant instead).")
    controls = sum(1 for v in variants if v.get("is_control"))
    if controls != 1:
        raise ValidationError(f"Exactly one variant must be the control; {controls} are.")


@transaction.atomic
def create_experiment(*, key: str, name: str, variants: Sequence[dict], metrics: list, **fields) -> Experiment:
    """A draft experiment with its variants (dicts of key, name, share, is_control) and metrics, all validated."""
    validate_variants(variants)
    experiment = Experiment(key=key, name=name, metrics=validate_metrics(metrics), **fields)
    experiment.full_clean()
    experiment.save()
    Variant.objects.bulk_create(
        Variant(
            experiment=experiment,
            key=v["key"],
            name=v.get("name") or v["key"],
            share=int(v["share"]),
            is_control=bool(v.get("is_control")),
        )
        for v in variants
    )
    return experiment


@transaction.atomic
def start_experiment(*, experiment: Experiment, now: datetime | None = None) -> Experiment:
    """Draft → running, once its variants, metrics and (for a fixed horizon) planned end hold together."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != ExperimentStatus.DRAFT:
        raise ValidationError(f"Only a draft starts; this experiment is {experiment.get_status_display().lower()}.")
    validate_variants(list(experiment.variants.values("key", "share", "is_control")))
    validate_metrics(experiment.metrics)
    if not experiment.metrics:
        raise ValidationError({"metrics": "Name at least one success metric before starting."})
    now = now or timezone.now()
    experiment.start_at = experiment.start_at or now
    if experiment.analysis == ExperimentAnalysis.FIXED_HORIZON and not experiment.planned_end_at:
        raise ValidationError({"planned_end_at": "A fixed-horizon experiment needs its planned end before it starts."})
    if experiment.planned_end_at and experiment.planned_end_at <= experiment.start_at:
        raise ValidationError({"planned_end_at": "The planned end must come after the start."})
    experiment.status = ExperimentStatus.RUNNING
    experiment.save(update_fields=["status", "start_at"])
    return experiment


def stop_experiment(*, experiment: Experiment, now: datetime | None = None) -> Experiment:
    """Running → stopped: products show everyone the control; the analysis keeps its window. ``ended_at`` = now."""
    return _move(experiment, {ExperimentStatus.RUNNING}, ExperimentStatus.STOPPED, now=now)


def conclude_experiment(*, experiment: Experiment, now: datetime | None = None) -> Experiment:
    """Running or stopped → concluded (the decision is taken; the record stays for retrospectives). ``ended_at`` is
    when it stopped collecting: now when concluded while running, the stop's time when it was stopped first."""
    return _move(experiment, {ExperimentStatus.RUNNING, ExperimentStatus.STOPPED}, ExperimentStatus.CONCLUDED, now=now)


def _move(experiment: Experiment, sources: set[str], target: str, *, now: datetime | None) -> Experiment:
    """One guarded UPDATE: the status moves only from ``sources`` (two clicks at once: one wins, the other is told),
    and ``ended_at`` is set by the first of stop and conclude, never moved by the second."""
    changed = Experiment.objects.filter(pk=experiment.pk, status__in=sources).update(
        status=target, ended_at=Coalesce(F("ended_at"), Value(now or timezone.now()))
    )
    if not changed:
        raise ValidationError(f"This experiment cannot become {target}: it is {experiment.status}.")
    experiment.refresh_from_db(fields=["status", "ended_at"])
    return experiment


# --- Analysis ------------------------------------------------------------------------------------------------------

# First exposure per subject; subjects seen in two variants are kept apart (``variants`` > 1) and counted.
EXPOSURES_SQL = """
    SELECT properties->>'subject' AS subject,
           MIN(occurred_at) AS first_at,
           MIN(properties->>'variant') AS variant,
           COUNT(DISTINCT properties->>'variant') AS variants
      FROM insights_productevent
     WHERE name = %(exposure)s AND properties->>'experiment' = %(key)s
       AND occurred_at >= %(start)s AND occurred_at < %(end)s
       AND COALESCE(properties->>'subject', '') <> ''
     GROUP BY 1
"""

COUNTS_SQL = f"""
    WITH exposures AS ({EXPOSURES_SQL})
    SELECT variant, COUNT(*) FILTER (WHERE variants = 1), COUNT(*) FILTER (WHERE variants > 1)
      FROM exposures GROUP BY variant
"""

# Per variant: exposed subjects, converted subjects, and Σ / Σ² of the per-subject value (0 when no conversion).
METRIC_SQL = f"""
    WITH exposures AS ({EXPOSURES_SQL}),
    per_subject AS (
        SELECT e.variant, e.subject, COUNT(c.id) > 0 AS converted,
               COALESCE(SUM(CASE WHEN jsonb_typeof(c.properties -> %(property)s) = 'number'
                                 THEN (c.properties ->> %(property)s)::float8 END), 0) AS value
          FROM exposures e
          LEFT JOIN insights_productevent c
            ON c.name = %(event)s AND c.occurred_at >= e.first_at AND c.occurred_at < %(end)s
           AND COALESCE(NULLIF(c.properties->>'subject', ''), NULLIF(c.contact, ''), c.customer_id::text) = e.subject
         WHERE e.variants = 1
         GROUP BY e.variant, e.subject
    )
    SELECT variant, COUNT(*), COUNT(*) FILTER (WHERE converted), SUM(value), SUM(value * value)
      FROM per_subject GROUP BY variant
"""


@dataclass
class ArmCount:
    """A variant as planned and as exposed."""

    key: str
    name: str
    share: int
    is_control: bool
    exposed: int = 0


@dataclass
class MetricResult:
    """One metric of one treatment against the control (``comparison`` None when it could not be computed)."""

    metric: str
    kind: str
    variant: str
    control: dict
    treatment: dict
    better: str = HIGHER
    comparison: stats.Comparison | None = None
    p_adjusted: float | None = None
    significant: bool = False
    note: str = ""

    @property
    def improves(self) -> bool | None:
        """Whether the treatment moved the metric the better way (None when not computed or no difference)."""
        if self.comparison is None or self.comparison.difference == 0:
            return None
        return (self.comparison.difference > 0) == (self.better == HIGHER)


@dataclass
class Analysis:
    """What the result page and ``analyze_experiment KEY`` show: counts, SRM, results, and a winner or why not."""

    key: str
    name: str
    kind: str
    status: str
    method: str
    correction: str
    alpha: float
    window: tuple[datetime, datetime]
    computed_at: datetime
    arms: list[ArmCount]
    multiple_exposures: int = 0
    srm: stats.SrmResult | None = None
    results: list[MetricResult] = field(default_factory=list)
    results_shown: bool = False
    winner: str | None = None
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """One JSON object; the first metric's first treatment on top (difference, ci_low, ci_high, p_value)."""
        first = next((r for r in self.results if r.comparison is not None), None)
        top = first.comparison.as_dict() if first else {}
        return {
            "experiment": self.key,
            "status": self.status,
            "method": self.method,
            "difference": top.get("difference"),
            "ci_low": top.get("ci_low"),
            "ci_high": top.get("ci_high"),
            "p_value": top.get("p_value"),
            "p_value_adjusted": first.p_adjusted if first else None,
            "srm_p_value": self.srm.p_value if self.srm else None,
            "srm_flagged": self.srm.flagged if self.srm else None,
            "exposed": {arm.key: arm.exposed for arm in self.arms},
            "multiple_exposures": self.multiple_exposures,
            "winner": self.winner,
            "reasons": self.reasons,
            "results": [
                {
                    "metric": r.metric,
                    "kind": r.kind,
                    "better": r.better,
                    "variant": r.variant,
                    "control": r.control,
                    "treatment": r.treatment,
                    **(r.comparison.as_dict() if r.comparison else {}),
                    "p_value_adjusted": r.p_adjusted,
                    "significant": r.significant,
                    "note": r.note,
                }
                for r in self.results
            ],
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "computed_at": self.computed_at.isoformat(),
        }


def analyze_key(key: str, *, now: datetime | None = None) -> Analysis:
    """``analyze`` by key; ``Experiment.DoesNotExist`` when there is none."""
    return analyze(Experiment.objects.get(key=key), now=now)


def analyze(experiment: Experiment, *, now: datetime | None = None) -> Analysis:
    """Count, test and decide (the module's docstring has the rules); 1 + number of metrics SQL queries."""
    now = now or timezone.now()
    start = experiment.start_at or experiment.created_at
    end = window_end(experiment, now=now)
    sequential = experiment.analysis == ExperimentAnalysis.SEQUENTIAL
    arms = [ArmCount(key=v.key, name=v.name, share=v.share, is_control=v.is_control) for v in experiment.variants.all()]
    analysis = Analysis(
        key=experiment.key,
        name=experiment.name,
        kind=experiment.kind,
        status=experiment.status,
        method="sequential" if sequential else "welch",
        correction=experiment.correction,
        alpha=ALPHA,
        window=(start, end),
        computed_at=now,
        arms=arms,
    )
    control = next((arm for arm in arms if arm.is_control), None)
    if control is None or len(arms) < 2:
        analysis.reasons.append("The experiment needs a control and at least one other variant.")
        return analysis
    if experiment.status == ExperimentStatus.DRAFT or end <= start:
        analysis.reasons.append("The experiment has not started: nothing to analyse yet.")
        return analysis
    params = {"exposure": EXPOSURE_EVENT, "key": experiment.key, "start": start, "end": end}
    by_key = {arm.key: arm for arm in arms}
    with connection.cursor() as cursor:
        cursor.execute(COUNTS_SQL, params)
        for variant, single, multiple in cursor.fetchall():
            analysis.multiple_exposures += multiple
            if variant in by_key:
                by_key[variant].exposed = single
    analysis.srm = _srm(arms)
    short = [arm for arm in arms if arm.exposed < experiment.min_sample_per_variant]
    if short:
        analysis.reasons.append(
            f"Not enough data: each variant needs {experiment.min_sample_per_variant:,} exposed subjects before any "
            "result is shown; " + ", ".join(f"{arm.key} has {arm.exposed:,}" for arm in short) + "."
        )
        return analysis
    analysis.results_shown = True
    for metric in experiment.metrics:
        analysis.results += _metric_results(metric, params, control, arms, sequential=sequential)
    _adjust(analysis)
    _decide(analysis, experiment, now=now)
    return analysis


def window_end(experiment: Experiment, *, now: datetime) -> datetime:
    """Where counting stops: the earliest of now, the planned end and when it stopped collecting (``ended_at``)."""
    return min(moment for moment in (now, experiment.planned_end_at, experiment.ended_at) if moment is not None)


def _srm(arms: list[ArmCount]) -> stats.SrmResult | None:
    try:
        return stats.srm([arm.exposed for arm in arms], [arm.share for arm in arms])
    except NotEnoughData:
        return None


def _metric_results(
    metric: dict, params: dict, control: ArmCount, arms: list[ArmCount], *, sequential: bool
) -> list[MetricResult]:
    """Every treatment against the control on one metric."""
    proportion = metric["kind"] == MetricKind.PROPORTION
    with connection.cursor() as cursor:
        cursor.execute(METRIC_SQL, {**params, "event": metric["event"], "property": metric.get("property", "")})
        rows = {variant: (n, converted, total, squares) for variant, n, converted, total, squares in cursor.fetchall()}
    figures = {}
    for arm in arms:
        n, converted, total, squares = rows.get(arm.key, (0, 0, 0.0, 0.0))
        figures[arm.key] = {"n": n, "conversions": converted, "sum": total, "sum_squares": squares}
    compare = stats.confidence_sequence if sequential else stats.welch
    results = []
    for arm in arms:
        if arm is control:
            continue
        result = MetricResult(
            metric=metric["name"],
            kind=metric["kind"],
            variant=arm.key,
            control=figures[control.key],
            treatment=figures[arm.key],
            better=metric.get("better", HIGHER),
        )
        try:
            samples = [
                Sample.from_proportion(f["conversions"], f["n"])
                if proportion
                else Sample.from_sums(f["n"], f["sum"], f["sum_squares"])
                for f in (figures[control.key], figures[arm.key])
            ]
            result.comparison = compare(samples[0], samples[1], alpha=ALPHA)
        except NotEnoughData as error:
            result.note = str(error)
        results.append(result)
    return results


def _adjust(analysis: Analysis) -> None:
    """Holm or BH over every metric × treatment test; significant when the adjusted p is below alpha."""
    tested = [r for r in analysis.results if r.comparison is not None]
    adjusted = CORRECTIONS[analysis.correction]([r.comparison.p_value for r in tested]) if tested else []
    for result, p_adjusted in zip(tested, adjusted, strict=True):
        result.p_adjusted = p_adjusted
        result.significant = p_adjusted < analysis.alpha


def _decide(analysis: Analysis, experiment: Experiment, *, now: datetime) -> None:
    """A winner only when the SRM, the horizon and the primary metric allow it; the reasons otherwise."""
    if analysis.kind == ExperimentKind.SHADOW:
        analysis.reasons.append("A shadow experiment is compared, never won: its variants were not shown.")
    if analysis.srm is not None and analysis.srm.flagged:
        analysis.reasons.append(
            f"Sample ratio mismatch (χ² p = {analysis.srm.p_value:.2g} < {stats.SRM_ALPHA}): the split does not "
            "follow the planned shares, so the assignment or the exposure logging is broken; fix it before reading "
            "any result."
        )
    planned_end, ended = experiment.planned_end_at, experiment.ended_at
    if experiment.analysis == ExperimentAnalysis.FIXED_HORIZON:
        if planned_end is not None and ended is not None and ended < planned_end:
            analysis.reasons.append(
                f"Fixed horizon: stopped on {ended:%Y-%m-%d %H:%M}, before its planned end "
                f"({planned_end:%Y-%m-%d %H:%M}); stopping early is peeking, so its result cannot declare a winner."
            )
        elif planned_end is None or now < planned_end:
            when = f"{planned_end:%Y-%m-%d %H:%M}" if planned_end else "not set"
            analysis.reasons.append(
                f"Fixed horizon: no winner before the planned end ({when}); looking earlier is peeking."
            )
    primary_name = experiment.metrics[0]["name"] if experiment.metrics else None
    primary = [r for r in analysis.results if r.metric == primary_name]
    if not primary:
        analysis.reasons.append("No success metric to decide on.")
        return
    better = [r for r in primary if r.significant and r.improves]
    worse = [r for r in primary if r.significant and r.improves is False]
    if better:
        # the biggest improvement: the largest difference, or the most negative when lower is better
        candidate = max(better, key=lambda r: abs(r.comparison.difference)).variant
    elif len(worse) == len(primary):
        candidate = next(arm.key for arm in analysis.arms if arm.is_control)
    else:
        untested = [r for r in primary if r.comparison is None]
        detail = "; ".join(f"{r.variant}: {r.note}" for r in untested) if untested else ""
        best = min((r.p_adjusted for r in primary if r.p_adjusted is not None), default=None)
        analysis.reasons.append(
            f"No significant difference on {primary_name!r}"
            + (f" (smallest adjusted p = {best:.4f}, α = {analysis.alpha})" if best is not None else "")
            + (f"; {detail}" if detail else "")
            + "."
        )
        return
    if not analysis.reasons:
        analysis.winner = candidate


def report(analysis: Analysis) -> str:
    """The readable report of ``analyze_experiment KEY``."""
    method = "always-valid confidence sequence" if analysis.method == "sequential" else "Welch t-test (fixed horizon)"
    lines = [
        f"{analysis.name} ({analysis.key}) — {analysis.status}, {method}, correction {analysis.correction}",
        f"Window {analysis.window[0]:%Y-%m-%d %H:%M} → {analysis.window[1]:%Y-%m-%d %H:%M}",
        "",
    ]
    for arm in analysis.arms:
        role = " (control)" if arm.is_control else ""
        lines.append(f"  {arm.key}{role}: planned {arm.share} %, exposed {arm.exposed:,}")
    if analysis.multiple_exposures:
        lines.append(f"  left out: {analysis.multiple_exposures:,} subjects exposed to more than one variant")
    if analysis.srm:
        verdict = "MISMATCH" if analysis.srm.flagged else "ok"
        lines.append(f"Sample ratio check: χ² p = {analysis.srm.p_value:.4g} ({verdict})")
    for r in analysis.results:
        lines.append("")
        lines.append(f"{r.metric} ({r.better} is better) — {r.variant} against the control:")
        if r.comparison is None:
            lines.append(f"  not computed: {r.note}")
            continue
        c = r.comparison
        rel = (
            f"  relative {c.relative_difference * 100:+.2f} % ({c.relative_ci_low * 100:+.2f} %, "
            f"{c.relative_ci_high * 100:+.2f} %)"
            if c.relative_difference is not None
            else ""
        )
        lines.append(
            f"  {c.control_mean:.5f} → {c.treatment_mean:.5f}; difference {c.difference:.5f} "
            f"CI ({c.ci_low:.5f}, {c.ci_high:.5f}){rel}"
        )
        lines.append(
            f"  p = {c.p_value:.6f}, adjusted {r.p_adjusted:.6f}"
            + (f" — significant, {'better' if r.improves else 'worse'}" if r.significant else "")
        )
    lines.append("")
    lines.append(f"Winner: {analysis.winner}" if analysis.winner else "No winner:")
    lines += [f"  - {reason}" for reason in analysis.reasons]
    return "\n".join(lines)
