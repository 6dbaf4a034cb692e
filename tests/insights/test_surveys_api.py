"""POST /api/survey-responses/: NPS and CSAT answers, one or a batch, idempotent, their comments become feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from customers.models import Customer
from feedback.choices import Source
from feedback.models import FeedbackItem
from insights.models import SurveyResponse
from integrations.models import PendingTriage
from tests.api_support import token_client
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/api/survey-responses/"
INGEST = ("ingest",)


@pytest.fixture
def api(django_user_model):
    """A survey tool's client: an ingest token of a user allowed to record answers and feedback."""
    user = django_user_model.objects.create_user(username="typeform", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_surveyresponse", "change_surveyresponse", "add_feedbackitem", "change_feedbackitem"]
        )
    )
    return token_client(user, scopes=INGEST)


@pytest.fixture
def acme() -> Customer:
    return make_customer(name="Acme", domain="acme.example", crm_id="001ACME", health_score=None)


def answer(**fields) -> dict:
    return {
        "kind": "nps",
        "score": 3,
        "comment": "Latency doubled since the last release, we are looking at other vendors.",
        "customer_crm_id": "001ACME",
        "contact_email": "cto@acme.example",
        "survey": "Q4 relationship NPS",
        "source": "typeform",
        "external_id": "resp-1",
        "responded_at": "2026-11-20T09:30:00+01:00",
        **fields,
    }


def test_given_an_answer_with_a_comment_then_it_is_stored_and_its_comment_becomes_a_linked_feedback_item(api, acme):
    response = api.post(URL, answer(), format="json")

    assert response.status_code == 201, response.content
    line = response.json()["items"][0]
    stored = SurveyResponse.objects.get()
    item = FeedbackItem.objects.get()
    assert line == {
        "index": 0,
        "status": "created",
        "source": "typeform",
        "external_id": "resp-1",
        "id": stored.pk,
        "customer": acme.pk,
        "feedback": item.pk,
    }
    assert (stored.kind, stored.score, stored.customer, stored.feedback) == ("nps", 3, acme, item)
    assert (item.source, item.source_id, item.customer, item.verbatim) == (
        Source.NPS,
        "typeform:resp-1",
        acme,
        answer()["comment"],
    )
    assert item.received_at == stored.responded_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert item.reporter_email == "cto@acme.example" and item.tags == ["nps", "detractor"]
    assert PendingTriage.objects.filter(item=item).exists()  # queued for triage by the ingestion
    acme.refresh_from_db()
    assert acme.health_score is not None  # the account was rescored


def test_given_the_same_answer_sent_again_then_it_is_updated_never_doubled(api, acme):
    api.post(URL, answer(), format="json")

    response = api.post(URL, answer(score=9, comment="Much better now, thanks."), format="json")

    assert response.status_code == 200
    assert response.json()["items"][0]["status"] == "updated"
    stored, item = SurveyResponse.objects.get(), FeedbackItem.objects.get()
    assert (stored.score, stored.feedback, item.verbatim) == (9, item, "Much better now, thanks.")


def test_given_an_answer_without_a_comment_then_no_feedback_item_is_made(api, acme):
    response = api.post(URL, answer(comment="   ", kind="csat", score=4), format="json")

    assert response.status_code == 201
    assert response.json()["items"][0]["feedback"] is None
    assert not FeedbackItem.objects.exists()


def test_given_a_batch_with_bad_answers_then_each_bad_one_is_rejected_with_its_field_and_the_rest_stored(api, acme):
    batch = [
        answer(external_id="ok"),
        answer(external_id="too-high", score=11),
        answer(external_id="csat-zero", kind="csat", score=0),
        answer(external_id="text-score", score="9"),
        answer(external_id="nobody", customer_crm_id="", contact_email="someone@gmail.com"),
        answer(external_id="typo", commment="x"),
        answer(external_id="naive", responded_at="2026-11-20T09:30:00"),
        answer(external_id="no-account", customer_crm_id="", contact_email=""),
    ]

    response = api.post(URL, {"items": batch}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["rejected"]) == (1, 0, 7)
    errors = {line["external_id"]: line["errors"] for line in body["items"] if line["status"] == "rejected"}
    assert errors["too-high"] == {"score": ["NPS (0–10): the score is from 0 to 10, not 11."]}
    assert errors["csat-zero"] == {"score": ["CSAT (1–5): the score is from 1 to 5, not 0."]}
    assert list(errors["text-score"]) == ["score"]
    assert "No account matches contact_email “someone@gmail.com”" in errors["nobody"]["customer"][0]
    assert errors["typo"] == {"commment": ["Unknown field."]}
    assert list(errors["naive"]) == ["responded_at"]
    assert "Name the account" in errors["no-account"]["customer"][0]
    assert list(SurveyResponse.objects.values_list("external_id", flat=True)) == ["ok"]


