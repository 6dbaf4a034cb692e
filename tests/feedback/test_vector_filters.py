"""The copies of an item's customer and product on its vectors (``feedback.vector_filters``), which Ask the hub's
segment and product filters read: set when a vector is stored, kept in step through every door that changes an
item, and filled or repaired by ``backfill_vector_filters`` for rows stored before them (product NULL) or stale."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from ai.providers import get_provider
from feedback import services, triage, vector_filters
from feedback.choices import Product
from feedback.models import EmbeddingSpace, FeedbackEmbedding, FeedbackItem
from integrations import ingest
from tests.factories import make_customer, make_feedback
from tests.feedback.test_admin_workflow import change_url
from tests.feedback.test_overrides import admin_form

pytestmark = pytest.mark.django_db


def unit(hot: int) -> list[float]:
    vector = [0.0] * 384
    vector[hot] = 1.0
    return vector


@pytest.fixture
def space():
    return EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)


def copies(item) -> set[tuple]:
    """(customer_id, product) of each of ``item``'s vectors, as the database holds them."""
    return set(FeedbackEmbedding.objects.filter(feedback=item).values_list("customer_id", "product"))


def in_step(item) -> bool:
    item = FeedbackItem.objects.get(pk=item.pk)
    return copies(item) == {(item.customer_id, item.product)}


def forget_copies(*items) -> None:
    """What a row stored before migration 0014 looks like (raw SQL: no trigger fires on these columns)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE feedback_feedbackembedding SET customer_id = NULL, product = NULL WHERE feedback_id = ANY(%s)",
            [[item.pk for item in items]],
        )


def test_given_a_vector_stored_through_any_writer_then_it_carries_its_items_customer_and_product(space):
    customer = make_customer()
    item = make_feedback(customer=customer, product=Product.CODESTRAL)
    other = make_feedback()

    services.store_embedding(item=item, vector=unit(0), space=space)
    FeedbackEmbedding.objects.bulk_create(  # a bulk writer that names neither (triage, evaluate_ask, the bench's COPY)
        [FeedbackEmbedding(feedback=other, space=space, dimensions=384, vector=unit(1), content_hash="x")]
    )

    assert copies(item) == {(customer.pk, Product.CODESTRAL)}
    assert copies(other) == {(None, "")}
    assert vector_filters.copies_complete(space=space)


def test_given_a_stored_vector_then_every_door_that_changes_the_items_customer_or_product_moves_its_copy(
    space, admin_client
):
    first, second = make_customer(crm_id="CRM-1"), make_customer()
    item = make_feedback(source="zendesk", source_id="ZD-77")
    services.store_embedding(item=item, vector=unit(0), space=space)

    services.assign_customer(item=item, customer=first)  # the service (the admin's and ops' assign action)
    assert in_step(item) and copies(item) == {(first.pk, "")}

    item = FeedbackItem.objects.get(pk=item.pk)
    services.save_feedback(item=item, created=False)  # a save that changes neither: the copy stays
    FeedbackItem.objects.filter(pk=item.pk).update(customer=second, product=Product.MISTRAL_LARGE)  # no save()
    assert copies(item) == {(second.pk, Product.MISTRAL_LARGE)}

    item = FeedbackItem.objects.get(pk=item.pk)
    response = admin_client.post(change_url(item), admin_form(item, product=Product.CODESTRAL))  # the admin form
    assert response.status_code == 302
    assert copies(item) == {(second.pk, Product.CODESTRAL)}

    FeedbackItem.objects.filter(pk=item.pk).update(customer=None, product="")
    redelivered = {"source": "zendesk", "source_id": "ZD-77", "received_at": item.received_at}
    redelivered["verbatim"] = item.verbatim
    results = ingest.ingest_items(  # a re-delivery that now names the customer and the product
        items=[{**redelivered, "customer_crm_id": "CRM-1", "product": Product.CODESTRAL}], received_via="api"
    )
    assert results[0].status == "updated"
    assert in_step(item) and copies(item) == {(first.pk, Product.CODESTRAL)}


def test_given_triage_sets_the_product_then_the_vector_it_stores_carries_it_in_the_same_write():
    customer = make_customer()
    item = make_feedback(customer=customer, verbatim="Codestral completions in VS Code are slow and often wrong")

    updates = vector_updates()

    triage.triage_items(item_ids=[item.pk], provider=get_provider("offline"))

    item.refresh_from_db()
    assert item.triaged_at is not None and item.product and FeedbackEmbedding.objects.filter(feedback=item).count() == 1
    assert in_step(item)
    assert vector_updates() == updates  # stored once, after the item's update: no second write of the vector row


def vector_updates() -> int:
    """Rows of the vectors' table updated in the current transaction so far (the tests' shared one: take deltas)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [FeedbackEmbedding._meta.db_table]
        )
        return cursor.fetchone()[0]


def test_given_rows_stored_before_the_copies_then_the_backfill_fills_them_once_and_repairs_a_stale_one(space):
    customer = make_customer()
    items = [make_feedback(customer=customer, product=Product.CODESTRAL) for _ in range(5)] + [make_feedback()]
    for n, item in enumerate(items):
        services.store_embedding(item=item, vector=unit(n), space=space)
    forget_copies(*items[:4])
    with connection.cursor() as cursor:  # a stale copy (as a trigger bypassed would leave it)
        cursor.execute("UPDATE feedback_feedbackembedding SET customer_id = NULL WHERE feedback_id = %s", [items[4].pk])
    assert not vector_filters.copies_complete(space=space)

    out = StringIO()
    call_command("backfill_vector_filters", chunk=2, stdout=out)
    again = StringIO()
    call_command("backfill_vector_filters", stdout=again)

    assert all(in_step(item) for item in items)
    assert vector_filters.copies_complete(space=space)
    assert "Checked 6 vector(s)" in out.getvalue() and "5 copied or repaired" in out.getvalue()
    assert "up to vector id" in out.getvalue()  # progress, one line a batch
    assert "0 copied or repaired, 6 already in step" in again.getvalue()
