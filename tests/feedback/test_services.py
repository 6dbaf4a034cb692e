"""Feedback services: the status workflow, duplicates, and embeddings kept in their own spaces."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from feedback import services
from feedback.choices import Status
from feedback.models import EmbeddingSpace
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def unit(size: int, hot: int, cold: float = 0.0) -> list[float]:
    """A vector pointing (mostly) along axis ``hot``."""
    vector = [cold] * size
    vector[hot] = 1.0
    return vector


def test_given_new_item_when_moved_along_the_workflow_then_each_step_is_saved():
    item = make_feedback()

    for status in (Status.REVIEWING, Status.VALIDATED, Status.BUILDING, Status.SHIPPED):
        services.change_status(item=item, status=status)

    item.refresh_from_db()
    assert item.status == Status.SHIPPED


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


@override_settings(EMBEDDING_SPACE={"provider": "offline", "model": "all-MiniLM-L6-v2-int8", "dimensions": 384})
def test_given_offline_provider_then_active_space_is_384_dimensional_and_created_once():
    first = services.active_embedding_space()
    second = services.active_embedding_space()

    assert first == second
    assert (first.provider, first.dimensions) == ("offline", 384)


def test_given_vector_of_wrong_size_when_storing_then_error_names_sizes():
    space = EmbeddingSpace.objects.create(provider="offline", model="m", dimensions=384)

    with pytest.raises(ValidationError, match="needs 384 numbers, got 3"):
        services.store_embedding(item=make_feedback(), vector=[1, 2, 3], space=space)


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


def test_given_similarity_query_then_it_can_use_the_partial_hnsw_index_of_its_dimension():
    space = EmbeddingSpace.objects.create(provider="offline", model="minilm", dimensions=384)
    services.store_embedding(item=make_feedback(), vector=unit(384, 0), space=space)
    from django.db.models.functions import Cast
    from pgvector.django import CosineDistance, VectorField

    from feedback.models import FeedbackEmbedding

    query = (
        FeedbackEmbedding.objects.filter(space=space, dimensions=384)
        .annotate(distance=CosineDistance(Cast("vector", output_field=VectorField(dimensions=384)), unit(384, 0)))
        .order_by("distance")[:5]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        plan = query.explain()

    assert "embedding_hnsw_384" in plan
