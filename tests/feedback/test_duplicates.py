"""Duplicate suggestions, for real: the offline model's vectors in pgvector, the windowed HNSW lookup, merge and undo.

The texts' cosines under the offline model (MiniLM) set which band each pair falls in, against the calibrated
thresholds (duplicate 0.60, related 0.50): the CSV-timeout pair ~0.87, the slow-downloads pair ~0.54, dark mode ~0.
"""

from datetime import timedelta

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ai.providers import get_provider
from feedback import duplicates, services
from feedback.models import DuplicateSuggestion, FeedbackEmbedding, FeedbackItem, Merge
from tests.admin_plans import FILTER_PLANNER, describe, explain
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db
Kind, Decision = DuplicateSuggestion.Kind, DuplicateSuggestion.Decision

EXPORT_TIMES_OUT = "The CSV export times out when I download more than 10,000 rows."
SAME_ASK = "Exporting to CSV fails with a timeout on large downloads."
ALSO_SAME = "CSV export of big reports never finishes, it just times out."
SLOW_DOWNLOADS = "Downloading large reports is slow."
DARK_MODE = "I love the new dark mode."


def embedded(verbatim: str, *, days_ago: float = 0, **fields) -> FeedbackItem:
    """An item received ``days_ago`` days ago, with its offline vector stored as the hub stores it."""
    item = make_feedback(verbatim=verbatim, received_at=timezone.now() - timedelta(days=days_ago), **fields)
    provider = get_provider("offline")
    services.store_embedding(
        item=item, vector=provider.embed([verbatim])[0], space=services.active_embedding_space(provider=provider)
    )
    return item


def suggestions() -> list[tuple[int, int, str]]:
    return sorted(DuplicateSuggestion.objects.values_list("item_id", "parent_id", "kind"))


def test_the_thresholds_of_the_offline_space_are_the_calibrated_ones():
    assert (settings.DUPLICATE_THRESHOLDS["offline"], settings.RELATED_THRESHOLDS["offline"]) == (0.60, 0.50)


def test_given_an_older_item_saying_the_same_when_suggesting_then_it_is_the_suggested_duplicate():
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3)
    item = embedded(SAME_ASK)

    created = duplicates.suggest_duplicates(item_ids=[item.pk])

    [suggestion] = created
    assert (suggestion.item_id, suggestion.parent_id, suggestion.kind) == (item.pk, parent.pk, Kind.DUPLICATE)
    assert suggestion.similarity > 0.8 and suggestion.decision == Decision.PENDING
    assert suggestions() == [(item.pk, parent.pk, Kind.DUPLICATE)]


def test_given_an_older_item_about_something_else_when_suggesting_then_nothing_is_suggested():
    embedded(DARK_MODE, days_ago=3)
    item = embedded(SAME_ASK)

    assert duplicates.suggest_duplicates(item_ids=[item.pk]) == []
    assert suggestions() == []


def test_given_an_older_item_on_a_near_topic_when_suggesting_then_it_is_related_not_a_duplicate():
    near = embedded(EXPORT_TIMES_OUT, days_ago=3)
    item = embedded(SLOW_DOWNLOADS)

    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])

    assert (suggestion.parent_id, suggestion.kind) == (near.pk, Kind.RELATED)
    assert settings.RELATED_THRESHOLDS["offline"] <= suggestion.similarity < settings.DUPLICATE_THRESHOLDS["offline"]


def test_given_the_best_match_is_itself_a_duplicate_when_suggesting_then_the_suggestion_points_at_its_root():
    root = embedded(DARK_MODE, days_ago=10)
    merged = embedded(SAME_ASK, days_ago=5, duplicate_of=root)
    item = embedded(ALSO_SAME)

    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])

    assert (suggestion.parent_id, suggestion.kind) == (root.pk, Kind.DUPLICATE)
    assert suggestion.parent_id != merged.pk and suggestion.similarity > 0.6  # the match was the duplicate's


@pytest.mark.parametrize(("days_before", "suggested"), [(29, True), (31, False), (-1, False)])
def test_given_a_match_received_at_some_distance_when_suggesting_then_only_the_30_days_before_count(
    days_before, suggested
):
    item = embedded(SAME_ASK, days_ago=40)
    other = embedded(EXPORT_TIMES_OUT, days_ago=40 + days_before)

    duplicates.suggest_duplicates(item_ids=[item.pk])

    assert suggestions() == ([(item.pk, other.pk, Kind.DUPLICATE)] if suggested else [])


