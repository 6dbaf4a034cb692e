"""'Time to verify' (seed 001, "Verify Before You Build"): a theme that reaches ``THEME_VERIFY_AT`` items is marked
once and its owner is told, and it shows as 'time to verify' in the admin until it is verified.

Called by ``themes.services.refresh_rollups``, where the counts change, inside the rollups' transaction. It only
writes: ``verify_notified_at`` (the admin's badge and filter) and the domain event ``theme.time_to_verify``. Telling
the PM is the insights app's handler: it opens the theme's "time to verify" escalation, whose email and Slack message
go through the notifications outbox. Nothing here talks to SMTP or Slack, so an outage can neither roll back rollups
nor lose the message.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from feedbackhub.events import emit
from themes.choices import ThemeStatus
from themes.models import Theme

TIME_TO_VERIFY_EVENT = "theme.time_to_verify"  # payload {"theme_id"}; key theme.time_to_verify:<id>, once per theme

# Told it is time to verify and still a hypothesis: the admin's 'time to verify' badge and filter.
TIME_TO_VERIFY = Q(verify_notified_at__isnull=False, status=ThemeStatus.HYPOTHESIS)


def is_time_to_verify(theme: Theme) -> bool:
    """Whether ``theme`` shows the 'time to verify' marker (the same rule as ``TIME_TO_VERIFY``)."""
    return theme.verify_notified_at is not None and theme.status == ThemeStatus.HYPOTHESIS


def notify_time_to_verify(*, theme_ids: Iterable[int]) -> list[int]:
    """Mark each hypothesis of ``theme_ids`` that has reached ``THEME_VERIFY_AT`` items and was never marked, and emit
    ``theme.time_to_verify`` for it; returns the ids marked.

    The rows are locked (``skip_locked``: a theme another refresh is marking is that refresh's), and the event's key
    is the theme's: two refreshes never tell twice.
    """
    with transaction.atomic():
        ids = list(
            Theme.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=list(theme_ids),
                verify_notified_at__isnull=True,
                feedback_count__gte=settings.THEME_VERIFY_AT,
                status=ThemeStatus.HYPOTHESIS,  # a theme already validated or being built has nothing left to verify
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            Theme.objects.filter(pk__in=ids).update(verify_notified_at=timezone.now())
        for pk in ids:
            emit(TIME_TO_VERIFY_EVENT, key=f"{TIME_TO_VERIFY_EVENT}:{pk}", theme_id=pk)
    return ids
