"""Delivery of the outbox (to be built: email and Slack channels, retries with backoff, the minute sweep)."""

from __future__ import annotations


def send_soon(notification_id: int) -> None:
    """Queue the delivery of one notification; never raises (the sweep is the safety net)."""
