"""The duplicate suggestions queue and the item page's "Duplicates" section: render, decide, undo, bounded queries."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import DuplicateSuggestion, FeedbackItem, Merge
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db
Kind, Decision = DuplicateSuggestion.Kind, DuplicateSuggestion.Decision
QUEUE = "admin:feedback_duplicatesuggestion_changelist"
DECIDE = "admin:feedback_duplicatesuggestion_decide"


def suggest(item, parent, *, kind=Kind.DUPLICATE, similarity=0.9, **fields) -> DuplicateSuggestion:
    return DuplicateSuggestion.objects.create(
        item=item,
        parent=parent,
        kind=kind,
        similarity=similarity,
        space=services.active_embedding_space(),
        **fields,
    )


def pair(new_text: str, old_text: str, **customers) -> tuple[FeedbackItem, FeedbackItem]:
    old = make_feedback(
        verbatim=old_text, received_at=timezone.now() - timedelta(days=4), customer=customers.get("old")
    )
    new = make_feedback(verbatim=new_text, customer=customers.get("new"))
    return new, old


def test_the_queue_lists_pending_suggestions_first_with_both_texts_the_similarity_and_customers(
    admin_client, django_assert_max_num_queries
):
    rows = [
        suggest(*pair(f"SSO login loops {n}", f"SAML login redirects forever {n}", new=make_customer(name=f"Acme {n}")))
        for n in range(5)
    ]
    decided = suggest(*pair("Decided new text", "Decided old text"), decision=Decision.REJECTED)  # the newest

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(QUEUE))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("SSO login loops 4") < page.index("SSO login loops 0") < page.index("Decided new text")
    assert "SAML login redirects forever 3" in page and "Acme 2" in page and "90%" in page
    confirm = reverse(DECIDE, args=[rows[0].pk, "confirm"])
    assert f'formaction="{confirm}"' in page
    assert reverse(DECIDE, args=[decided.pk, "confirm"]) not in page  # nothing to decide on a decided row


def test_the_queue_costs_the_same_queries_for_many_rows(admin_client, django_assert_max_num_queries):
    for n in range(30):
        suggest(*pair(f"new {n}", f"old {n}", new=make_customer(), old=make_customer()))

    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse(QUEUE)).status_code == 200


def test_given_a_pending_row_when_confirmed_then_merged_and_undo_on_the_row_restores(admin_client, admin_user):
    new, old = pair("Export times out", "CSV export fails with a timeout")
    suggestion = suggest(new, old)

    response = admin_client.post(reverse(DECIDE, args=[suggestion.pk, "confirm"]), follow=True)

    new.refresh_from_db()
    suggestion.refresh_from_db()
    assert new.duplicate_of_id == old.pk and suggestion.decision == Decision.CONFIRMED
    assert suggestion.merge == Merge.objects.get() and suggestion.decided_by == admin_user
    assert f"Merged #{new.pk} → #{old.pk}." in response.content.decode()

    admin_client.post(reverse(DECIDE, args=[suggestion.pk, "undo"]))

    new.refresh_from_db()
    suggestion.refresh_from_db()
    assert new.duplicate_of_id is None and suggestion.decision == Decision.PENDING


def test_given_a_pending_row_when_rejected_then_recorded_and_a_second_decision_is_refused_with_a_message(
    admin_client,
):
    suggestion = suggest(*pair("a", "b"))

    admin_client.post(reverse(DECIDE, args=[suggestion.pk, "reject"]))
    response = admin_client.post(reverse(DECIDE, args=[suggestion.pk, "confirm"]), follow=True)

    suggestion.refresh_from_db()
    assert suggestion.decision == Decision.REJECTED and not Merge.objects.exists()
    assert "already rejected" in response.content.decode()


def test_given_selected_rows_when_confirming_in_bulk_then_each_merges_and_refusals_are_named(admin_client):
    parent = make_feedback(received_at=timezone.now() - timedelta(days=3))
    first, second, third = make_feedback(), make_feedback(), make_feedback()
    chosen = [suggest(first, parent), suggest(second, parent), suggest(third, parent, decision=Decision.REJECTED)]

    response = admin_client.post(
        reverse(QUEUE),
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [s.pk for s in chosen]},
        follow=True,
    )

    page = response.content.decode()
    assert set(parent.duplicates.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert "Merged 2 suggestion(s)." in page and "already rejected" in page


def test_given_selected_rows_when_rejecting_in_bulk_then_each_is_rejected(admin_client):
    chosen = [suggest(*pair(f"n{n}", f"o{n}")) for n in range(3)]

    admin_client.post(reverse(QUEUE), {"action": "reject_selected", ACTION_CHECKBOX_NAME: [s.pk for s in chosen]})

    assert set(DuplicateSuggestion.objects.values_list("decision", flat=True)) == {Decision.REJECTED}


def test_a_decision_needs_a_post_and_the_right_to_change_feedback(admin_client, client, django_user_model):
    suggestion = suggest(*pair("a", "b"))
    viewer = django_user_model.objects.create_user(username="viewer", is_staff=True)
    client.force_login(viewer)

    assert admin_client.get(reverse(DECIDE, args=[suggestion.pk, "confirm"])).status_code == 405
    assert client.post(reverse(DECIDE, args=[suggestion.pk, "confirm"])).status_code in (302, 403)
    suggestion.refresh_from_db()
    assert suggestion.decision == Decision.PENDING


def test_the_item_page_shows_its_suggested_duplicates_and_related_items_with_links_both_ways(
    admin_client, django_assert_max_num_queries
):
    older = make_feedback(verbatim="Older ask about SAML", received_at=timezone.now() - timedelta(days=9))
    near = make_feedback(verbatim="Near topic: SCIM provisioning", received_at=timezone.now() - timedelta(days=8))
    item = make_feedback(verbatim="SSO with Okta please", received_at=timezone.now() - timedelta(days=5))
    newer = make_feedback(verbatim="We also need Okta SSO", customer=make_customer(name="Globex"))
    rejected = make_feedback(verbatim="Rejected match text")
    suggest(item, older, similarity=0.81)
    suggest(item, near, kind=Kind.RELATED, similarity=0.55)
    suggest(newer, item, similarity=0.77)
    suggest(rejected, item, decision=Decision.REJECTED)

    with django_assert_max_num_queries(40):
        response = admin_client.get(reverse("admin:feedback_feedbackitem_change", args=[item.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    for other in (older, near, newer):
        assert reverse("admin:feedback_feedbackitem_change", args=[other.pk]) in page
    assert "Older ask about SAML" in page and "Near topic: SCIM provisioning" in page and "Globex" in page
    assert "81%" in page and "55%" in page and "Related" in page
    assert "Rejected match text" not in page


def test_the_item_page_lists_a_bounded_number_of_newer_duplicates_and_links_to_the_rest(admin_client):
    from feedback import duplicates_admin

    item = make_feedback(received_at=timezone.now() - timedelta(days=5))
    for _ in range(duplicates_admin.SHOWN + 2):
        suggest(make_feedback(), item)

    page = admin_client.get(reverse("admin:feedback_feedbackitem_change", args=[item.pk])).content.decode()

    assert page.count(">Confirm<") == duplicates_admin.SHOWN
    assert f"?parent__exact={item.pk}" in page
    assert admin_client.get(reverse(QUEUE) + f"?parent__exact={item.pk}").status_code == 200
