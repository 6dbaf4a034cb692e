"""POST /api/capture/: the widget's endpoint. Origins answered precisely, identity tokens checked, free text stored
as triaged feedback, thumbs and empty searches counted on one row each, and an answer that says nothing else."""

from __future__ import annotations

import gzip
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.choices import Source
from feedback.models import FeedbackItem
from integrations import capture
from integrations.capture_views import WIDGET
from integrations.choices import CaptureKind, UnsignedCaptures
from integrations.models import CaptureSignal, PendingTriage
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"
URL = "/api/capture/"


@pytest.fixture
def key():
    return capture.create_capture_key(name="Le Chat web", product="le_chat", allowed_origins=[ORIGIN])


@pytest.fixture
def acme():
    return make_customer(name="Acme Bank", crm_id="0015g00000ACME")


def post(client, key, body, *, origin=ORIGIN, raw: bytes | None = None, **extra):
    """A capture as a browser on ``origin`` sends it (``origin=None``: no Origin header, as curl)."""
    if origin is not None:
        extra["HTTP_ORIGIN"] = origin
    public_key = key.public_key if hasattr(key, "public_key") else key
    data = raw if raw is not None else json.dumps(body)
    return client.post(f"{URL}?key={public_key}", data=data, content_type="application/json", **extra)


def token(key, account="0015g00000ACME", *, user="u-42", expires_in=600, secret=None):
    return capture.make_identity_token(secret or key.signing_secret, user, account, int(time.time()) + expires_in)


FEEDBACK = {"kind": "feature", "text": "Exports time out past 10k rows.", "feature": "exports"}


# --- origins and CORS -----------------------------------------------------------------------------------------------


def test_given_an_allowed_origin_when_the_browser_preflights_then_it_gets_exactly_that_origin(client, key):
    response = client.options(
        f"{URL}?key={key.public_key}",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://app.example.com:8443",
        "http://app.example.com",
        "https://app.example.com.evil.io",
    ],
)
def test_given_another_origin_when_it_preflights_or_posts_then_no_cors_grant_and_nothing_stored(client, key, origin):
    preflight = client.options(
        f"{URL}?key={key.public_key}", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    posted = post(client, key, FEEDBACK, origin=origin)

    assert preflight.status_code == 403
    assert not any(name.lower().startswith("access-control-") for name, _ in preflight.items())
    assert posted.status_code == 403
    assert "Access-Control-Allow-Origin" not in posted
    assert FeedbackItem.objects.count() == 0


def test_given_no_origin_header_then_the_post_is_refused(client, key):
    response = post(client, key, FEEDBACK, origin=None)

    assert response.status_code == 403
    assert "origin" in response.json()["detail"].lower()


def test_given_an_unknown_or_switched_off_key_then_403_naming_it(client, key):
    unknown = post(client, "pk_" + "x" * 24, FEEDBACK)
    capture.update_capture_key(key=key, active=False)
    off = post(client, key, FEEDBACK)

    assert unknown.status_code == 403
    assert unknown.json()["detail"] == "Unknown capture key: check the script tag's data-key."
    assert (off.status_code, off.json()["detail"]) == (403, "This capture key is switched off.")
    assert "Access-Control-Allow-Origin" not in off


def test_given_origins_typed_loosely_then_they_are_stored_as_a_browser_sends_them():
    assert capture.clean_origins(["HTTPS://App.Example.com:443/", "", "http://127.0.0.1:8001"]) == [
        "https://app.example.com",
        "http://127.0.0.1:8001",
    ]
    with pytest.raises(capture.ValidationError) as error:
        capture.clean_origins(["https://*.example.com", "app.example.com", "https://a.example/path"])
    assert len(error.value.messages) == 3


# --- identity -------------------------------------------------------------------------------------------------------


def test_given_a_valid_token_then_the_feedback_names_the_account_with_page_feature_and_triage(client, key, acme):
    body = {**FEEDBACK, "identity": token(key), "page": "https://app.example.com/reports/42", "capture_id": "abcd1234"}

    response = post(client, key, body)

    assert response.status_code == 202
    assert response.json() == {"status": "received"}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    item = FeedbackItem.objects.get()
    assert (item.source, item.customer, item.feature, item.product) == (Source.IN_APP, acme, "exports", "le_chat")
    assert item.source_url == "https://app.example.com/reports/42"
    assert item.verbatim == "Exports time out past 10k rows."
    assert item.source_id == f"{key.public_key}:u-42:abcd1234"
    assert item.raw_payload["user"] == "u-42" and item.raw_payload["capture"] == "feature"
    assert set(item.tags) == {"in-product", "feature"}
    assert PendingTriage.objects.filter(item=item).exists()  # queued for triage once the request commits


def test_given_the_same_capture_sent_twice_then_one_item(client, key, acme):
    body = {**FEEDBACK, "identity": token(key), "capture_id": "retry-0001"}

    post(client, key, body)
    post(client, key, body)

    assert FeedbackItem.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda key: token(key, secret="not-the-secret"), "signature does not match"),
        (lambda key: token(key, expires_in=-30), "expired at"),
        (lambda key: "no-dot-here", "malformed"),
        (lambda key: token(key)[:-2] + "AA", "signature does not match"),
        (lambda key: "é.abc", "malformed"),
        (lambda key: "abc.é", "malformed"),
        (lambda key: token(key).replace(".", ".=", 1), "malformed"),
    ],
    ids=["forged", "expired", "malformed", "tampered", "non-ascii-payload", "non-ascii-signature", "padded"],
)
def test_given_a_bad_token_then_401_saying_why_and_nothing_stored(client, key, acme, make, message):
    response = post(client, key, {**FEEDBACK, "identity": make(key)})

    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read why
    assert FeedbackItem.objects.count() == 0


