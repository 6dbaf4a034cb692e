"""Domain events: a change in one app that apps above it act on, durably and once.

A lower app cannot import an upper one (``tests/test_structure.py``): themes cannot call the notifications app when a
theme ships. Instead the change writes a ``DomainEvent`` row in its own transaction (``emit``, or a database trigger
for changes any door can make), and the upper app ``subscribe``s a handler in its ``AppConfig.ready``.

``process(event_id)`` runs every handler of the event in one transaction with the row locked (``skip_locked``: two
workers never run one event) and marks it processed in the same transaction: either every handler's writes and the
mark commit, or none do and the event is tried again. Handlers must be idempotent on their own rows (a unique key):
a worker killed after the commit but before the ack re-runs ``process``, which then finds the event processed.

Sending: ``emit`` queues ``feedbackhub.tasks.process_event`` after commit; if the broker is down the row waits and
``process_pending`` (every minute, from beat) picks it up. Trigger-made events are found by that sweep too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedbackhub.models import DomainEvent

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

MAX_ATTEMPTS = 10  # then the event stays unprocessed with its error, visible in the admin, until retried by hand


def subscribe(name: str, handler: Handler) -> None:
    """Run ``handler(payload)`` for every event called ``name`` (once per handler, however often ``ready`` runs)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def handlers(name: str) -> list[Handler]:
    return list(_handlers.get(name, ()))


def emit(name: str, *, key: str, **payload) -> bool:
    """Record event ``name`` once under ``key`` in the current transaction; returns whether it is new.

    The task is sent after commit; a send that fails (broker down) is only logged: the sweep sends it later.
    """
    event, created = DomainEvent.objects.get_or_create(key=key, defaults={"name": name, "payload": payload})
    if created:
        transaction.on_commit(lambda: send(event.pk))
    return created


def send(event_id: int) -> None:
    """Queue the processing of one event; never raises (the minute sweep is the safety net)."""
    from feedbackhub import tasks

    try:
        tasks.process_event.delay(event_id)
    except Exception:  # noqa: BLE001 — the broker being down must not fail the change that emitted the event
        logger.warning("event %s not queued (broker unreachable); the sweep will process it", event_id, exc_info=True)


def process(event_id: int) -> bool:
    """Run the handlers of one event and mark it processed, atomically; returns whether this call processed it.

    An event already processed, or locked by another worker, is left alone. A handler that raises rolls every
    handler's work back, records the error on the row, and re-raises so the task retries.
    """
    try:
        with transaction.atomic():
            event = (
                DomainEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, processed_at__isnull=True)
                .first()
            )
            if event is None:
                return False
            for handler in handlers(event.name):
                handler(event.payload)
            event.processed_at = timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(update_fields=["processed_at", "attempts", "last_error"])
            return True
    except Exception as error:
        DomainEvent.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise


def process_pending(*, limit: int = 500) -> int:
    """Process the oldest unprocessed events (those the broker never got, or whose handlers failed); returns how many
    were processed. One failing event is logged and skipped; it does not stop the others."""
    done = 0
    ids = list(
        DomainEvent.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        try:
            done += process(event_id)
        except Exception:  # noqa: BLE001 — recorded on the row; the next sweep tries again
            logger.exception("event %s failed", event_id)
    return done
