"""Who changed what: reads the history django-pghistory's triggers store for a tracked model.

Each tracked model keeps an event per update (the row as it was before) and per delete. The changes of update k are
the differences between its snapshot and the next one (or the current row, for the latest update).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models

SKIPPED = {"id", "pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context", "pgh_obj_id", "pgh_context_id"}


@dataclass(frozen=True)
class Change:
    """One change of one object: when, by whom (if known), through which page, and each field's old → new."""

    at: datetime
    who: str
    url: str
    fields: list[tuple[str, str, str]]  # (field label, before, after)


def _display(instance: models.Model, field: models.Field) -> str:
    value = getattr(instance, field.attname)
    if value in (None, "", []):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def changes_of(obj: models.Model, *, limit: int = 25) -> list[Change]:
    """The latest ``limit`` changes of ``obj``, newest first (two queries: events with context, then users)."""
    if not hasattr(obj, "events"):
        return []
    events = list(obj.events.select_related("pgh_context").order_by("-pgh_id")[: limit + 1])
    if not events:
        return []
    event_model = type(events[0])
    tracked = [
        field
        for field in event_model._meta.concrete_fields
        if field.name not in SKIPPED and hasattr(obj, field.attname)
    ]
    user_ids = {e.pgh_context.metadata.get("user") for e in events if e.pgh_context_id and e.pgh_context}
    users = {
        str(u.pk): u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in=user_ids - {None})
    }
    changes, after = [], obj
    for event in events[:limit]:  # newest first: ``after`` is the state that followed this snapshot
        fields = [
            (str(field.verbose_name), _display(event, field), _display(after, field))
            for field in tracked
            if getattr(event, field.attname) != getattr(after, field.attname)
        ]
        metadata = event.pgh_context.metadata if event.pgh_context_id and event.pgh_context else {}
        who = users.get(str(metadata.get("user")), "") if metadata.get("user") is not None else ""
        if fields:
            changes.append(
                Change(
                    at=event.pgh_created_at, who=who or "a job or script", url=metadata.get("url", ""), fields=fields
                )
            )
        after = event
    return changes