def test_given_a_token_of_another_key_then_it_never_names_that_customer(client, key, acme):
    other = capture.create_capture_key(name="Other product", product="api", allowed_origins=[ORIGIN])

    response = post(client, key, {**FEEDBACK, "identity": token(other)})

    assert response.status_code == 401
    assert not FeedbackItem.objects.filter(customer=acme).exists()


def test_given_a_payload_changed_to_another_account_then_refused(client, key, acme):
    victim = make_customer(name="Victim Corp", crm_id="VICTIM")
    payload, signature = token(key).split(".")
    claims = json.loads(capture._b64decode(payload))
    forged_payload = capture._b64encode(json.dumps({**claims, "account": "VICTIM"}).encode())

    response = post(client, key, {**FEEDBACK, "identity": f"{forged_payload}.{signature}"})

    assert response.status_code == 401
    assert not FeedbackItem.objects.filter(customer=victim).exists()


def test_given_no_token_and_an_anonymous_key_then_stored_without_a_customer(client, key, acme):
    response = post(client, key, FEEDBACK)

    assert response.status_code == 202
    item = FeedbackItem.objects.get()
    assert item.customer is None and item.raw_payload["user"] is None


def test_given_no_token_and_a_key_that_refuses_unsigned_then_401(client, key):
    capture.update_capture_key(key=key, unsigned=UnsignedCaptures.REFUSE)

    response = post(client, key, FEEDBACK)

    assert response.status_code == 401
    assert "signed captures only" in response.json()["detail"]
    assert FeedbackItem.objects.count() == 0


def test_given_a_valid_token_for_an_account_the_hub_does_not_know_then_stored_for_product_ops(client, key):
    response = post(client, key, {**FEEDBACK, "identity": token(key, account="UNKNOWN-1")})

    assert response.status_code == 202
    item = FeedbackItem.objects.get()
    assert item.customer is None and item.raw_payload["account"] == "UNKNOWN-1"


def test_given_a_token_then_verify_reads_its_claims_and_refuses_a_missing_one(key):
    assert capture.verify_identity(key=key, token=token(key, account=7, user=3)) == capture.Identity("3", "7")
    payload = capture._b64encode(json.dumps({"user": "1", "exp": int(time.time()) + 60}).encode())
    with pytest.raises(capture.IdentityError, match="no 'account'"):
        capture.verify_identity(key=key, token=f"{payload}.{capture._signature(key.signing_secret, payload)}")


# --- the kinds ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [CaptureKind.CANCELLATION, CaptureKind.ERROR])
def test_given_a_cancellation_or_an_error_page_answer_then_it_is_a_feedback_item_of_that_kind(client, key, kind):
    response = post(client, key, {"kind": kind, "text": "Trying to export invoices", "feature": "billing"})

    assert response.status_code == 202
    item = FeedbackItem.objects.get()
    assert item.raw_payload["capture"] == kind and kind.replace("_", "-") in item.tags


def test_given_thumbs_from_many_people_then_one_row_per_feature_and_day_counts_them(client, key, acme):
    for _ in range(5):
        assert post(client, key, {"kind": "thumbs_down", "feature": "exports", "task": "export"}).status_code == 202
    post(client, key, {"kind": "thumbs_up", "feature": "exports", "identity": token(key)})
    post(client, key, {"kind": "thumbs_up", "feature": "search"})

    rows = {(s.kind, s.feature): s.count for s in CaptureSignal.objects.all()}
    assert rows == {("thumbs_down", "exports"): 5, ("thumbs_up", "exports"): 1, ("thumbs_up", "search"): 1}
    assert FeedbackItem.objects.count() == 0


