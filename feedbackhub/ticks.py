"""The one rule for ticking a checklist-like row (launch checklist items, theme verification steps).

Ticking records who did it and when; ticking again keeps the first tick; unticking clears both.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def apply_tick(record, *, done: bool, user, at: datetime | None = None) -> bool:
    """Set ``record.done_at`` / ``record.done_by`` for a tick or an untick; True if anything changed (unsaved)."""
    if done and record.done_at is None:
        record.done_at, record.done_by = at or timezone.now(), user
        return True
    if not done and (record.done_at is not None or record.done_by_id is not None):
        record.done_at, record.done_by = None, None
        return True
    return False
