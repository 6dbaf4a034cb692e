"""POST /api/events/: product events, one or a batch, idempotent on event_id, announced once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from customers.models import Customer
from feedbackhub.models import DomainEvent
from insights.events import CONFLICT, RECORDED
from insights.models import ProductEvent
from tests.api_support import token_client
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/api/events/"
INGEST = ("ingest",)


@pytest.fixture
def api(django_user_model):
    """A product's client: an ingest token of a user allowed to add product events (and nothing else)."""
    user = django_user_model.objects.create_user(username="product", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_productevent"))
    return token_client(user, scopes=INGEST)


@pytest.fixture
def acme() -> Customer:
    return make_customer(name="Acme", domain="acme.example", crm_id="001ACME")


def event(**fields) -> dict:
    return {
        "event_id": "evt-1",
        "name": "value_delivered",
        "customer_crm_id": "001ACME",
        "contact": "ana@acme.example",
        "persona": "analyst",
        "occurred_at": "2026-11-20T09:30:00+01:00",
        "properties": {"report": "Q4 churn", "rows": 1200, "ratio": 0.25},
        **fields,
    }


def announcements() -> list[dict]:
    return list(DomainEvent.objects.filter(name=RECORDED).order_by("id").values_list("payload", flat=True))


def test_given_an_event_then_it_is_stored_as_sent_and_announced(api, acme):
    response = api.post(URL, event(), format="json")

    assert response.status_code == 201, response.content
    stored = ProductEvent.objects.get()
    assert response.json() == {
        "created": 1,
        "duplicate": 0,
        "rejected": 0,
        "items": [{"index": 0, "status": "created", "event_id": "evt-1", "id": stored.pk, "customer": acme.pk}],
    }
    assert (stored.event_id, stored.name, stored.customer, stored.contact, stored.persona) == (
        "evt-1",
        "value_delivered",
        acme,
        "ana@acme.example",
        "analyst",
    )
    assert stored.occurred_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert stored.properties == {"report": "Q4 churn", "rows": 1200, "ratio": 0.25}
    assert stored.received_at is not None
    assert announcements() == [{"ids": [stored.pk], "names": ["value_delivered"]}]


def test_given_the_same_event_sent_again_then_it_is_a_duplicate_never_counted_twice_nor_announced_again(api, acme):
    first = api.post(URL, event(), format="json").json()["items"][0]

    again = api.post(URL, event(persona="admin", properties={"changed": True}), format="json")

    assert again.status_code == 200, again.content
    assert again.json()["items"] == [
        {"index": 0, "status": "duplicate", "event_id": "evt-1", "id": first["id"], "customer": acme.pk}
    ]
    assert ProductEvent.objects.count() == 1
    assert ProductEvent.objects.get().persona == "analyst"  # the first arrival stands: events are never edited
    assert len(announcements()) == 1


def test_given_a_batch_sent_twice_then_the_rows_are_stored_once_and_the_second_reply_says_duplicate(api, acme):
    batch = {"items": [event(event_id=f"e-{n}", name="report_sent") for n in range(20)]}

    first = api.post(URL, batch, format="json").json()
    second = api.post(URL, batch, format="json").json()

    assert (first["created"], first["duplicate"]) == (20, 0)
    assert (second["created"], second["duplicate"]) == (0, 20)
    assert [line["id"] for line in second["items"]] == [line["id"] for line in first["items"]]
    assert ProductEvent.objects.count() == 20
    [payload] = announcements()
    assert sorted(payload["ids"]) == sorted(line["id"] for line in first["items"])


def test_given_an_event_sent_twice_in_one_batch_then_the_second_is_a_duplicate_of_the_first(api, acme):
    response = api.post(URL, [event(), event(persona="admin", customer_domain="acme.example")], format="json")

    lines = response.json()["items"]
    assert [line["status"] for line in lines] == ["created", "duplicate"]
    assert lines[0]["id"] == lines[1]["id"] == ProductEvent.objects.get().pk
    assert ProductEvent.objects.get().persona == "analyst"


def test_given_one_event_id_for_two_events_in_one_batch_then_the_second_is_rejected_as_a_conflict(api, acme):
    response = api.post(URL, [event(), event(name="report_sent")], format="json")

    lines = response.json()["items"]
    assert [line["status"] for line in lines] == ["created", "rejected"]
    assert lines[1]["errors"] == {"event_id": [CONFLICT]} and "id" not in lines[1]
    assert ProductEvent.objects.get().name == "value_delivered"


def test_given_an_event_id_another_account_used_then_it_is_a_conflict_naming_no_row_and_the_same_event_a_duplicate(
    api, acme
):
    other = make_customer(name="Globex", domain="globex.example")
    theirs = api.post(URL, event(event_id="signup-1", customer_crm_id="", customer=other.pk), format="json").json()

    mine = api.post(URL, event(event_id="signup-1"), format="json")
    renamed = api.post(URL, event(event_id="signup-1", customer=other.pk, customer_crm_id="", name="x"), format="json")
    again = api.post(URL, event(event_id="signup-1", customer=other.pk, customer_crm_id=""), format="json")

    assert mine.status_code == 400, mine.content
    assert mine.json()["event_id"] == [CONFLICT] and mine.json()["item"]["status"] == "rejected"
    assert str(other.pk) not in mine.content.decode() and str(theirs["items"][0]["id"]) not in mine.content.decode()
    assert renamed.status_code == 400 and renamed.json()["event_id"] == [CONFLICT]
    assert again.status_code == 200
    assert again.json()["items"][0] == {
        "index": 0, "status": "duplicate", "event_id": "signup-1", "id": theirs["items"][0]["id"], "customer": other.pk
    }  # fmt: skip
    assert ProductEvent.objects.get().customer_id == other.pk


def test_given_a_batch_with_bad_events_then_each_is_rejected_with_its_field_and_the_rest_stored(api, acme):
    in_a_while = (timezone.now() + timedelta(minutes=10)).isoformat()
    batch = [
        event(event_id="good"),
        event(event_id="b1", name="Report Sent"),
        event(event_id="b2", occurred_at="2026-11-20T09:30:00"),
        event(event_id="b3", occurred_at=in_a_while),
        event(event_id="b4", properties=["not", "an", "object"]),
        event(event_id="b5", colour="blue"),
        event(event_id="b6", customer_crm_id="001NOBODY"),
        event(event_id="b7", customer_crm_id=""),
        event(event_id="b8", persona="Power User"),
        event(event_id="b9", name="x" * 101),
        {"name": "value_delivered", "customer_crm_id": "001ACME", "occurred_at": "2026-11-20T09:30:00Z"},
        "not an object",
    ]

    response = api.post(URL, {"items": batch}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 0, 11)
    errors = {line["index"]: set(line["errors"]) for line in body["items"] if line["status"] == "rejected"}
    assert errors == {
        1: {"name"},
        2: {"occurred_at"},
        3: {"occurred_at"},
        4: {"properties"},
        5: {"colour"},
        6: {"customer_crm_id"},
        7: {"customer"},
        8: {"persona"},
        9: {"name"},
        10: {"event_id"},
        11: {"non_field_errors"},
    }
    assert "in the future" in body["items"][3]["reason"]
    assert "time zone" in body["items"][2]["reason"]
    assert list(ProductEvent.objects.values_list("event_id", flat=True)) == ["good"]


def test_given_an_event_a_few_minutes_ahead_of_the_hubs_clock_then_it_is_taken(api, acme):
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()

    assert api.post(URL, event(occurred_at=ahead), format="json").status_code == 201


def test_given_properties_whose_numbers_grow_when_stored_then_the_event_is_rejected_not_a_server_error(api, acme):
    """jsonb prints 1e300 as 301 digits: 30 of them are 240 characters sent and ~9,000 stored, over the bound."""
    response = api.post(URL, event(properties={"x": [1e300] * 30}), format="json")

    assert response.status_code == 400, response.content
    assert "at most 8,192" in response.json()["properties"][0]
    assert api.post(URL, event(properties={"x": [1e300] * 20}), format="json").status_code == 201


def test_given_a_batch_where_every_event_is_bad_then_it_is_a_400_naming_each_and_nothing_is_written(api, acme):
    response = api.post(
        URL, {"items": [event(name="Bad Name"), event(event_id="2", occurred_at="yesterday")]}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"items[0].name", "items[1].occurred_at"}
    assert (body["created"], body["rejected"]) == (0, 2)
    assert not ProductEvent.objects.exists() and not announcements()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": {"event_id": "1"}}, "items"),
        ({"items": [], "extra": 1}, "extra"),
        ("just text", "body"),
        ({"items": [{}] * 1001}, "items"),
    ],
)
def test_given_a_body_that_is_not_events_then_it_is_a_400_naming_the_problem_and_nothing_is_written(
    api, acme, body, field
):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ProductEvent.objects.exists()


