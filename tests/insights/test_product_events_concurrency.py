"""Several senders at once: batches sharing event ids, sent together, store each event once and never deadlock.
These tests commit (``transaction=True``): each thread has its own database connection."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from insights import events
from insights.models import ProductEvent
from tests.factories import make_customer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def in_threads(works: list) -> list:
    """Run each of ``works`` in its own thread, started together, each with its own database connection."""
    barrier = threading.Barrier(len(works))
    results: list = [None] * len(works)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = works[index]()
        except Exception as error:  # noqa: BLE001 — shown in the assertion
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_given_overlapping_batches_sent_at_once_then_each_event_is_stored_once_and_reported_once_as_created():
    make_customer(name="Acme", crm_id="001ACME")

    def batch(ids):
        items = [
            {
                "event_id": f"e-{n}",
                "name": "report_sent",
                "customer_crm_id": "001ACME",
                "occurred_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC).isoformat(),
            }
            for n in ids
        ]
        return lambda: events.record_events(items=items)

    # the same 300 ids in opposite orders: without a common insert order, each waits on a row the other holds
    forward, backward = list(range(300)), list(reversed(range(300)))
    results = in_threads([batch(forward), batch(backward), batch(range(150, 450))])

    assert all(isinstance(result, list) for result in results), results
    created = [r.event_id for result in results for r in result if r.status == events.CREATED]
    duplicates = [r.event_id for result in results for r in result if r.status == events.DUPLICATE]
    assert sorted(created) == sorted(f"e-{n}" for n in range(450))  # each event created by exactly one sender
    assert len(duplicates) == 300 + 300 + 300 - 450
    assert ProductEvent.objects.count() == 450
