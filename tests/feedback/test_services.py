"""Feedback services: the status workflow, duplicates, and embeddings kept in their own spaces."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from feedback import services
from feedback.choices import Status
from feedback.models import INDEXED_DIMENSIONS, EmbeddingSpace, FeedbackItem
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def unit(size: int, hot: int, cold: float = 0.0) -> list[float]:
    """A vector pointing (mostly) along axis ``hot``."""
    vector = [cold] * size
    vector[hot] = 1.0
    return vector


def test_given_new_item_when_moved_along_the_workflow_then_each_step_is_saved():
    item = make_feedback()

    saved = []
    for status in (Status.REVIEWING, Status.VALIDATED, Status.BUILDING, Status.SHIPPED):
        services.change_status(item=item, status=status)
        saved.append(FeedbackItem.objects.get(pk=item.pk).status)

    assert saved == [Status.REVIEWING, Status.VALIDATED, Status.BUILDING, Status.SHIPPED]


def test_given_new_item_when_jumping_to_shipped_then_error_lists_allowed_moves():
    item = make_feedback()

    with pytest.raises(ValidationError, match="Cannot move feedback from New to Shipped; allowed: Reviewing"):
        services.change_status(item=item, status=Status.SHIPPED)

    item.refresh_from_db()
    assert item.status == Status.NEW


def test_given_chain_of_duplicates_when_marking_then_all_point_at_the_root():
    root, middle, leaf = make_feedback(), make_feedback(), make_feedback()
    services.mark_duplicate(item=leaf, original=middle)

    services.mark_duplicate(item=middle, original=root)

    leaf.refresh_from_db()
    middle.refresh_from_db()
    assert (middle.duplicate_of_id, leaf.duplicate_of_id) == (root.pk, root.pk)


@pytest.mark.parametrize("provider", ["offline", "mistral"])
def test_given_a_provider_then_active_space_is_its_configured_space_and_created_once(provider, settings):
    settings.EMBEDDING_SPACE = settings.EMBEDDING_SPACES[provider]

    first = services.active_embedding_space()
    second = services.active_embedding_space()

    assert first == second
    assert EmbeddingSpace.objects.count() == 1
    expected = {"offline": ("offline", "all-MiniLM-L6-v2-int8", 384), "mistral": ("mistral", "mistral-embed", 1024)}
    assert (first.provider, first.model, first.dimensions) == expected[provider]


def test_given_an_item_when_marked_duplicate_of_its_own_duplicate_then_error_says_so_and_nothing_changes():
    original, copy = make_feedback(), make_feedback()
    services.mark_duplicate(item=copy, original=original)

    with pytest.raises(ValidationError, match="cannot be a duplicate of itself"):
        services.mark_duplicate(item=original, original=copy)

    original.refresh_from_db()
    assert original.duplicate_of_id is None


def test_given_vector_of_wrong_size_when_storing_then_error_names_sizes():
    space = EmbeddingSpace.objects.create(provider="offline", model="m", dimensions=384)

    with pytest.raises(ValidationError, match="needs 384 numbers, got 3"):
        services.store_embedding(item=make_feedback(), vector=[1, 2, 3], space=space)


def test_given_an_item_redated_by_any_door_then_its_vector_copy_of_the_date_follows_and_the_window_sees_it():
    space = EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)
    item = make_feedback(received_at=timezone.now() - timedelta(days=90))
    services.store_embedding(item=item, vector=unit(384, 0), space=space)
    assert services.similar_feedback(vector=unit(384, 0), space=space, limit=5, within_days=30) == []

    FeedbackItem.objects.filter(pk=item.pk).update(received_at=timezone.now() - timedelta(days=1))  # no save()

    assert [pk for pk, _ in services.similar_feedback(vector=unit(384, 0), space=space, limit=5, within_days=30)] == [
        item.pk
    ]


def test_given_items_in_two_spaces_when_searching_one_then_the_other_is_never_returned():
    offline = EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)
    mistral = EmbeddingSpace.objects.create(provider="mistral", model="mistral-embed", dimensions=1024)
    near, far, other_space = make_feedback(), make_feedback(), make_feedback()
    services.store_embedding(item=near, vector=unit(384, 0, 0.01), space=offline)
    services.store_embedding(item=far, vector=unit(384, 5), space=offline)
    services.store_embedding(item=other_space, vector=unit(1024, 0), space=mistral)

    found = services.similar_feedback(vector=unit(384, 0), space=offline, limit=5)

    assert [item_id for item_id, _ in found] == [near.pk, far.pk]
    assert found[0][1] > 0.95 > found[1][1]


def test_given_provider_switch_then_every_item_needs_embedding_in_the_new_space():
    offline = EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)
    mistral = EmbeddingSpace.objects.create(provider="mistral", model="mistral-embed", dimensions=1024)
    items = [make_feedback() for _ in range(3)]
    for item in items:
        services.store_embedding(item=item, vector=unit(384, 1), space=offline)

    assert list(services.items_needing_embedding(space=offline)) == []
    assert list(services.items_needing_embedding(space=mistral)) == items


def test_given_items_old_and_new_when_searching_recent_ones_but_the_asking_item_then_only_other_recent_ones_come():
    space = EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)
    asking, recent, old = (
        make_feedback(),
        make_feedback(),
        make_feedback(received_at=timezone.now() - timedelta(days=60)),
    )
    for item in (asking, recent, old):
        services.store_embedding(item=item, vector=unit(384, 0), space=space)

    found = services.similar_feedback(vector=unit(384, 0), space=space, within_days=30, exclude_id=asking.pk)

    assert [item_id for item_id, _ in found] == [recent.pk]


def run_similar_feedback_capturing_sql(**kwargs) -> list[tuple[str, tuple]]:
    """Call the service and return every (sql, params) it sent to the database."""
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        services.similar_feedback(**kwargs)
    return statements


def plan_of(sql: str, params) -> list[dict]:
    """Every node of the plan, with sequential and bitmap scans and sorts off (the index scan is what is asked)."""
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: rolling it back undoes the settings
        # Sorting off too: on a table whose statistics say the space holds one row, "that row by the space index,
        # then sort" is cheaper than the HNSW walk (a fresh clone's make test met it once, after the demo's tests)
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        transaction.set_rollback(True)
    nodes, pending = [], [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes


@pytest.mark.parametrize("dimensions", INDEXED_DIMENSIONS)
@pytest.mark.parametrize("filters", [{}, {"within_days": 30, "exclude_id": 1}], ids=["plain", "recent-other"])
def test_given_a_space_when_searching_similar_feedback_then_the_services_query_walks_that_sizes_hnsw_index(
    dimensions, filters
):
    space = EmbeddingSpace.objects.create(provider="p", model="m", dimensions=dimensions)
    services.store_embedding(item=make_feedback(), vector=unit(dimensions, 0), space=space)

    statements = run_similar_feedback_capturing_sql(vector=unit(dimensions, 0), space=space, limit=5, **filters)

    [(sql, params)] = [(sql, params) for sql, params in statements if "feedback_feedbackembedding" in sql]
    scans = [node for node in plan_of(sql, params) if node.get("Index Name") == f"embedding_hnsw_{dimensions}"]
    assert [scan["Node Type"] for scan in scans] == ["Index Scan"], json.dumps(plan_of(sql, params), indent=1)
    assert f"::vector({dimensions}) <=> " in scans[0]["Order By"]  # the index orders the rows by cosine distance


def test_given_an_edited_item_when_saved_with_a_forbidden_status_then_nothing_of_the_edit_is_kept():
    item = make_feedback(summary="before")
    item.summary, item.status = "after", Status.SHIPPED

    with pytest.raises(ValidationError, match="Cannot move feedback from New to Shipped"):
        services.save_feedback(item=item, created=False)

    item.refresh_from_db()
    assert (item.summary, item.status) == ("before", Status.NEW)


def test_given_a_new_item_pointing_at_a_duplicate_when_saved_then_it_links_to_the_root_and_its_label_follows():
    root = make_feedback()
    middle = make_feedback(duplicate_of=root)
    item = FeedbackItem(
        received_at=root.received_at,
        source="manual",
        source_id="M-9",
        verbatim="Same",
        duplicate_of=middle,
        sentiment_score=-0.8,
    )

    services.save_feedback(item=item, created=True)

    item.refresh_from_db()
    assert (item.duplicate_of_id, item.sentiment_label) == (root.pk, "negative")


def test_given_statistics_saying_the_space_holds_one_row_then_the_query_still_walks_the_hnsw_index():
    """After ANALYZE of a table crowded by another space, "the space's rows by its B-tree, then sort" is cheaper to the
    planner; the query must still be one the HNSW index can order (what plan_of asks about)."""
    crowded = EmbeddingSpace.objects.create(provider="p", model="crowded", dimensions=384)
    for n in range(300):
        services.store_embedding(item=make_feedback(), vector=unit(384, n % 384), space=crowded)
    space = EmbeddingSpace.objects.create(provider="p", model="m", dimensions=384)
    services.store_embedding(item=make_feedback(), vector=unit(384, 0), space=space)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE feedback_feedbackembedding")

    statements = run_similar_feedback_capturing_sql(vector=unit(384, 0), space=space, limit=5)

    [(sql, params)] = [(sql, params) for sql, params in statements if "feedback_feedbackembedding" in sql]
    scans = [node for node in plan_of(sql, params) if node.get("Index Name") == "embedding_hnsw_384"]
    assert [scan["Node Type"] for scan in scans] == ["Index Scan"]
