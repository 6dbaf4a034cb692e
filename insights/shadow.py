"""Shadow experiments (issue 11, seed 004): a variant computed and logged but never shown, compared with the live one
on the same subjects.

**Recording.** ``record_shadow`` / ``record_observations`` store what a shadow variant produced for a subject beside
what the live variant produced (``ShadowObservation``), once per (experiment, variant, subject): one
``INSERT … ON CONFLICT DO NOTHING`` per batch, rows in key order (two overlapping batches never deadlock), so a
re-sent observation is a duplicate and the first one stays. Only a running shadow experiment records, and only for
one of its non-control variants. Doors: the triage shadow below, ``POST /api/experiments/{key}/shadow/`` (products),
the demo.

**Triage, the first use.** A running shadow experiment whose control's key names the live triage provider
(``offline`` or ``mistral``) and whose other variants name another provider (``mistral``, ``offline``, or
``offline--<classifier version>`` for a trained ``ClassifierVersion`` that is not active). ``shadow_triage_batch``
takes the items the live provider triaged (an *applied* ``TriageRecord``) since the start that the variant has not
seen yet, in bounded batches, runs the variant's provider on them with ``feedback.triage.compute_triage`` (the live
triage's own request, vectors, provider call and record with seed 002's priority) and writes nothing but
observations: no item field, no ``TriageRecord`` (a shadow record would become the item's latest triage, and a
person's later correction would then not be logged as an override of the live one), no vector. The subject is
``feedback:<id>``. The schedule (migration 0014) runs ``insights.tasks.shadow_triage`` every 15 minutes.

**Comparing** (``compare``): per variant and per field, the agreement rate with a 95 % Wilson interval and n, the
five most frequent disagreements (live → shadow), and, for triage, against the people: on the items a person
reviewed (moved past New or changed a triage field, as in ``feedback.triage_quality``) the accuracy of the live and
of the shadow value against the value the item carries now, and of the live values a person overrode
(``FieldOverride``), how many the shadow had right. Two SQL queries.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BigIntegerField, Count
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from feedback import triage
from feedback.models import ClassifierVersion, FeedbackItem, TriageRecord
from feedback.triage_quality import SHADOW_FIELDS
from insights.choices import ExperimentKind, ExperimentStatus
from insights.models import Experiment, ShadowObservation, Variant
from themes.significance import wilson_interval

TRIAGE_PROVIDERS = ("offline", "mistral")
SUBJECT_PREFIX = "feedback:"
BATCH_SIZE = 100  # items per shadow provider call (a Mistral shadow pays one request per batch)
MAX_SUBJECT = 200
MAX_VALUES_CHARS = 4_000  # the JSON text of one side of an observation: field values, not payloads
TOP_DISAGREEMENTS = 5
HUMAN_FIELD = {"sentiment_label": "sentiment_score"}  # a person sets the score; the label follows it
SCHEDULE_EVERY_SECONDS = 900  # the shadow task's schedule (migration 0014; editable in the admin)
SCHEDULE_EXPIRE_SECONDS = 840  # a run not started within 14 minutes is dropped: the next one does the work


# --- Recording -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One subject seen by one shadow variant: the live output and the shadow output, field by field."""

    variant: str
    subject: str
    live: dict
    shadow: dict


@dataclass
class Recorded:
    """What a batch did: observations stored, and those already there (the first one is kept)."""

    created: int = 0
    duplicate: int = 0
    subjects: list[str] = field(default_factory=list)


def check_recording(experiment: Experiment) -> dict[str, Variant]:
    """The experiment's shadow variants by key; ValidationError unless it is a running shadow experiment."""
    if experiment.kind != ExperimentKind.SHADOW:
        raise ValidationError(f"{experiment.key} is an A/B experiment: only a shadow experiment records observations.")
    if experiment.status != ExperimentStatus.RUNNING:
        raise ValidationError(f"{experiment.key} is {experiment.status}: only a running experiment records.")
    return {v.key: v for v in experiment.variants.all() if not v.is_control}


def clean_observation(observation: Observation, variants: dict[str, Variant]) -> list[str]:
    """The problems of one observation (empty when it can be stored)."""
    problems = []
    if observation.variant not in variants:
        names = ", ".join(sorted(variants)) or "none"
        problems.append(f"variant {observation.variant!r} is not a shadow variant of this experiment ({names}).")
    subject = observation.subject.strip() if isinstance(observation.subject, str) else ""
    if not subject or len(subject) > MAX_SUBJECT:
        problems.append(f"subject: 1 to {MAX_SUBJECT} characters.")
    for side in ("live", "shadow"):
        values = getattr(observation, side)
        if not isinstance(values, dict) or not values:
            problems.append(f"{side}: an object of field → value, not empty.")
        elif len(json.dumps(values)) > MAX_VALUES_CHARS:
            problems.append(f"{side}: at most {MAX_VALUES_CHARS:,} characters of JSON.")
    return problems


