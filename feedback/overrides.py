"""Human overrides (seed 002: "every override gets logged for model improvement").

A triage field a person changes becomes theirs (``FeedbackItem.human_fields``: triage never overwrites it again), and
when triage had set it, the change is logged as a ``FieldOverride``. ``services.save_feedback`` calls
``record_human_changes`` for every door a person saves through (admin form and grid, API, import), so no door can skip
it.
"""

from __future__ import annotations

from django.db import transaction

from feedback.models import FeedbackItem, FieldOverride, TriageRecord

# Triage fields a person may set; once set by a person they are in ``human_fields`` and triage leaves them alone.
HUMAN_FIELDS = (
    "category",
    "product",
    "product_area",
    "severity",
    "priority",
    "sentiment_score",
    "tags",
    "language",
    "churn_signal",
    "competitors",
    "jtbd",
    "summary",
)


def _comparable(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, str):
        return value.replace("\r\n", "\n")  # a browser sends a textarea's line breaks back as CRLF: not a change
    return value


def _as_text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)[:300]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return ("" if value is None else str(value))[:300]


@transaction.atomic
def record_human_changes(*, item: FeedbackItem, before: dict | None, user=None) -> list[str]:
    """After a person saved ``item``: the triage fields they changed become theirs (``human_fields``), and each one
    triage had set is logged as a ``FieldOverride`` (the AI's value, the person's, who, when). Returns the fields
    changed.

    ``before`` holds the triage fields' values as stored before the change; None for a new item, whose every triage
    field given is the person's. ``services.save_feedback`` calls this for every door a person saves through.
    """
    if before is None:
        changed = [name for name in HUMAN_FIELDS if _comparable(getattr(item, name)) not in ("", (), False)]
    else:
        changed = [
            name
            for name in HUMAN_FIELDS
            if name in before and _comparable(before[name]) != _comparable(getattr(item, name))
        ]
    if not changed:
        return []
    saved = FeedbackItem.objects.select_for_update().filter(pk=item.pk).values_list("human_fields", flat=True).first()
    human = list(saved or [])
    new = [name for name in changed if name not in human]
    if not new:
        return changed
    if before is not None:
        latest = TriageRecord.objects.filter(feedback_id=item.pk).order_by("-created_at", "-id").first()
        if latest is not None and latest.outcome == TriageRecord.Outcome.APPLIED:
            FieldOverride.objects.bulk_create(
                FieldOverride(
                    feedback_id=item.pk,
                    triage=latest,
                    field=name,
                    ai_value=_as_text(getattr(latest, name)),
                    human_value=_as_text(getattr(item, name)),
                    user=user if getattr(user, "pk", None) else None,
                )
                for name in new
                if name in latest.applied_fields
            )
    item.human_fields = sorted({*human, *new})
    FeedbackItem.objects.filter(pk=item.pk).update(human_fields=item.human_fields)
    return changed
