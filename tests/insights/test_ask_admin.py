"""The admin's Ask page: who may open it, asking posts then shows the stored answer by its id, form errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from insights.models import AskedQuestion
from tests.api_support import make_user
from tests.insights.ask_data import QUESTION, feedback_base

pytestmark = pytest.mark.django_db
URL = "/admin/ask/"


@pytest.fixture
def pm_client(client, django_user_model):
    client.force_login(make_user(django_user_model, "pat", superuser=True))
    return client


def test_given_the_url_name_then_it_is_the_ask_page():
    assert reverse("admin:insights_ask") == URL


def test_given_a_question_when_posted_then_the_page_redirects_to_its_stored_answer_with_item_links(pm_client):
    base = feedback_base()

    response = pm_client.post(URL, {"question": QUESTION, "industry": "healthcare"})

    asked = AskedQuestion.objects.get()
    assert response.status_code == 302 and response.url == f"{URL}?shown={asked.pk}"
    page = pm_client.get(response.url).content.decode()
    assert base.theme.name in page and "3 items · 2 customers · $650,000 ARR" in page
    assert f'href="/admin/feedback/feedbackitem/{base.themed[0].pk}/change/"' in page
    assert "selected>Healthcare</option>" in page  # the form shows the filters the answer used


def test_given_a_bad_filter_then_the_form_says_so_and_nothing_is_asked(pm_client):
    response = pm_client.post(URL, {"question": "SSO?", "since": "2026-03-01", "until": "2026-02-01"})

    assert response.status_code == 200 and "is before since" in response.content.decode()
    assert AskedQuestion.objects.count() == 0


def test_given_staff_who_may_not_view_feedback_then_403(client, django_user_model):
    client.force_login(make_user(django_user_model, "nobody"))

    assert client.get(URL).status_code == 403


def test_given_a_sales_user_then_others_answers_are_neither_listed_nor_shown(django_user_model, client):
    from feedbackhub.roles import SALES_CS
    from insights.ask import ask

    feedback_base()
    boss = make_user(django_user_model, "boss", superuser=True)
    theirs = ask(QUESTION, user=boss)
    marcus = make_user(django_user_model, "marcus", groups=[SALES_CS])
    client.force_login(marcus)

    page = client.get(reverse("admin:insights_ask"), {"shown": theirs.id})

    assert page.status_code == 200
    assert page.context["answer"] is None and list(page.context["recent"]) == []
