"""One search box: the customer's words, the summary, the source id, the customer's name and exact tags."""

import pytest
from django.urls import reverse

from feedback.models import FeedbackItem
from tests.admin_plans import SEARCH_PLANNER, changelist_queryset, describe, explain, index_conditions
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db


def search(admin_client, term: str) -> list[FeedbackItem]:
    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"q": term})
    return list(response.context["cl"].result_list)


def test_given_feedback_of_a_customer_when_searching_the_customers_name_then_their_items_are_listed(admin_client):
    acme = make_customer(name="Acme Robotics")
    wanted = make_feedback(customer=acme, verbatim="Rate limits are too low")
    make_feedback(customer=make_customer(name="Globex"), verbatim="Rate limits are fine")

    assert search(admin_client, "acme rob") == [wanted]


def test_given_tagged_feedback_when_searching_the_tag_then_tagged_items_are_listed(admin_client):
    wanted = make_feedback(tags=["sso", "okta"], verbatim="Login loops")
    make_feedback(tags=["billing"], verbatim="Invoice wrong")

    assert search(admin_client, "OKTA") == [wanted]


def test_given_a_search_then_customer_and_tag_conditions_are_served_by_their_indexes():
    make_customer(name="Acme Robotics")
    queryset = changelist_queryset(FeedbackItem, {"q": "acme"})

    nodes = explain(*queryset.query.sql_with_params(), **SEARCH_PLANNER)

    customer_conditions = [
        condition
        for name in ("feedback_customer_idx", "feedback_feedbackitem_customer_id_4f2329d4")
        for condition in index_conditions(nodes, name)
    ]
    assert any("customer_id =" in condition for condition in customer_conditions), describe(nodes)
    assert any("tags @>" in condition for condition in index_conditions(nodes, "feedback_tags_gin")), describe(nodes)