def test_given_a_body_that_is_not_json_then_it_is_a_400(api, acme):
    response = api.generic("POST", URL, b'{"event_id": ', content_type="application/json")

    assert response.status_code == 400
    assert not ProductEvent.objects.exists()


@pytest.mark.parametrize(
    "names",
    [
        {"customer_crm_id": "001ACME"},
        {"customer_domain": "ACME.example"},
        {"customer_domain": "https://www.acme.example"},
    ],
)
def test_given_an_account_named_by_crm_id_or_domain_then_the_event_is_its(api, acme, names):
    fields = {"customer_crm_id": "", **names}

    assert api.post(URL, event(**fields), format="json").status_code == 201
    assert ProductEvent.objects.get().customer == acme


def test_given_an_account_named_by_its_hub_id_then_the_event_is_its_and_an_unknown_id_is_rejected(api, acme):
    assert api.post(URL, event(customer=acme.pk, customer_crm_id=""), format="json").status_code == 201

    response = api.post(URL, event(event_id="2", customer=acme.pk + 1000, customer_crm_id=""), format="json")

    assert response.status_code == 400
    assert "customer" in response.json()
    assert ProductEvent.objects.count() == 1


def test_given_a_batch_then_its_cost_in_queries_does_not_grow_with_its_size(api, acme, django_assert_max_num_queries):
    batch = [event(event_id=f"e-{n}") for n in range(200)]

    with django_assert_max_num_queries(12):
        response = api.post(URL, batch, format="json")
    with django_assert_max_num_queries(12):
        again = api.post(URL, batch, format="json")

    assert (response.json()["created"], again.json()["duplicate"]) == (200, 200)


def test_given_tokens_without_the_ingest_scope_or_the_permission_then_events_are_refused(
    django_user_model, admin_user, acme
):
    plain = django_user_model.objects.create_user(username="plain", password="pw", is_staff=True)

    assert token_client(admin_user, scopes=("read", "write")).post(URL, event(), format="json").status_code == 403
    assert token_client(plain, scopes=INGEST).post(URL, event(), format="json").status_code == 403
    assert not ProductEvent.objects.exists()
    assert token_client(admin_user, scopes=INGEST).post(URL, event(), format="json").status_code == 201


def test_given_the_schema_then_it_documents_the_endpoint(admin_user):
    schema = token_client(admin_user, scopes=("read",)).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"][URL]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "413"}
    assert "ProductEvent" in str(operation["requestBody"])
    status = schema["components"]["schemas"]["EventResult"]["properties"]["status"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][status]["enum"] == ["created", "duplicate", "rejected"]