INSERT_SQL = """
INSERT INTO insights_shadowobservation (experiment_id, variant_id, subject, live, shadow)
SELECT %(experiment)s, r.variant_id, r.subject, r.live, r.shadow
  FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(variant_id bigint, subject text, live jsonb, shadow jsonb)
 ORDER BY r.variant_id, r.subject
ON CONFLICT (experiment_id, variant_id, subject) DO NOTHING
RETURNING subject
"""


def record_observations(*, experiment: Experiment, observations: Iterable[Observation]) -> Recorded:
    """Store ``observations`` of a running shadow experiment, each at most once (a re-send is a duplicate)."""
    variants = check_recording(experiment)
    rows, seen = [], set()
    for n, observation in enumerate(observations, 1):
        if problems := clean_observation(observation, variants):
            raise ValidationError(f"Observation #{n}: " + " ".join(problems))
        key = (observation.variant, observation.subject.strip())
        if key in seen:
            continue  # the same subject twice in one batch: the first one counts
        seen.add(key)
        rows.append(
            {
                "variant_id": variants[key[0]].pk,
                "subject": key[1],
                "live": observation.live,
                "shadow": observation.shadow,
            }
        )
    result = Recorded()
    if not rows:
        return result
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, {"experiment": experiment.pk, "rows": json.dumps(rows)})
        result.subjects = [subject for (subject,) in cursor.fetchall()]
    result.created = len(result.subjects)
    result.duplicate = len(rows) - result.created
    return result


def record_shadow(experiment: Experiment, subject: str, variant_key: str, *, live: dict, shadow: dict) -> bool:
    """Store one observation; True when stored, False when the variant had already seen the subject."""
    observation = Observation(variant=variant_key, subject=subject, live=live, shadow=shadow)
    return record_observations(experiment=experiment, observations=[observation]).created == 1


# --- Triage in the shadow ------------------------------------------------------------------------------------------

_providers: dict[str, object] = {}
_providers_lock = threading.Lock()


def triage_provider_for(variant_key: str):
    """The provider a variant's key names: ``offline``, ``mistral`` (the configured ones, with the active classifier),
    or ``offline--<classifier version>`` (an offline provider of its own with that trained version loaded).
    ValidationError for anything else."""
    from ai.providers import OfflineProvider, get_provider

    name, _, version = variant_key.partition("--")
    if name not in TRIAGE_PROVIDERS or (version and name != "offline"):
        raise ValidationError(
            f"Variant {variant_key!r} names no triage provider: use offline, mistral or offline--<classifier version>."
        )
    if not version:
        provider = get_provider(name)
        triage.use_active_classifier(provider)
        return provider
    with _providers_lock:
        if variant_key not in _providers:
            blob = ClassifierVersion.objects.filter(version=version).values_list("blob", flat=True).first()
            if blob is None:
                raise ValidationError(f"Variant {variant_key!r}: no trained classifier version {version!r}.")
            provider = OfflineProvider()
            provider.load_classifier(bytes(blob))
            _providers[variant_key] = provider
        return _providers[variant_key]


def is_triage_experiment(experiment: Experiment) -> bool:
    """A shadow experiment whose control names a triage provider (its variants are then triage providers too)."""
    control = next((v for v in experiment.variants.all() if v.is_control), None)
    return experiment.kind == ExperimentKind.SHADOW and control is not None and control.key in TRIAGE_PROVIDERS


def triage_values(record: TriageRecord) -> dict:
    """The compared fields of a triage record."""
    return {name: getattr(record, name) or "" for name in SHADOW_FIELDS}


def shadow_triage(*, items: list[FeedbackItem], provider) -> dict[int, dict]:
    """What ``provider`` would conclude about ``items`` (``feedback.triage.compute_triage``: the live triage's own
    request, vectors, provider call and record), by item id; nothing is written (new vectors are computed and
    dropped)."""
    return {one.item.pk: triage_values(one.record) for one in triage.compute_triage(items, provider=provider)}


