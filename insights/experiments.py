"""A/B and shadow experiments (issue 11, seed 004 "A/B Testing Framework"): the writes, the assignment, the analysis.

**Writes.** Every door (admin form and inline, API, demo) goes through ``create_experiment``, ``validate_metrics``,
``validate_variants`` and ``start_experiment`` / ``stop_experiment`` / ``conclude_experiment``: a running experiment
has ≥ 2 variants whose shares sum to 100 with exactly one control, and at least one success metric; a fixed-horizon
one has a planned end (else "no peeking" has no meaning).

**Assignment** is a pure function of the experiment key and the subject: sha256("<key>:<subject>"), its first 8
bytes as a number in [0, 1), placed on the variants' cumulative shares (control first, then by key). Nothing is
stored or random, so every process, every restart and every product computing it itself gets the same variant.
A shadow experiment shows everyone the control and names the other variants as computed in the shadow.

**Analysis** (``analyze``) reads product events (``insights.models.ProductEvent``) in SQL:

- an exposure is an ``experiment_exposure`` event with ``properties = {"experiment", "variant", "subject"}``; a
  subject counts once, from its first exposure; a subject exposed to two variants is left out and counted;
- a conversion is the metric's event by the same subject at or after its first exposure, within the window (start →
  planned end, or now). A conversion event names its subject by ``properties.subject``, else its ``contact``, else
  its customer's id. A proportion metric asks "did the subject send it"; a mean metric sums the event's numeric
  ``properties[property]`` per subject (0 when it sent none) and compares the means.
- then ``insights.stats``: Welch (fixed horizon) or the always-valid confidence sequence (sequential) for every
  metric × treatment against the control, adjusted by Holm or Benjamini-Hochberg over that family, and the SRM check
  of the exposed subjects against the planned shares.

A winner is declared only when every variant has the minimum sample, the SRM check passes, a fixed horizon has
reached its planned end, and the first metric (the primary one) shows a significant difference after the
correction; otherwise ``reasons`` says what is missing. Before the minimum sample no figure is shown at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from insights import stats
from insights.choices import Correction, ExperimentAnalysis, ExperimentKind, ExperimentStatus, MetricKind
from insights.models import Experiment, Variant

EXPOSURE_EVENT = "experiment_exposure"
ALPHA = stats.DEFAULT_ALPHA
METRIC_FIELDS = {"name", "kind", "event", "property"}
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
        names.add(name)
        cleaned.append({"name": name, "kind": kind, "event": event, **({"property": prop} if prop else {})})
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


def stop_experiment(*, experiment: Experiment) -> Experiment:
    """Running → stopped: products show everyone the control; the analysis keeps its window."""
    return _move(experiment, {ExperimentStatus.RUNNING}, ExperimentStatus.STOPPED)


def conclude_experiment(*, experiment: Experiment) -> Experiment:
    """Running or stopped → concluded (the decision is taken; the record stays for retrospectives)."""
    return _move(experiment, {ExperimentStatus.RUNNING, ExperimentStatus.STOPPED}, ExperimentStatus.CONCLUDED)


def _move(experiment: Experiment, sources: set[str], target: str) -> Experiment:
    changed = Experiment.objects.filter(pk=experiment.pk, status__in=sources).update(status=target)
    if not changed:
        raise ValidationError(f"This experiment cannot become {target}: it is {experiment.status}.")
    experiment.refresh_from_db(fields=["status"])
    return experiment
