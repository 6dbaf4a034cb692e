"""Reads that carry the triage's quality rules (seed 002, "Validating AI Triage Before Relying On It").

- Override rate, per field: of the items where triage wrote a field, the share a person changed afterwards
  (``FieldOverride`` over applied ``TriageRecord``\\ s of the window). Over 30 % and "AI isn't helping" (seed 002).
- Accuracy from reviews: an item counts as *reviewed* once a person moved it past New or changed one of its triage
  fields (``human_fields``). Its latest applied triage is then right where the person left triage's value as it
  was, wrong where they changed it. Targets: category ≥ 85 %, sentiment direction ≥ 90 % (items a person left
  positive or negative; right when triage said the same).
- Shadow agreement: for shadow-mode records (nothing applied), how often the value a person then set on the item
  equals the one the AI would have set.

Every figure reads a bounded window of records (``triage_created_idx``; at most ``max(WINDOWS)`` days), a handful of
aggregate queries per page, none per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from feedback.choices import Sentiment, Status
from feedback.models import ClassifierVersion, FeedbackItem, FieldOverride, TriageRecord
from feedback.overrides import HUMAN_FIELDS

WINDOWS = (7, 30, 90)
ACCURACY_WINDOW = 90
TARGETS = {"category": 0.85, "sentiment_direction": 0.90}
OVERRIDE_ALERT = 0.30  # seed 002: "If >30%, AI isn't helping"
SHADOW_FIELDS = ("category", "priority", "severity", "product", "product_area", "sentiment_label")
DIRECTIONS = [Sentiment.POSITIVE, Sentiment.NEGATIVE]
Outcome = TriageRecord.Outcome


def _newer_record() -> Exists:
    return Exists(TriageRecord.objects.filter(feedback=OuterRef("feedback"), created_at__gt=OuterRef("created_at")))


def needing_a_person(queryset: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    """Items whose latest triage needs a person (text the provider cannot read well) and that no person has dealt
    with yet (still New, no triage field set by a person). Read from ``triage_needs_review_idx``."""
    latest = TriageRecord.objects.filter(outcome=Outcome.NEEDS_REVIEW).exclude(_newer_record()).values("feedback_id")
    return queryset.filter(pk__in=latest, status=Status.NEW, human_fields=[])


@dataclass(frozen=True)
class Rate:
    """A share with what it is made of."""

    hits: int
    total: int
    target: float | None = None

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def percent(self) -> float:
        return round(100 * (self.value or 0), 1)

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target


def override_rates(*, now: datetime | None = None) -> list[dict]:
    """Per triage field: for each window, overrides / items where triage wrote the field. Two queries."""
    now = now or timezone.now()
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    oldest = since[max(WINDOWS)]
    applied = TriageRecord.objects.filter(outcome=Outcome.APPLIED, created_at__gte=oldest).aggregate(
        **{
            f"{name}__{days}": Count("id", filter=Q(applied_fields__contains=[name], created_at__gte=since[days]))
            for name in HUMAN_FIELDS
            for days in WINDOWS
        }
    )
    overridden = FieldOverride.objects.filter(
        triage__outcome=Outcome.APPLIED, triage__created_at__gte=oldest
    ).aggregate(
        **{
            f"{name}__{days}": Count("id", filter=Q(field=name, triage__created_at__gte=since[days]))
            for name in HUMAN_FIELDS
            for days in WINDOWS
        }
    )
    rows = []
    for name in HUMAN_FIELDS:
        rates = [Rate(hits=overridden[f"{name}__{days}"], total=applied[f"{name}__{days}"]) for days in WINDOWS]
        rows.append({"field": name, "label": name.replace("_", " "), "rates": rates})
    return rows


def review_accuracy(*, days: int = ACCURACY_WINDOW, now: datetime | None = None) -> dict[str, Rate | int]:
    """Category and sentiment-direction accuracy of the latest applied triage of the items people reviewed."""
    now = now or timezone.now()
    reviewed = (
        TriageRecord.objects.filter(outcome=Outcome.APPLIED, created_at__gte=now - timedelta(days=days))
        .exclude(_newer_record())
        .filter(~Q(feedback__status=Status.NEW) | ~Q(feedback__human_fields=[]))
    )
    category = Q(applied_fields__contains=["category"])
    direction = Q(applied_fields__contains=["sentiment_score"], feedback__sentiment_label__in=DIRECTIONS)
    figures = reviewed.aggregate(
        reviewed=Count("id"),
        category_total=Count("id", filter=category),
        category_right=Count("id", filter=category & Q(feedback__category=F("category"))),
        direction_total=Count("id", filter=direction),
        direction_right=Count("id", filter=direction & Q(feedback__sentiment_label=F("sentiment_label"))),
    )
    return {
        "reviewed": figures["reviewed"],
        "category": Rate(figures["category_right"], figures["category_total"], TARGETS["category"]),
        "sentiment_direction": Rate(
            figures["direction_right"], figures["direction_total"], TARGETS["sentiment_direction"]
        ),
    }


def shadow_agreement(*, days: int = ACCURACY_WINDOW, now: datetime | None = None) -> list[dict]:
    """Per field: of the shadow records whose item a person then set that field on, how many agree. One query."""
    now = now or timezone.now()
    shadow = TriageRecord.objects.filter(outcome=Outcome.SHADOW, created_at__gte=now - timedelta(days=days))
    aggregates = {}
    for name in SHADOW_FIELDS:
        human = "sentiment_score" if name == "sentiment_label" else name
        set_by_person = Q(feedback__human_fields__contains=[human])
        aggregates[f"{name}__total"] = Count("id", filter=set_by_person)
        aggregates[f"{name}__hits"] = Count("id", filter=set_by_person & Q(**{f"feedback__{name}": F(name)}))
    figures = shadow.aggregate(records=Count("id"), **aggregates)
    return [
        {
            "field": name.replace("_", " "),
            "rate": Rate(figures[f"{name}__hits"], figures[f"{name}__total"]),
        }
        for name in SHADOW_FIELDS
    ] + [{"records": figures["records"]}]


def outcomes(*, days: int = 30, now: datetime | None = None) -> dict[str, int]:
    """Triage records of the window by outcome, and the items waiting for a person now."""
    now = now or timezone.now()
    counts = TriageRecord.objects.filter(created_at__gte=now - timedelta(days=days)).aggregate(
        **{outcome.value: Count("id", filter=Q(outcome=outcome)) for outcome in Outcome}
    )
    counts["waiting"] = needing_a_person(FeedbackItem.objects.all()).count()
    return counts


def classifier_versions(limit: int = 10) -> list[ClassifierVersion]:
    """The newest trained classifier versions (without their blobs)."""
    return list(ClassifierVersion.objects.defer("blob")[:limit])


def quality_report(*, now: datetime | None = None) -> dict:
    """Everything the admin's "Triage quality" page shows."""
    now = now or timezone.now()
    shadow = shadow_agreement(now=now)
    return {
        "windows": WINDOWS,
        "accuracy_window": ACCURACY_WINDOW,
        "override_alert": int(OVERRIDE_ALERT * 100),
        "override_rates": override_rates(now=now),
        "accuracy": review_accuracy(now=now),
        "shadow": shadow[:-1],
        "shadow_records": shadow[-1]["records"],
        "outcomes": outcomes(now=now),
        "classifier_versions": classifier_versions(),
        "generated_at": now,
    }
