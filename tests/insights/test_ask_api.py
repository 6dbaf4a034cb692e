"""POST /api/ask/: the answer's shape, read scope or an admin session, precise 400s, its own throttle, the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from insights.ask_retrieval import ABSTAIN_BELOW
from insights.models import AskedQuestion
from tests.api_support import make_user, session_client, token_client
from tests.insights.ask_data import QUESTION, feedback_base

pytestmark = pytest.mark.django_db
URL = "/api/ask/"


@pytest.fixture
def admin(django_user_model):
    return make_user(django_user_model, "ada", superuser=True)


@pytest.fixture
def reader(admin):
    return token_client(admin, scopes=("read",))


def test_given_a_read_token_then_the_answer_comes_grouped_with_citations(reader, django_assert_max_num_queries):
    base = feedback_base()

    with django_assert_max_num_queries(20):
        response = reader.post(URL, {"question": QUESTION, "industry": "healthcare"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "id", "question", "search_text", "filters_applied", "abstained", "answer_text", "groups", "totals",
        "citations", "nearest", "written_by", "strength", "seconds",
    }  # fmt: skip
    assert 0.5 < body["strength"] <= 1 and not body["abstained"]
    assert body["filters_applied"] == [
        {"field": "industry", "value": "healthcare", "label": "Healthcare", "source": "form"}
    ]
    (group,) = body["groups"]
    assert group["theme"] == {"id": base.theme.pk, "name": base.theme.name}
    assert (group["items"], group["customers"], group["arr"]) == (3, 2, 650000.0)
    assert set(group["quotes"][0]) == {"item_id", "text", "customer", "tier"}
    assert sorted(body["citations"]) == sorted(item.pk for item in base.themed)
    assert body["abstained"] is False and body["written_by"] == "offline (extractive)"
    assert AskedQuestion.objects.get(pk=body["id"]).filters == {"industry": "healthcare"}


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"question": "   "}, "question", "may not be blank"),
        ({}, "question", "required"),
        ({"question": "x" * 501}, "question", "no more than 500 characters"),
        ({"question": "SSO?", "tier": "platinum"}, "tier", '"platinum" is not a valid choice'),
        ({"question": "SSO?", "product": "gpt-5"}, "product", '"gpt-5" is not a valid choice'),
        ({"question": "SSO?", "since": "March"}, "since", "Date has wrong format"),
        ({"question": "SSO?", "until": "2026-02-30"}, "until", "Date has wrong format"),
        ({"question": "SSO?", "since": "2026-03-01", "until": "2026-02-01"}, "until", "before since"),
        ({"question": "SSO?", "theme": 999999}, "theme", "No theme with id 999999"),
        ({"question": "SSO?", "segment": "enterprise"}, "segment", "Unknown field"),
    ],
)
def test_given_a_bad_request_then_a_400_names_the_field(reader, payload, field, message):
    response = reader.post(URL, payload, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert AskedQuestion.objects.count() == 0


def test_given_a_token_without_the_read_scope_then_403(admin):
    response = token_client(admin, scopes=("ingest",)).post(URL, {"question": QUESTION}, format="json")

    assert response.status_code == 403 and "'read' scope" in response.json()["detail"]


def test_given_a_user_who_may_not_view_feedback_then_403(django_user_model):
    nobody = make_user(django_user_model, "nobody")

    response = token_client(nobody, scopes=("read",)).post(URL, {"question": QUESTION}, format="json")

    assert response.status_code == 403 and "view feedback items" in response.json()["detail"]


def test_given_no_credentials_then_401_and_an_admin_session_may_ask(admin):
    assert APIClient().post(URL, {"question": QUESTION}, format="json").status_code == 401

    response = session_client(admin).post(URL, {"question": "Anything about SSO?"}, format="json")

    assert response.status_code == 200 and response.json()["abstained"] is True  # nothing embedded: no evidence


def test_given_too_many_questions_then_429_with_retry_after(reader, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ask": "2/min"},
    }

    codes = [reader.post(URL, {"question": "SSO?"}, format="json").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_given_the_schema_then_ask_is_documented_with_its_fields(admin):
    schema = session_client(admin).get("/api/schema/", HTTP_ACCEPT="application/json")

    operation = schema.json()["paths"][URL]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema.json()["components"]["schemas"][request]["properties"]
    assert {"question", "tier", "industry", "product", "theme", "since", "until", "community"} <= set(fields)
    assert set(operation["responses"]) == {"200", "400", "429"}


def test_given_a_sales_user_then_the_answer_quotes_only_the_accounts_they_own(django_user_model):
    from feedbackhub.roles import SALES_CS

    base = feedback_base()
    marcus = make_user(django_user_model, "marcus", groups=[SALES_CS])
    base.cedar.account_owner = marcus
    base.cedar.save(update_fields=["account_owner"])

    body = token_client(marcus, scopes=("read",)).post("/api/ask/", {"question": QUESTION}, format="json").json()
    everyone = session_client(make_user(django_user_model, "boss", superuser=True))
    whole_book = everyone.post("/api/ask/", {"question": QUESTION}, format="json").json()

    quoted = {quote["customer"] for group in body["groups"] for quote in group["quotes"]}
    assert quoted <= {"Cedar Bank"}  # the feedback list shows him Cedar Bank's items only: so does the answer
    assert {quote["customer"] for group in whole_book["groups"] for quote in group["quotes"]} - {"Cedar Bank"}
    visible = set(base.cedar.feedback_items.values_list("pk", flat=True))
    assert set(body["citations"]) <= visible


def test_given_a_sales_user_then_the_evidence_strength_is_their_own_accounts_not_the_whole_books(django_user_model):
    from feedbackhub.roles import SALES_CS

    base = feedback_base()
    dana = make_user(django_user_model, "dana", groups=[SALES_CS])
    base.others[1].customer.account_owner = dana  # Dune Retail: dark mode, and praise for fine-tuning
    base.others[1].customer.save(update_fields=["account_owner"])
    nobody = make_user(django_user_model, "nobody", groups=[SALES_CS])  # owns no account

    own = token_client(dana, scopes=("read",)).post(URL, {"question": QUESTION}, format="json").json()
    none = token_client(nobody, scopes=("read",)).post(URL, {"question": QUESTION}, format="json").json()
    whole_book = token_client(make_user(django_user_model, "boss", superuser=True), scopes=("read",))
    book = whole_book.post(URL, {"question": QUESTION}, format="json").json()

    assert not book["abstained"] and book["strength"] > own["strength"] > 0
    assert none["strength"] == 0 and none["abstained"] and none["citations"] == [] and none["nearest"] == []
    assert own["abstained"] == (own["strength"] < ABSTAIN_BELOW)
