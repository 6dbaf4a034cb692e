"""Feedback admin: the inbox browses with bounded queries; search and filters are served by indexes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feedback.models import EmbeddingSpace, FeedbackItem
from tests.admin_plans import changelist_sorts, choice_filters, filter_gap, search_gaps
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db

ROWS = 20  # more rows than the page's query budget: one query per row (N+1) cannot fit in the budget
QUERY_BUDGET = 10


def test_given_feedback_of_many_customers_when_changelist_opens_then_every_row_renders_within_the_query_budget(
    admin_client, django_assert_max_num_queries
):
    items = [make_feedback(customer=make_customer(name=f"Account {n:02}")) for n in range(ROWS)]

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"))

    assert len(response.context["cl"].result_list) == ROWS
    page = response.content.decode()
    assert all(item.customer.name in page and item.verbatim in page for item in items)


def test_given_feedback_when_opening_the_add_form_then_it_answers(admin_client):
    response = admin_client.get(reverse("admin:feedback_feedbackitem_add"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("okta", {"verbatim": "SAML single sign-on fails for our Okta tenant"}),
        ("sso broken", {"verbatim": "It fails at login", "summary": "SSO broken for Okta"}),
        ("intercom-42", {"source_id": "INTERCOM-42"}),
    ],
    ids=["verbatim", "summary", "source_id"],
)
def test_given_feedback_when_searching_verbatim_summary_or_exact_source_id_then_only_matches_are_listed(
    query, match, admin_client
):
    wanted = make_feedback(**match)
    make_feedback(verbatim="Latency on mistral-large is too high", source_id="INTERCOM-420")

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_given_a_feedback_search_then_each_searched_column_is_served_by_its_index():
    indexes = {
        "verbatim": "feedback_verbatim_trgm",
        "summary": "feedback_summary_trgm",
        "=source_id": "feedback_source_id_upper_idx",
    }

    assert search_gaps(FeedbackItem, indexes) == {}


@pytest.mark.parametrize("field", choice_filters(FeedbackItem))
def test_given_a_feedback_choice_filter_then_its_index_serves_the_condition_in_changelist_order(field):
    assert filter_gap(FeedbackItem, field) is None
    assert changelist_sorts(FeedbackItem, field) == []


def test_given_embedding_spaces_then_admin_lists_them_read_only_and_refuses_to_add_one(
    admin_client, django_assert_max_num_queries
):
    spaces = [
        EmbeddingSpace.objects.create(provider="offline", model="all-MiniLM-L6-v2-int8", dimensions=384),
        EmbeddingSpace.objects.create(provider="mistral", model="mistral-embed", dimensions=1024),
    ]

    with django_assert_max_num_queries(QUERY_BUDGET):
        changelist = admin_client.get(reverse("admin:feedback_embeddingspace_changelist"))
    change_form = admin_client.get(reverse("admin:feedback_embeddingspace_change", args=[spaces[1].pk]))
    add_form = admin_client.get(reverse("admin:feedback_embeddingspace_add"))

    assert list(changelist.context["cl"].result_list) == [spaces[1], spaces[0]]  # ordered by provider, model
    assert set(change_form.context["adminform"].form.fields) == set()  # provider, model, dimensions: read-only
    assert "mistral-embed" in change_form.content.decode()
    assert add_form.status_code == 403
