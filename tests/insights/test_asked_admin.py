"""The questions asked of the hub as an admin list (``insights.asked_admin``): its columns, the abstained and
written-by filters, search, a sales person seeing only their own, a past answer shown again with its items linked and
"Ask again" filling the question box, and a page's queries not growing with its rows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedbackhub.roles import LAUNCH_OWNERS, LEADERSHIP, SALES_CS
from insights.ask import ask
from insights.ask_answer import OFFLINE
from insights.models import AskedQuestion
from tests.api_support import make_user
from tests.insights.ask_data import OFF_TOPIC, QUESTION, feedback_base

pytestmark = pytest.mark.django_db
LIST = reverse("admin:insights_askedquestion_changelist")


def asked(question: str, *, user=None, abstained: bool = False, written_by: str = OFFLINE, **answer) -> AskedQuestion:
    """A stored question with an answer shaped as ``insights.ask`` stores it (two cited items, one quote)."""
    body = {
        "question": question,
        "answer_text": "Two items [#901] [#902]",
        "citations": [901, 902],
        "groups": [{"theme": None, "items": 2, "customers": 1, "arr": 1000.0, "item_ids": [901, 902],
                    "quotes": [{"item_id": 901, "text": "It fails", "customer": "Acme", "tier": "", "score": 0.71}]}],
        "nearest": [],
        "filters_applied": [],
        **answer,
    }  # fmt: skip
    return AskedQuestion.objects.create(
        question=question, answer=body, abstained=abstained, written_by=written_by, asked_by=user, seconds=0.25
    )


def rows(response) -> list[str]:
    return [str(obj) for obj in response.context["cl"].result_list]


@pytest.fixture
def boss(django_user_model):
    return make_user(django_user_model, "boss", superuser=True)


def test_given_questions_then_the_list_shows_who_asked_the_best_match_the_cited_items_and_the_writer(
    client, boss, django_user_model
):
    base = feedback_base()
    lead = make_user(django_user_model, "lena", groups=[LEADERSHIP])
    answered = ask(QUESTION, user=lead)
    gap = ask(OFF_TOPIC, user=lead)
    client.force_login(boss)

    page = client.get(LIST)

    html = page.content.decode()
    assert page.status_code == 200 and rows(page) == [OFF_TOPIC, QUESTION]  # newest first
    assert ">lena<" in html and f">{OFFLINE}<" in html
    cells = {obj.pk: obj for obj in page.context["cl"].result_list}
    admin = page.context["cl"].model_admin
    assert admin.cited(cells[answered.id]) == len(answered.citations) >= 3
    assert admin.strength(cells[answered.id]) == f"{max(q['score'] for g in answered.groups for q in g.quotes):.2f}"
    nearest = max(row["score"] for row in gap.nearest)  # an abstention's best match: its nearest items' best
    assert gap.abstained and admin.strength(cells[gap.id]) == f"{nearest:.2f}"
    assert admin.cited(cells[gap.id]) == len(gap.citations)  # the nearest items its text names
    assert "answer" in cells[answered.id].get_deferred_fields()  # the answers' JSON is not read for the list
    assert base.theme.name not in html


def test_given_the_abstained_and_written_by_filters_and_a_search_then_each_narrows_the_list(client, boss):
    asked("What do banks say about SSO?", abstained=True)
    asked("Why do fine-tuning jobs fail?")
    asked("What about latency?", written_by="mistral-large-2411")
    asked("And pricing?", written_by=f"{OFFLINE}; Mistral's answer failed: timeout")
    client.force_login(boss)

    abstained = client.get(LIST, {"abstained__exact": "1"})
    mistral = client.get(LIST, {"written": "mistral"})
    fallback = client.get(LIST, {"written": "fallback"})
    offline = client.get(LIST, {"written": "offline"})
    searched = client.get(LIST, {"q": "fine-tuning"})

    assert rows(abstained) == ["What do banks say about SSO?"]
    assert rows(mistral) == ["What about latency?"]
    assert rows(fallback) == ["And pricing?"]
    assert rows(offline) == ["Why do fine-tuning jobs fail?", "What do banks say about SSO?"]
    assert rows(searched) == ["Why do fine-tuning jobs fail?"]


def test_given_a_sales_user_then_only_their_own_questions_are_listed_or_opened(client, boss, django_user_model):
    marcus = make_user(django_user_model, "marcus", groups=[SALES_CS])
    lena = make_user(django_user_model, "lena", groups=[LEADERSHIP])
    theirs = asked("Which accounts mention churn?", user=boss)
    own = asked("What does Acme ask for?", user=marcus)
    client.force_login(marcus)

    listed = client.get(LIST)
    other = client.get(reverse("admin:insights_askedquestion_change", args=[theirs.pk]))
    mine = client.get(reverse("admin:insights_askedquestion_change", args=[own.pk]))
    client.force_login(lena)  # a whole-book role sees everyone's, as on the Ask page's recent questions
    everyone = client.get(LIST)

    assert listed.status_code == 200 and rows(listed) == ["What does Acme ask for?"]
    assert other.status_code == 302  # "doesn't exist": no other person's answer
    assert mine.status_code == 200
    assert sorted(rows(everyone)) == ["What does Acme ask for?", "Which accounts mention churn?"]


def test_given_who_may_ask_then_who_sees_the_list_and_none_may_add_or_change_and_only_superusers_delete(
    client, boss, django_user_model
):
    question = asked("Anything on SSO?")
    launch_owner = make_user(django_user_model, "lou", groups=[LAUNCH_OWNERS])  # may not view feedback: may not ask
    lena = make_user(django_user_model, "lena", groups=[LEADERSHIP])
    delete = reverse("admin:insights_askedquestion_delete", args=[question.pk])

    client.force_login(launch_owner)
    refused = client.get(LIST).status_code
    client.force_login(lena)
    lead_list = client.get(LIST)
    lead_delete = client.post(delete, {"post": "yes"}).status_code
    add = client.get(reverse("admin:insights_askedquestion_add")).status_code
    client.force_login(boss)
    deleted = client.post(delete, {"post": "yes"}).status_code

    assert refused == 403 and lead_list.status_code == 200 and "action-toggle" not in lead_list.content.decode()
    assert (lead_delete, add) == (403, 403)
    assert deleted == 302 and not AskedQuestion.objects.exists()


def test_given_a_past_answer_then_its_page_shows_the_text_groups_and_linked_items_and_asks_again_filled_in(
    client, boss, django_user_model
):
    from insights.ask_filters import explicit_filters

    base = feedback_base()
    answer = ask(QUESTION, filters=explicit_filters({"industry": "healthcare"}), user=boss)
    client.force_login(boss)

    page = client.get(reverse("admin:insights_askedquestion_change", args=[answer.id])).content.decode()
    again = re.search(r'href="(/admin/ask/\?question=[^"]+)">Ask again', page).group(1).replace("&amp;", "&")
    box = client.get(again)

    assert QUESTION in page and base.theme.name in page
    assert "3 items · 2 unique customers · $650,000 ARR" in page
    for item in base.themed:
        assert f'href="/admin/feedback/feedbackitem/{item.pk}/change/">[#{item.pk}]</a>' in page  # in the text
    assert f'href="/admin/themes/theme/{base.theme.pk}/change/"' in page
    assert f'href="/admin/ask/?shown={answer.id}"' in page
    assert "industry=healthcare" in again
    assert box.status_code == 200 and box.context["answer"] is None
    assert box.context["form"].initial == {"question": QUESTION, "industry": "healthcare"}
    assert "selected>Healthcare</option>" in box.content.decode()
    assert AskedQuestion.objects.count() == 1  # filling the box in asks nothing


def test_given_5_or_50_questions_then_the_list_reads_the_same_number_of_queries(client, boss, django_user_model):
    people = [make_user(django_user_model, f"person{n}", groups=[LEADERSHIP]) for n in range(5)]
    for n in range(5):
        asked(f"Question {n}?", user=people[n % 5], abstained=n % 2 == 0)
    client.force_login(boss)
    client.get(LIST)  # the session and the content types cached, as on a second visit

    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for n in range(5, 50):
        asked(f"Question {n}?", user=people[n % 5], abstained=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        page = client.get(LIST)

    assert len(page.context["cl"].result_list) == 50
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not any("COUNT(*)" in query["sql"] and "LIMIT" not in query["sql"] for query in many.captured_queries)
