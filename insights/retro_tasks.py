"""Background jobs of the retrospectives (issue 11, part 5), imported by ``insights.tasks`` so that Celery registers
them. Thin: the rules live in ``insights.retrospectives``."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from insights import retrospectives

__all__ = ["write_due_retrospective", "write_retrospective_window"]


@shared_task(name="insights.tasks.write_due_retrospective", ignore_result=True, expires=6 * 3600)
def write_due_retrospective() -> int | None:
    """Periodic (daily): the retrospective of the sprint window that has just ended, when it has none yet; its id."""
    result = retrospectives.write_due_retrospective()
    return result.retrospective.pk if result else None


@shared_task(name="insights.tasks.write_retrospective_window", ignore_result=True, expires=3600)
def write_retrospective_window(*, kind: str, start: str, end: str, user_id: int | None = None) -> int:
    """A person's "Write retrospective" for a window (ISO datetimes), off the request; the retrospective's id."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = retrospectives.write_retrospective(
        kind=kind, window_start=parse_datetime(start), window_end=parse_datetime(end), user=user
    )
    return result.retrospective.pk