def test_given_suggestions_made_when_suggesting_again_then_nothing_new_is_created():
    best, second = embedded(EXPORT_TIMES_OUT, days_ago=3), embedded(ALSO_SAME, days_ago=2)
    item = embedded(SAME_ASK)
    first = duplicates.suggest_duplicates(item_ids=[item.pk])

    again = duplicates.suggest_duplicates(item_ids=[item.pk])

    assert suggestions() == sorted([(item.pk, best.pk, Kind.DUPLICATE), (item.pk, second.pk, Kind.RELATED)])
    assert len(first) == 2 and again == []
    assert DuplicateSuggestion.objects.count() == 2


def test_given_a_rejected_suggestion_when_suggesting_again_then_the_pair_is_never_suggested_anew(user):
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3)
    item = embedded(SAME_ASK)
    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])

    duplicates.reject_suggestion(suggestion=suggestion, user=user)
    again = duplicates.suggest_duplicates(item_ids=[item.pk])

    assert again == []
    suggestion.refresh_from_db()
    assert (suggestion.parent_id, suggestion.decision, suggestion.decided_by) == (parent.pk, Decision.REJECTED, user)


def test_given_a_rejected_match_and_another_one_when_suggesting_again_then_the_other_becomes_the_duplicate():
    embedded(EXPORT_TIMES_OUT, days_ago=3)
    other = embedded(ALSO_SAME, days_ago=20)
    item = embedded(SAME_ASK)
    best = duplicates.suggest_duplicates(item_ids=[item.pk])[0]
    DuplicateSuggestion.objects.filter(item=item).delete()
    DuplicateSuggestion.objects.create(
        item=item, parent=best.parent, kind=Kind.DUPLICATE, similarity=best.similarity, space=best.space
    )
    duplicates.reject_suggestion(suggestion=DuplicateSuggestion.objects.get(item=item))

    [created] = duplicates.suggest_duplicates(item_ids=[item.pk])

    assert (created.parent_id, created.kind) == (other.pk, Kind.DUPLICATE)


def test_given_a_suggestion_when_confirmed_then_merged_with_every_verbatim_and_requester_kept_and_undo_restores(user):
    acme, globex = make_customer(name="Acme"), make_customer(name="Globex")
    sso = make_theme(name="SSO")
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3, customer=acme, reporter_email="ann@acme.example")
    item = embedded(SAME_ASK, customer=globex, reporter_email="bob@globex.example")
    item.themes.add(sso)
    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])

    confirmed = duplicates.confirm_suggestion(suggestion=suggestion, user=user)

    item.refresh_from_db()
    assert item.duplicate_of_id == parent.pk
    assert (item.verbatim, item.customer_id, item.reporter_email) == (SAME_ASK, globex.pk, "bob@globex.example")
    assert set(parent.duplicates.values_list("customer__name", flat=True)) == {"Globex"}  # the request counts
    assert list(parent.themes.all()) == [sso]
    assert (confirmed.decision, confirmed.decided_by, confirmed.merge) == (
        Decision.CONFIRMED,
        user,
        Merge.objects.get(),
    )
    with pytest.raises(ValidationError, match="already confirmed"):
        duplicates.confirm_suggestion(suggestion=confirmed, user=user)
    with pytest.raises(ValidationError, match="undo the merge"):
        duplicates.reject_suggestion(suggestion=confirmed, user=user)

    result = duplicates.undo_suggestion(suggestion=confirmed, user=user)

    item.refresh_from_db()
    confirmed.refresh_from_db()
    assert item.duplicate_of_id is None and (result.restored, result.skipped) == (1, [])
    assert list(parent.themes.all()) == []
    assert (confirmed.decision, confirmed.merge, confirmed.decided_by) == (Decision.PENDING, None, None)
    assert Merge.objects.get().undone_by == user  # the merge stays, as undone
    assert FeedbackItem.objects.filter(verbatim__in=[EXPORT_TIMES_OUT, SAME_ASK]).count() == 2


def test_given_a_confirmed_suggestion_when_its_merge_is_undone_from_the_merge_page_then_it_is_open_again(user):
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3)
    item = embedded(SAME_ASK)
    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])
    confirmed = duplicates.confirm_suggestion(suggestion=suggestion, user=user)

    services.undo_merge(merge=confirmed.merge, user=user)

    suggestion.refresh_from_db()
    item.refresh_from_db()
    assert item.duplicate_of_id is None and parent.pk != item.pk
    assert (suggestion.decision, suggestion.merge, suggestion.decided_by) == (Decision.PENDING, None, None)


