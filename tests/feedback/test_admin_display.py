"""What product ops reads in the feedback list and page: pills, themes, the customer's context, honest empty lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from feedback.choices import Priority, Sentiment, Status
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:feedback_feedbackitem_changelist"


def test_given_items_when_listing_then_status_priority_and_sentiment_are_labels_and_themes_show_in_few_queries(
    admin_client, django_assert_max_num_queries
):
    theme = make_theme(name="Rate limits")
    for _ in range(20):
        make_feedback(
            priority=Priority.CRITICAL, sentiment_label=Sentiment.NEGATIVE, status=Status.BUILDING
        ).themes.add(theme)

    with django_assert_max_num_queries(10):
        page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert page.count("Rate limits") >= 20
    assert page.count("bg-red-100") >= 40  # unfold's danger label: critical priority and negative sentiment stand out


def test_given_an_item_when_opening_it_then_the_customers_context_is_shown(admin_client, django_user_model):
    owner = django_user_model.objects.create_user(username="hs", first_name="Hannah", last_name="Schmidt")
    customer = make_customer(name="Umbrella Bank", arr=Decimal("830600"), account_owner=owner)
    item = make_feedback(customer=customer)

    page = admin_client.get(reverse("admin:feedback_feedbackitem_change", args=[item.pk])).content.decode()

    assert "Umbrella Bank" in page and "$830,600 ARR" in page and "owner Hannah Schmidt" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "zzzz"}, "No feedback items match “zzzz”"),
        ({"status__exact": "shipped"}, "No feedback items match these filters"),
        ({}, "There are no feedback items here yet"),
    ],
)
def test_given_an_empty_list_then_it_says_why_and_what_to_do(admin_client, params, message):
    page = admin_client.get(reverse(CHANGELIST), params).content.decode()

    assert message in page
    assert "yielded into no results" not in page


def test_given_a_phone_then_the_list_hides_the_checkbox_row_and_secondary_columns(admin_client):
    make_feedback()

    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "@media (max-width: 1023px)" in page
    assert "#result_list td.field-product, #result_list td.field-sentiment_pill" in page
