"""Bulk triage: merge duplicates into a parent and undo it exactly; assign a theme to many items."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import FeedbackItem, Merge
from tests.factories import make_feedback, make_theme
from themes.models import Theme

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:feedback_feedbackitem_changelist"


def test_given_items_with_themes_and_duplicates_when_merged_then_undone_then_everything_is_as_before(admin_user):
    sso, audit, billing = make_theme(name="SSO"), make_theme(name="Audit"), make_theme(name="Billing")
    parent = make_feedback(received_at=timezone.now() - timezone.timedelta(days=3))
    parent.themes.add(sso)
    first, second = make_feedback(), make_feedback()
    first.themes.add(audit)
    second.themes.add(billing)
    child_of_first = make_feedback(duplicate_of=first)

    merge = services.merge_duplicates(parent=parent, items=[parent, first, second], user=admin_user)

    originals = dict(FeedbackItem.objects.values_list("pk", "duplicate_of_id"))
    assert originals[first.pk] == originals[second.pk] == originals[child_of_first.pk] == parent.pk
    assert set(parent.themes.values_list("name", flat=True)) == {"SSO", "Audit", "Billing"}

    result = services.undo_merge(merge=merge, user=admin_user)

    originals = dict(FeedbackItem.objects.values_list("pk", "duplicate_of_id"))
    assert (originals[first.pk], originals[second.pk], originals[child_of_first.pk]) == (None, None, first.pk)
    assert set(parent.themes.values_list("name", flat=True)) == {"SSO"}
    assert (result.restored, result.skipped) == (3, [])
    assert Merge.objects.get().undone_by == admin_user
    assert Theme.objects.filter(rollups_dirty=True).count() == 3  # every theme touched gets fresh rollups


def test_given_an_item_relinked_after_the_merge_when_undoing_then_the_later_change_is_kept():
    parent, item, elsewhere = make_feedback(), make_feedback(), make_feedback()
    merge = services.merge_duplicates(parent=parent, items=[item])
    FeedbackItem.objects.filter(pk=item.pk).update(duplicate_of=elsewhere)

    result = services.undo_merge(merge=merge)

    item.refresh_from_db()
    assert item.duplicate_of_id == elsewhere.pk
    assert result.skipped == [item.pk]


def test_given_an_undone_merge_when_undoing_again_or_merging_into_a_duplicate_then_refused():
    parent, item = make_feedback(), make_feedback()
    merge = services.merge_duplicates(parent=parent, items=[item])
    services.undo_merge(merge=merge)

    with pytest.raises(ValidationError, match="already undone"):
        services.undo_merge(merge=merge)
    with pytest.raises(ValidationError, match="is itself a duplicate"):
        services.merge_duplicates(parent=make_feedback(duplicate_of=parent), items=[item])


def test_given_selected_items_when_merging_in_the_admin_then_the_oldest_is_the_parent_and_the_message_offers_undo(
    admin_client,
):
    old = make_feedback(received_at=timezone.now() - timezone.timedelta(days=9), verbatim="The oldest ask")
    new = make_feedback(verbatim="Same ask again")

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "merge_into_oldest", ACTION_CHECKBOX_NAME: [old.pk, new.pk]}, follow=True
    )

    new.refresh_from_db()
    merge = Merge.objects.get()
    assert new.duplicate_of_id == old.pk and merge.parent_id == old.pk
    undo_url = reverse("admin:feedback_merge_undo", args=[merge.pk])
    assert f'href="{undo_url}"' in response.content.decode()

    admin_client.post(undo_url)

    new.refresh_from_db()
    assert new.duplicate_of_id is None


def test_given_a_user_who_cannot_change_feedback_when_posting_an_undo_then_it_is_forbidden(client, django_user_model):
    merge = services.merge_duplicates(parent=make_feedback(), items=[make_feedback()])
    viewer = django_user_model.objects.create_user(username="viewer", is_staff=True)
    client.force_login(viewer)

    response = client.post(reverse("admin:feedback_merge_undo", args=[merge.pk]))

    assert response.status_code in (302, 403) and Merge.objects.get().undone_at is None


def test_given_selected_items_when_assigning_a_theme_then_each_is_linked_once_and_the_theme_is_flagged(admin_client):
    theme = make_theme(name="Rate limits")
    linked, fresh = make_feedback(), make_feedback()
    linked.themes.add(theme)
    url = reverse(CHANGELIST)
    selected = {"action": "assign_theme", ACTION_CHECKBOX_NAME: [linked.pk, fresh.pk]}

    page = admin_client.post(url, selected)
    response = admin_client.post(url, {**selected, "apply": "1", "theme": theme.pk}, follow=True)

    assert "Assign theme" in page.content.decode()
    assert "Linked 1 item(s) to “Rate limits” (1 already were)." in response.content.decode()
    assert list(fresh.themes.all()) == [theme] and linked.themes.count() == 1
    theme.refresh_from_db()
    assert theme.rollups_dirty


def test_given_more_items_than_a_merge_takes_when_merging_then_it_is_refused_and_nothing_changes(
    admin_client, settings
):
    from feedback import admin as feedback_admin

    items = [make_feedback() for _ in range(4)]
    original_max, feedback_admin.MERGE_MAX = feedback_admin.MERGE_MAX, 3
    try:
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "merge_into_oldest", ACTION_CHECKBOX_NAME: [item.pk for item in items]},
            follow=True,
        )
    finally:
        feedback_admin.MERGE_MAX = original_max

    assert "Merge at most 3 items at once" in response.content.decode()
    assert not Merge.objects.exists() and not FeedbackItem.objects.filter(duplicate_of__isnull=False).exists()