def pending_live_records(*, experiment: Experiment, variant: Variant, limit: int) -> list[TriageRecord]:
    """The latest applied record of each item the live provider triaged since the start that ``variant`` has not
    observed yet, oldest item first, at most ``limit``."""
    control = next(v for v in experiment.variants.all() if v.is_control)
    seen = ShadowObservation.objects.filter(experiment=experiment, variant=variant).values("subject")
    return list(
        TriageRecord.objects.filter(
            outcome=TriageRecord.Outcome.APPLIED, provider=control.key, created_at__gte=experiment.start_at
        )
        .exclude(feedback_id__in=_item_ids(seen))
        .order_by("feedback_id", "-created_at", "-id")
        .distinct("feedback_id")[:limit]
    )


def _item_ids(subjects):
    """The item ids of ``feedback:<id>`` subjects, as a subquery."""
    return subjects.filter(subject__regex=r"^feedback:[0-9]{1,18}$").values_list(
        Cast(Substr("subject", len(SUBJECT_PREFIX) + 1), BigIntegerField()), flat=True
    )


@dataclass
class ShadowRun:
    """What one batch of the triage shadow did, per variant: observations recorded, and whether more are waiting."""

    recorded: dict[str, int] = field(default_factory=dict)
    more: bool = False


def shadow_triage_batch(*, experiment: Experiment, batch_size: int = BATCH_SIZE) -> ShadowRun:
    """One bounded batch per shadow variant of a running triage shadow experiment; idempotent (an item a variant has
    observed is not triaged again). Never changes an item."""
    run = ShadowRun()
    check_recording(experiment)
    if not is_triage_experiment(experiment):
        names = ", ".join(TRIAGE_PROVIDERS)
        raise ValidationError(f"{experiment.key}: its control names no triage provider ({names}).")
    for variant in experiment.variants.all():
        if variant.is_control:
            continue
        provider = triage_provider_for(variant.key)
        records = pending_live_records(experiment=experiment, variant=variant, limit=batch_size)
        items = list(
            FeedbackItem.objects.filter(pk__in=[r.feedback_id for r in records])
            .select_related("customer")
            .defer("raw_payload")
            .order_by("pk")
        )
        computed = shadow_triage(items=items, provider=provider)
        done = record_observations(
            experiment=experiment,
            observations=[
                Observation(
                    variant=variant.key,
                    subject=f"{SUBJECT_PREFIX}{record.feedback_id}",
                    live=triage_values(record),
                    shadow=computed[record.feedback_id],
                )
                for record in records
                if record.feedback_id in computed
            ],
        )
        run.recorded[variant.key] = done.created
        run.more = run.more or len(records) == batch_size
    return run


def running_triage_experiments() -> list[Experiment]:
    """The running shadow experiments whose variants are triage providers."""
    candidates = Experiment.objects.filter(kind=ExperimentKind.SHADOW, status=ExperimentStatus.RUNNING)
    return [e for e in candidates.prefetch_related("variants") if is_triage_experiment(e)]


# --- Comparing -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """k of n, with its 95 % Wilson interval."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.hits, self.n)

    def as_dict(self) -> dict:
        low, high = self.interval
        return {"hits": self.hits, "n": self.n, "rate": self.value, "ci_low": low, "ci_high": high}


@dataclass
class FieldComparison:
    """One field of one shadow variant against the live one."""

    field: str
    agreement: Rate
    disagreements: list[tuple[str, str, int]] = field(default_factory=list)  # (live, shadow, count), top 5
    live_vs_people: Rate | None = None  # reviewed items: the live value is the one the item carries now
    shadow_vs_people: Rate | None = None
    shadow_on_overrides: Rate | None = None  # of the live values a person overrode, the shadow had the person's


@dataclass
class VariantComparison:
    key: str
    name: str
    observations: int
    fields: list[FieldComparison] = field(default_factory=list)


@dataclass
class ShadowComparison:
    key: str
    name: str
    status: str
    triage: bool
    computed_at: datetime
    variants: list[VariantComparison] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "experiment": self.key,
            "status": self.status,
            "computed_at": self.computed_at.isoformat(),
            "variants": [
                {
                    "variant": v.key,
                    "observations": v.observations,
                    "fields": [
                        {
                            "field": f.field,
                            "agreement": f.agreement.as_dict(),
                            "disagreements": [{"live": a, "shadow": b, "count": c} for a, b, c in f.disagreements],
                            **{
                                name: getattr(f, name).as_dict() if getattr(f, name) else None
                                for name in ("live_vs_people", "shadow_vs_people", "shadow_on_overrides")
                            },
                        }
                        for f in v.fields
                    ],
                }
                for v in self.variants
            ],
        }