def test_given_the_same_empty_search_typed_differently_then_it_is_counted_on_one_row(client, key):
    for query in ["Cohort retention", "  cohort   RETENTION ", "cohort retention"]:
        post(client, key, {"kind": "zero_results", "query": query, "page": "https://app.example.com/search"})

    signal = CaptureSignal.objects.get()
    assert (signal.query, signal.count, signal.kind) == ("cohort retention", 3, CaptureKind.ZERO_RESULTS)
    assert signal.last_page == "https://app.example.com/search"


def test_given_signals_on_two_days_then_each_day_has_its_row(key):
    yesterday = timezone.now() - timedelta(days=1)
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_UP, feature="exports", at=yesterday)
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_UP, feature="exports")

    assert sorted(CaptureSignal.objects.values_list("count", flat=True)) == [1, 1]


# --- limits ---------------------------------------------------------------------------------------------------------


def test_given_a_body_over_8_kb_then_413_with_the_cors_grant(client, key):
    response = post(client, key, {"kind": "feature", "text": "x" * 9_000})

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert FeedbackItem.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "feature", "text": "y" * 2_001}, "text"),
        ({"kind": "feature", "text": "   "}, "text"),
        ({"kind": "zero_results", "query": " "}, "query"),
        ({"kind": "thumbs_up"}, "feature"),
        ({"kind": "feature", "text": "ok", "feature": "f" * 101}, "feature"),
        ({"kind": "feature", "text": "ok", "customer": "Acme"}, "customer"),
        ({"kind": "praise", "text": "ok"}, "kind"),
        ({"kind": "feature", "text": "ok", "capture_id": "../../x"}, "capture_id"),
    ],
)
def test_given_a_field_out_of_bounds_then_400_naming_it(client, key, body, field):
    response = post(client, key, body)

    assert response.status_code == 400
    assert field in response.json()
    assert FeedbackItem.objects.count() == 0 and CaptureSignal.objects.count() == 0


LONG_PAGE = "https://app.example.com/reports/" + "q" * 600


@pytest.mark.parametrize(
    ("page", "kept", "link"),
    [
        ("http://intranet/app", "http://intranet/app", ""),
        ("http://my_app.example.com/x", "http://my_app.example.com/x", ""),
        (LONG_PAGE, LONG_PAGE[:500], LONG_PAGE[:500]),
        ("javascript:alert(1)", "", ""),
    ],
    ids=["intranet-host", "underscore-host", "long-path", "not-http"],
)
def test_given_a_page_address_a_strict_url_check_refuses_then_the_text_is_stored_all_the_same(
    client, key, page, kept, link
):
    response = post(client, key, {**FEEDBACK, "page": page})

    assert response.status_code == 202, response.json()
    item = FeedbackItem.objects.get()
    assert item.verbatim == FEEDBACK["text"]
    assert (item.raw_payload["page"], item.source_url) == (kept, link)  # the item links only to what its field takes


def test_given_thumbs_from_a_long_page_then_counted_with_the_page_cut(client, key):
    response = post(client, key, {"kind": "thumbs_up", "feature": "exports", "page": LONG_PAGE})

    assert response.status_code == 202
    assert CaptureSignal.objects.get().last_page == LONG_PAGE[:500]


def test_given_any_answer_then_it_never_names_a_customer_or_an_item(client, key, acme):
    answer = post(client, key, {**FEEDBACK, "identity": token(key)})

    assert answer.json() == {"status": "received"}
    assert "Acme" not in answer.content.decode()


# --- the script and the schema --------------------------------------------------------------------------------------


def test_given_the_widget_then_it_is_served_to_every_origin_cached_and_under_15_kb_gzipped(client):
    response = client.get("/api/capture/widget.js")
    again = client.get("/api/capture/widget.js", HTTP_IF_NONE_MATCH=response["ETag"])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=86400" in response["Cache-Control"]
    assert again.status_code == 304
    assert len(gzip.compress(response.content, compresslevel=9)) <= 15 * 1024
    assert response.content == WIDGET.read_bytes()
    for name in ("feedbackLink", "askThumbs", "searchFoundNothing", "cancellation", "errorPage"):
        assert f"{name}: {name}" in response.content.decode()


def test_given_the_api_schema_then_it_documents_the_capture_endpoint_and_the_token(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/capture/"]["post"]
    assert "HMAC-SHA256" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"key"}
    assert {"202", "401", "403", "413", "429"} <= set(operation["responses"])
    assert "/api/capture/widget.js" not in schema["paths"]
