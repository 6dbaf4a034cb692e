"""The domain events the notifications app acts on (``feedbackhub.events``); each handler only enqueues outbox rows."""

from __future__ import annotations


def subscribe_all() -> None:
    """Called once from ``NotificationsConfig.ready``."""