CONFUSION_SQL = """
SELECT o.variant_id, k.field, o.live ->> k.field, o.shadow ->> k.field, COUNT(*)
  FROM insights_shadowobservation o
 CROSS JOIN LATERAL jsonb_object_keys(o.live || o.shadow) AS k(field)
 WHERE o.experiment_id = %(experiment)s
 GROUP BY 1, 2, 3, 4
"""

# Per variant and field, against the people: items a person reviewed (moved past New or changed a triage field),
# the person's value being what the item carries now; and of those, the fields a person overrode (FieldOverride).
PEOPLE_SQL = """
WITH obs AS (
    SELECT o.variant_id, o.live, o.shadow,
           CASE WHEN o.subject ~ '^feedback:[0-9]{{1,18}}$' THEN substr(o.subject, {start})::bigint END AS item_id
      FROM insights_shadowobservation o
     WHERE o.experiment_id = %(experiment)s
)
SELECT obs.variant_id, k.field,
       COUNT(*),
       COUNT(*) FILTER (WHERE obs.live ->> k.field = k.person),
       COUNT(*) FILTER (WHERE obs.shadow ->> k.field = k.person),
       COUNT(*) FILTER (WHERE k.overridden),
       COUNT(*) FILTER (WHERE k.overridden AND obs.shadow ->> k.field = k.person)
  FROM obs
  JOIN feedback_feedbackitem f ON f.id = obs.item_id
 CROSS JOIN LATERAL (VALUES {values}) AS k(field, person, overridden)
 WHERE f.status <> 'new' OR cardinality(f.human_fields) > 0
 GROUP BY 1, 2
"""


def _people_sql() -> str:
    overridden = "EXISTS (SELECT 1 FROM feedback_fieldoverride fo WHERE fo.feedback_id = f.id AND fo.field = '{human}')"
    values = ", ".join(
        f"('{name}', f.{name}::text, " + overridden.format(human=HUMAN_FIELD.get(name, name)) + ")"
        for name in SHADOW_FIELDS
    )
    return PEOPLE_SQL.format(start=len(SUBJECT_PREFIX) + 1, values=values)


def compare(experiment: Experiment, *, now: datetime | None = None) -> ShadowComparison:
    """Every shadow variant against the live one, field by field (the module's docstring has the figures)."""
    variants = [v for v in experiment.variants.all() if not v.is_control]
    triage_kind = is_triage_experiment(experiment)
    result = ShadowComparison(
        key=experiment.key,
        name=experiment.name,
        status=experiment.status,
        triage=triage_kind,
        computed_at=now or timezone.now(),
    )
    cells: dict[int, dict[str, list[tuple[str | None, str | None, int]]]] = defaultdict(lambda: defaultdict(list))
    with connection.cursor() as cursor:
        cursor.execute(CONFUSION_SQL, {"experiment": experiment.pk})
        for variant_id, name, live, shadow, count in cursor.fetchall():
            cells[variant_id][name].append((live, shadow, count))
        people = {}
        if triage_kind:
            cursor.execute(_people_sql(), {"experiment": experiment.pk})
            people = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    counts = dict(
        ShadowObservation.objects.filter(experiment=experiment)
        .values("variant_id")
        .annotate(n=Count("id"))
        .values_list("variant_id", "n")
    )
    for variant in variants:
        comparison = VariantComparison(key=variant.key, name=variant.name, observations=counts.get(variant.pk, 0))
        names = list(SHADOW_FIELDS) if triage_kind else sorted(cells[variant.pk])
        for name in names:
            pairs = cells[variant.pk].get(name, [])
            n = sum(count for _, _, count in pairs)
            agree = sum(count for live, shadow, count in pairs if live == shadow)
            apart = sorted(
                ((live or "—", shadow or "—", count) for live, shadow, count in pairs if live != shadow),
                key=lambda pair: (-pair[2], pair[0], pair[1]),
            )
            figures = FieldComparison(field=name, agreement=Rate(agree, n), disagreements=apart[:TOP_DISAGREEMENTS])
            if triage_kind:
                reviewed, live_right, shadow_right, overridden, shadow_on = people.get(
                    (variant.pk, name), (0, 0, 0, 0, 0)
                )
                figures.live_vs_people = Rate(live_right, reviewed)
                figures.shadow_vs_people = Rate(shadow_right, reviewed)
                figures.shadow_on_overrides = Rate(shadow_on, overridden)
            comparison.fields.append(figures)
        result.variants.append(comparison)
    return result