def test_given_a_batch_where_every_answer_is_bad_then_it_is_a_400_naming_each_and_nothing_is_written(api, acme):
    response = api.post(URL, [answer(score=-1), answer(external_id="b", kind="ces")], format="json")

    assert response.status_code == 400
    body = response.json()
    assert "items[0].score" in body and "items[1].kind" in body
    assert not SurveyResponse.objects.exists() and not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    "names",
    [
        {"customer_crm_id": "001ACME", "contact_email": ""},
        {"customer_crm_id": "", "customer_domain": "https://www.ACME.example"},
        {"customer_crm_id": "", "contact_email": "jo@eu.acme.example"},
    ],
    ids=["crm id", "domain", "contact e-mail domain"],
)
def test_given_an_account_named_by_crm_id_domain_or_contact_email_then_the_answer_is_its(api, acme, names):
    response = api.post(URL, answer(**names), format="json")

    assert response.status_code == 201, response.content
    assert SurveyResponse.objects.get().customer == acme


def test_given_an_account_with_no_crm_id_nor_domain_named_by_its_id_then_the_comment_is_still_attributed_to_it(
    api, acme
):
    quiet = make_customer(name="Quiet", domain=None, crm_id=None)

    response = api.post(URL, answer(customer=quiet.pk, customer_crm_id=""), format="json")

    assert response.status_code == 201, response.content
    assert FeedbackItem.objects.get().customer == quiet  # not Acme, whose domain the contact's e-mail has


def test_given_an_unknown_account_id_then_the_answer_is_rejected(api, acme):
    response = api.post(URL, answer(customer=999_999), format="json")

    assert response.status_code == 400
    assert response.json()["customer"] == ["No account has the id 999999."]


def test_given_an_answer_sent_twice_in_one_batch_then_the_last_is_kept(api, acme):
    response = api.post(URL, [answer(score=2), answer(score=8)], format="json")

    assert [line["status"] for line in response.json()["items"]] == ["rejected", "created"]
    assert SurveyResponse.objects.get().score == 8


def test_given_a_batch_then_its_cost_in_queries_does_not_grow_with_its_size(api, acme, django_assert_max_num_queries):
    batch = [answer(external_id=f"r-{n}", comment=f"Comment number {n}") for n in range(50)]

    with django_assert_max_num_queries(20):  # 19 for one answer as for 50
        response = api.post(URL, batch, format="json")

    assert response.json()["created"] == 50
    assert FeedbackItem.objects.filter(survey_response__isnull=False).count() == 50


def test_given_tokens_without_the_ingest_scope_or_the_permissions_then_answers_are_refused(
    django_user_model, admin_user, acme
):
    plain = django_user_model.objects.create_user(username="plain", password="pw", is_staff=True)

    assert token_client(admin_user, scopes=("read", "write")).post(URL, answer(), format="json").status_code == 403
    assert token_client(plain, scopes=INGEST).post(URL, answer(), format="json").status_code == 403
    assert token_client(admin_user, scopes=INGEST).post(URL, answer(), format="json").status_code == 201


def test_given_the_schema_then_it_documents_the_endpoint(admin_user):
    schema = token_client(admin_user, scopes=("read",)).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "413"}
    assert "SurveyAnswer" in str(operation["requestBody"])


@pytest.mark.parametrize("source", ["journey", "Journey"])
def test_given_the_journey_surveys_source_then_the_answer_is_rejected_as_reserved_and_nothing_is_written(
    api, acme, source
):
    response = api.post(URL, answer(source=source, external_id="12:recommend"), format="json")

    assert response.status_code == 400, response.content
    assert "reserved for the answers to the hub's journey surveys" in response.json()["source"][0]
    assert not SurveyResponse.objects.exists() and not FeedbackItem.objects.exists()
