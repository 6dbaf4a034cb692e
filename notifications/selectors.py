"""Reads of the notifications app that carry a rule: which messages are due for delivery."""

from __future__ import annotations

from django.utils import timezone

from notifications.choices import Status
from notifications.models import Notification


def due_notification_ids(*, limit: int) -> list[int]:
    """What the minute sweep delivers: claims whose lease ran out (their worker died) first, then pending messages
    whose time has come (never queued, or backoff over), oldest due first."""
    now = timezone.now()
    pending = (
        Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)  # notification_due_idx
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    stale = (
        Notification.objects.filter(status=Status.SENDING, next_attempt_at__lte=now)  # few: notification_status_idx
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return [*stale, *pending][:limit]
