"""Product ops' "Needs a customer" queue: ingested feedback no account matched, until someone assigns one."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.urls import reverse

from feedbackhub.roles import ENGINEERING, PRODUCT_OPS
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = pytest.mark.django_db
QUEUE = "admin:integrations_unmatchedfeedback_changelist"


@pytest.fixture
def member(django_user_model, client):
    def login(role: str, username: str):
        user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return login


def test_given_unmatched_and_matched_feedback_when_product_ops_opens_the_queue_then_only_the_unmatched_show(
    client, member, django_assert_max_num_queries
):
    member(PRODUCT_OPS, "ops")
    acme = make_customer(name="Acme")
    for n in range(8):
        make_feedback(verbatim=f"Unmatched ask {n}", reporter_email=f"user{n}@newco.example")
    make_feedback(verbatim="Matched ask", customer=acme)

    with django_assert_max_num_queries(14):
        response = client.get(reverse(QUEUE))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Unmatched ask") == 8 and "Matched ask" not in page
    assert "newco.example" in page and "Assign customer" in page


def test_given_a_role_that_may_not_change_feedback_then_the_queue_is_closed(client, member):
    member(ENGINEERING, "eng")

    assert client.get(reverse(QUEUE)).status_code == 403


def test_given_selected_items_when_ops_assigns_a_customer_then_each_is_attributed_through_the_service(client, member):
    member(PRODUCT_OPS, "ops")
    acme = make_customer(name="Acme")
    theme = make_theme()
    items = [make_feedback(verbatim=f"Unmatched ask {n}") for n in range(3)]
    items[0].themes.add(theme)
    type(theme).objects.filter(pk=theme.pk).update(rollups_dirty=False)
    chosen = {"action": "assign_customer", helpers.ACTION_CHECKBOX_NAME: [items[0].pk, items[1].pk]}

    page = client.post(reverse(QUEUE), chosen)
    applied = client.post(reverse(QUEUE), {**chosen, "apply": "1", "customer": acme.pk}, follow=True)

    assert page.status_code == 200 and "Assign a customer" in page.content.decode()
    assert "Assigned 2 item(s) to “Acme”" in applied.content.decode()
    assert [item.__class__.objects.get(pk=item.pk).customer for item in items] == [acme, acme, None]
    theme.refresh_from_db()
    assert theme.rollups_dirty  # assign_customer marks the rollups of the item's themes stale
    assert client.get(reverse(QUEUE)).content.decode().count("Unmatched ask ") == 1
