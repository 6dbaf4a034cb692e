"""Writes of the notifications app: ``enqueue`` puts a message in the outbox (in the caller's transaction);
delivery is ``notifications.delivery``."""

from __future__ import annotations

from django.db import transaction

from notifications.choices import Channel, Kind
from notifications.models import Notification


def enqueue(
    *,
    key: str,
    kind: str = Kind.OTHER,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    blocks: list | None = None,
) -> tuple[Notification, bool]:
    """Record one message for one recipient, once per ``key``; returns it and whether it is new.

    Call it inside the transaction of the change it reports: the message exists if and only if the change does.
    Delivery is queued after commit (``notifications.delivery.send_soon``); the minute sweep delivers what the broker
    never got.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(Channel.values)}")
    if not recipient:
        raise ValueError("a notification needs a recipient")
    notification, created = Notification.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "channel": channel,
            "recipient": recipient[:254],
            "subject": subject[:300],
            "body": body,
            "blocks": blocks or [],
        },
    )
    if created:
        from notifications import delivery

        transaction.on_commit(lambda: delivery.send_soon(notification.pk))
    return notification, created
