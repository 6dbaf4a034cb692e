"""The API's shared shape (feedbackhub.api, feedbackhub.api_urls): schema and docs, errors that name the field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.urls import Resolver404, resolve

from feedbackhub.api import exception_handler
from tests.api_support import session_client, token_client
from tests.factories import make_customer, make_feedback

RESOURCES = ["/api/customers/", "/api/usage-snapshots/", "/api/feedback/", "/api/themes/", "/api/launches/"]


@pytest.mark.django_db
def test_given_a_token_then_the_schema_lists_every_resource_with_its_orderings(admin_user):
    response = token_client(admin_user, scopes=["read"]).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {*RESOURCES, "/api/checklist-items/", "/api/feedback/{id}/"} <= set(paths)
    parameters = {p["name"]: p for p in paths["/api/feedback/"]["get"]["parameters"]}
    assert parameters["ordering"]["schema"]["enum"] == ["-received_at", "received_at"]
    assert {"cursor", "fields", "status", "customer_tier", "arr_min", "received_at_after", "q"} <= set(parameters)


@pytest.mark.django_db
def test_given_an_admin_session_then_the_docs_open_and_strangers_get_401(admin_user, client):
    make_feedback(customer=make_customer())
    browser = session_client(admin_user)

    assert browser.get("/api/docs/").status_code == 200
    assert browser.get("/api/redoc/").status_code == 200
    for url in [*RESOURCES, "/api/checklist-items/"]:  # the browsable API, with its filter and write forms
        assert browser.get(url, HTTP_ACCEPT="text/html").status_code == 200, url
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/customers/").status_code == 401


@pytest.mark.django_db
def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_given_the_ingest_url_then_no_resource_viewset_answers_it():
    try:
        match = resolve("/api/feedback/ingest/")
    except Resolver404:
        return
    assert "FeedbackItemViewSet" not in repr(match.func)


def test_given_a_services_refusal_then_400_under_its_field():
    by_field = exception_handler(ValidationError({"status": ["Not allowed."]}), {})
    plain = exception_handler(ValidationError("Nope.", code="x"), {})

    assert by_field.status_code == 400 and by_field.data == {"status": ["Not allowed."]}
    assert plain.status_code == 400 and plain.data == {"non_field_errors": ["Nope."]}


@pytest.mark.django_db
def test_given_a_row_others_need_or_a_refused_constraint_then_409():
    item = make_feedback(customer=make_customer())

    protected = exception_handler(ProtectedError("protected", {item}), {})
    conflict = exception_handler(IntegrityError("duplicate key"), {})

    assert protected.status_code == 409 and "feedback items" in protected.data["detail"]
    assert conflict.status_code == 409


def test_given_a_value_the_column_cannot_hold_then_400_not_500():
    response = exception_handler(DataError("value out of range for type bigint\nDETAIL: …"), {})

    assert response.status_code == 400 and response.data["detail"].endswith("out of range for type bigint.")
