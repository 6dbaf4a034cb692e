"""The feedback admin changes state only through feedback.services: change form, bulk actions and delete."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from feedback.choices import Status
from feedback.models import FeedbackItem
from tests.factories import make_customer, make_feedback, make_theme
from themes.models import Theme

pytestmark = pytest.mark.django_db


def change_url(item: FeedbackItem) -> str:
    return reverse("admin:feedback_feedbackitem_change", args=[item.pk])


def form_data(item: FeedbackItem, **changes) -> dict:
    """The change form's POST as a person would send it, with ``changes`` applied."""
    data = {
        "verbatim": item.verbatim,
        "summary": item.summary,
        "customer": item.customer_id or "",
        "reporter_email": item.reporter_email,
        "status": item.status,
        "category": item.category,
        "product": item.product,
        "product_area": item.product_area,
        "severity": item.severity,
        "priority": item.priority,
        "sentiment_score": "" if item.sentiment_score is None else item.sentiment_score,
        "tags": ",".join(item.tags),
        "themes": [theme.pk for theme in item.themes.all()] if item.pk else [],
        "duplicate_of": item.duplicate_of_id or "",
        "source": item.source,
        "source_id": item.source_id,
        "source_url": item.source_url,
        "received_at_0": item.received_at.strftime("%Y-%m-%d"),
        "received_at_1": item.received_at.strftime("%H:%M:%S"),
        "raw_payload": "{}",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_given_new_item_when_change_form_jumps_to_shipped_then_refused_with_the_allowed_moves(admin_client):
    item = make_feedback()

    response = admin_client.post(change_url(item), form_data(item, status=Status.SHIPPED))

    assert response.status_code == 200  # the form comes back with the error
    assert "Cannot move feedback from New to Shipped; allowed: Reviewing, Validated, Won&#x27;t do." in (
        response.content.decode()
    )
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_given_new_item_when_change_form_moves_one_allowed_step_then_it_is_saved(admin_client):
    item = make_feedback()

    response = admin_client.post(change_url(item), form_data(item, status=Status.REVIEWING, summary="Batch 500s"))

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.summary) == (Status.REVIEWING, "Batch 500s")


def test_given_duplicate_when_change_form_points_another_item_at_it_then_it_links_to_the_root(admin_client):
    root, middle, leaf = make_feedback(), make_feedback(), make_feedback()
    middle.duplicate_of = root
    middle.save()

    response = admin_client.post(change_url(leaf), form_data(leaf, duplicate_of=middle.pk), follow=True)

    leaf.refresh_from_db()
    assert leaf.duplicate_of_id == root.pk  # never a two-level chain
    assert "is itself a duplicate: linked to its original" in response.content.decode()


def test_given_item_with_duplicates_when_change_form_marks_it_duplicate_then_its_duplicates_follow(admin_client):
    root, item, child = make_feedback(), make_feedback(), make_feedback()
    child.duplicate_of = item
    child.save()

    admin_client.post(change_url(item), form_data(item, duplicate_of=root.pk))

    child.refresh_from_db()
    item.refresh_from_db()
    assert (item.duplicate_of_id, child.duplicate_of_id) == (root.pk, root.pk)


def test_given_original_when_change_form_makes_it_a_duplicate_of_its_own_duplicate_then_refused(admin_client):
    item, copy = make_feedback(), make_feedback()
    copy.duplicate_of = item
    copy.save()

    response = admin_client.post(change_url(item), form_data(item, duplicate_of=copy.pk))

    assert response.status_code == 200
    assert "A feedback item cannot be a duplicate of itself." in response.content.decode()
    item.refresh_from_db()
    assert item.duplicate_of_id is None


def test_given_add_form_then_status_is_not_editable_and_new_items_start_as_new(admin_client):
    url = reverse("admin:feedback_feedbackitem_add")
    item = FeedbackItem(
        verbatim="Please add SCIM", source="manual", source_id="M-1", received_at=make_feedback().received_at
    )

    response = admin_client.post(url, {**form_data(item), "status": Status.SHIPPED})

    assert response.status_code == 302
    assert FeedbackItem.objects.get(source_id="M-1").status == Status.NEW


def test_given_items_in_several_statuses_when_bulk_moving_then_only_allowed_ones_move_and_the_rest_are_named(
    admin_client,
):
    new, building = make_feedback(), make_feedback(status=Status.BUILDING)

    response = admin_client.post(
        reverse("admin:feedback_feedbackitem_changelist"),
        {"action": "move_to_shipped", "_selected_action": [new.pk, building.pk]},
        follow=True,
    )

    new.refresh_from_db()
    building.refresh_from_db()
    assert (new.status, building.status) == (Status.NEW, Status.SHIPPED)
    page = response.content.decode()
    assert "Moved 1 item(s) to Shipped." in page
    assert "cannot move to Shipped (allowed from New: Reviewing, Validated, Won&#x27;t do)" in page


def test_given_theme_when_change_form_links_and_unlinks_feedback_then_theme_rollups_are_marked_stale(admin_client):
    theme, other = make_theme(), make_theme()
    item = make_feedback(customer=make_customer(arr=Decimal("50000")))
    item.themes.add(other)

    admin_client.post(change_url(item), form_data(item, themes=[theme.pk]))

    assert set(item.themes.values_list("pk", flat=True)) == {theme.pk}
    assert set(Theme.objects.filter(rollups_dirty=True).values_list("pk", flat=True)) == {theme.pk, other.pk}


def test_given_linked_item_when_change_form_reassigns_customer_then_theme_rollups_are_marked_stale(admin_client):
    theme = make_theme()
    item = make_feedback(customer=make_customer())
    item.themes.add(theme)

    admin_client.post(change_url(item), form_data(item, customer=make_customer().pk))

    theme.refresh_from_db()
    assert theme.rollups_dirty


def test_given_linked_item_when_deleted_in_admin_then_theme_rollups_are_marked_stale(admin_client):
    theme = make_theme()
    item = make_feedback()
    item.themes.add(theme)

    admin_client.post(
        reverse("admin:feedback_feedbackitem_changelist"),
        {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"},
    )

    theme.refresh_from_db()
    assert not FeedbackItem.objects.filter(pk=item.pk).exists()
    assert theme.rollups_dirty


def test_given_item_when_change_form_sets_a_sentiment_score_then_the_label_follows_the_score(admin_client):
    item = make_feedback(sentiment_score=0.9, sentiment_label="positive")

    admin_client.post(change_url(item), form_data(item, sentiment_score="-0.6", sentiment_label="positive"))

    item.refresh_from_db()
    assert (item.sentiment_score, item.sentiment_label) == (-0.6, "negative")
