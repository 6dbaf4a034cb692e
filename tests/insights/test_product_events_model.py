"""ProductEvent: the table's own guarantees (unique client id, slug names, bounded properties), whatever door writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from insights.models import PRODUCT_EVENT_MAX_PROPERTIES, ProductEvent
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def event(customer, **fields) -> ProductEvent:
    return ProductEvent(
        **{"event_id": "evt-1", "name": "value_delivered", "customer": customer, "occurred_at": WHEN, **fields}
    )


def test_given_an_event_id_stored_then_a_second_row_with_it_is_refused():
    acme = make_customer(name="Acme")
    event(acme).save()

    with pytest.raises(IntegrityError, match="product_event_unique_event_id"), transaction.atomic():
        event(acme, name="report_sent").save()


@pytest.mark.parametrize("name", ["Report Sent", "", "-starts-with-dash", "has space", "émoji"])
def test_given_a_name_that_is_not_a_lower_case_slug_then_the_database_refuses_it(name):
    with pytest.raises(IntegrityError, match="product_event_name_slug"), transaction.atomic():
        event(make_customer(name="Acme"), name=name).save()


def test_given_properties_over_the_bound_then_the_database_refuses_them():
    acme = make_customer(name="Acme")
    event(acme, event_id="small", properties={"k": "x" * 100}).save()

    with pytest.raises(IntegrityError, match="product_event_properties_bounded"), transaction.atomic():
        event(acme, event_id="big", properties={"k": "x" * PRODUCT_EVENT_MAX_PROPERTIES}).save()


def test_the_received_time_is_the_database_clock_and_the_metrics_indexes_exist():
    stored = event(make_customer(name="Acme"))
    stored.save()
    stored.refresh_from_db()

    assert stored.received_at is not None
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ProductEvent._meta.db_table)
    indexes = {name: info["type"] for name, info in constraints.items() if info["index"] and not info["unique"]}
    assert indexes == {
        "product_event_customer_idx": "idx",  # a B-tree
        "product_event_name_idx": "idx",  # a B-tree
        "product_event_persona_idx": "idx",  # a B-tree
        "product_event_occurred_brin": "brin",  # no index of its own on customer_id: customer leads the first one
        "product_event_exposure_idx": "idx",  # an experiment's exposures (partial, on properties->>'experiment')
    }