def test_given_the_parent_became_a_duplicate_since_when_confirming_then_the_item_joins_the_root():
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3)
    item = embedded(SAME_ASK)
    [suggestion] = duplicates.suggest_duplicates(item_ids=[item.pk])
    root = make_feedback(received_at=timezone.now() - timedelta(days=9))
    services.mark_duplicate(item=parent, original=root)

    duplicates.confirm_suggestion(suggestion=suggestion)

    item.refresh_from_db()
    assert item.duplicate_of_id == root.pk


def test_given_many_suggestions_when_decided_in_bulk_then_each_goes_through_and_refusals_are_named(user):
    parent = embedded(EXPORT_TIMES_OUT, days_ago=3)
    first, second = embedded(SAME_ASK, days_ago=1), embedded(ALSO_SAME)
    created = duplicates.suggest_duplicates(item_ids=[first.pk, second.pk])
    duplicates.reject_suggestion(suggestion=DuplicateSuggestion.objects.get(item=second, parent=parent))

    result = duplicates.decide_suggestions(suggestions=created, confirm=True, user=user)

    assert result.done == len(created) - 1 and len(result.refused) == 1 and "already rejected" in result.refused[0]


def test_the_windowed_lookup_filters_on_the_vector_rows_date_without_joining_the_items():
    item = embedded(SAME_ASK)
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        duplicates.suggest_duplicates(item_ids=[item.pk])

    lookups = [sql for sql in statements if "<=>" in sql]
    assert lookups and all("feedback_feedbackitem" not in sql for sql in lookups), lookups
    assert all('"feedback_feedbackembedding"."received_at" >=' in sql for sql in lookups)


def test_the_windowed_lookup_walks_the_hnsw_index_of_its_space():
    item = embedded(SAME_ASK)
    captured = []

    def capture(execute, sql, params, many, context):
        if "<=>" in sql:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        duplicates.suggest_duplicates(item_ids=[item.pk])

    [(sql, params)] = captured
    nodes = explain(sql, params, fresh_statistics=True, **FILTER_PLANNER)
    scans = [node for node in nodes if node.get("Index Name") == "embedding_hnsw_384"]
    assert [scan["Node Type"] for scan in scans] == ["Index Scan"], describe(nodes)
    assert "<=>" in scans[0]["Order By"] and "received_at" in scans[0].get("Filter", ""), describe(nodes)


def test_given_many_nearer_rows_outside_the_window_when_looking_up_the_window_then_every_row_inside_is_found():
    """A plain HNSW scan keeps ``ef_search`` candidates (here all out of the window) and the filter then drops them:
    the iterative scan goes on walking until the rows in the window are found."""
    space = services.active_embedding_space(provider=get_provider("offline"))
    rng = np.random.default_rng(8)
    query = np.zeros(384)
    query[0] = 1.0

    def near(spread: float) -> list[float]:
        vector = query + rng.normal(0, spread, 384)
        return list(vector / np.linalg.norm(vector))

    now = timezone.now()
    old = FeedbackItem.objects.bulk_create(
        FeedbackItem(received_at=now - timedelta(days=60), source="zendesk", source_id=f"old-{n}", verbatim="old")
        for n in range(300)
    )
    recent = FeedbackItem.objects.bulk_create(
        FeedbackItem(received_at=now - timedelta(days=2), source="zendesk", source_id=f"new-{n}", verbatim="new")
        for n in range(5)
    )
    FeedbackEmbedding.objects.bulk_create(
        FeedbackEmbedding(
            feedback=item,
            space=space,
            dimensions=384,
            vector=near(0.01 if item in old else 0.08),
            received_at=item.received_at,
            content_hash="x",
        )
        for item in [*old, *recent]
    )

    with transaction.atomic(), connection.cursor() as cursor:  # only the index gives the order, as on a big table
        for name, value in {**FILTER_PLANNER, "enable_sort": "off"}.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        found = services.similar_feedback(vector=list(query), space=space, limit=10, within_days=30)

    assert sorted(pk for pk, _ in found) == sorted(item.pk for item in recent)
    assert [similarity for _, similarity in found] == sorted((similarity for _, similarity in found), reverse=True)
