"""CRM "feedback addressed" (``integrations.outbound``): when a theme ships and its requesters are told, each customer's
CRM account gets one Salesforce-style PATCH (checked on a stub Salesforce on 127.0.0.1), or — with no CRM API — waits
for the CSV export, which lists it once and marks it sent."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedbackhub import events
from integrations import outbound, outbound_delivery
from integrations.choices import OutboundKind, OutboundStatus
from integrations.models import OutboundAction
from tests.factories import make_customer, make_feedback, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db


class SalesforceStub:
    """``PATCH /services/data/vXX.X/sobjects/Account/<id>``: 204 and no body, as Salesforce answers; ``fail`` scripts
    the next answers' status codes. Every request is kept (method, path, headers, JSON body)."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict, dict]] = []
        self.fail: list[int] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_PATCH(self):  # noqa: N802 - the http.server hook name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                stub.requests.append(("PATCH", self.path, dict(self.headers), body))
                status = stub.fail.pop(0) if stub.fail else 204
                payload = b"" if status == 204 else b'[{"errorCode":"SERVER_UNAVAILABLE","message":"down"}]'
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def salesforce(settings):
    stub = SalesforceStub()
    settings.CONNECTORS = {**settings.CONNECTORS, "crm": {"base_url": stub.url, "token": "00Dxx!session"}}
    yield stub
    stub.close()


@pytest.fixture
def no_crm_api(settings):
    settings.CONNECTORS = {**settings.CONNECTORS, "crm": {"base_url": "", "token": ""}}


def ship(theme_name: str, *customers) -> tuple[Theme, dict]:
    """A theme asked for by ``customers`` (two items from the first) ships; the close-the-loop events run."""
    theme = make_theme(name=theme_name, status=ThemeStatus.IN_PROGRESS)
    items = {}
    for n, customer in enumerate(customers):
        asks = [
            make_feedback(customer=customer, verbatim=f"{customer.name} needs SSO ({k})") for k in range(2 - bool(n))
        ]
        for item in asks:
            item.themes.add(theme)
        items[customer.pk] = [item.pk for item in asks]
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)  # the trigger records theme.shipped
    while events.process_pending():  # theme.shipped → customer updates → customer_updates.created → CRM rows
        pass
    return Theme.objects.get(pk=theme.pk), items


def test_given_a_theme_shipped_then_each_requesters_account_gets_one_patch_of_the_addressed_field(
    salesforce, django_capture_on_commit_callbacks
):
    acme, globex = make_customer(name="Acme", crm_id="001A000001"), make_customer(name="Globex", crm_id="001A000002")
    with django_capture_on_commit_callbacks(execute=True):
        theme, items = ship("Okta SSO", acme, globex)

    ids = list(
        OutboundAction.objects.filter(kind=OutboundKind.CRM_ADDRESSED).order_by("pk").values_list("pk", flat=True)
    )
    sent = [outbound_delivery.deliver(pk) for pk in ids]

    shipped = f"Okta SSO shipped {timezone.localdate(theme.shipped_at):%Y-%m-%d}"
    assert sent == ["sent", "sent"]
    assert [(method, path) for method, path, _, _ in salesforce.requests] == [
        ("PATCH", "/services/data/v59.0/sobjects/Account/001A000001"),
        ("PATCH", "/services/data/v59.0/sobjects/Account/001A000002"),
    ]
    _, _, headers, body = salesforce.requests[0]
    assert headers["Authorization"] == "Bearer 00Dxx!session" and headers["Content-Type"] == "application/json"
    assert body == {"Feedback_Addressed__c": shipped}
    rows = {row.customer_id: row for row in OutboundAction.objects.all()}
    assert rows[acme.pk].key == f"crm:{theme.pk}:{acme.pk}" and rows[acme.pk].payload["item_ids"] == items[acme.pk]
    assert {row.status for row in rows.values()} == {OutboundStatus.SENT}
    assert rows[acme.pk].external_url == f"{salesforce.url}/001A000001"


def test_given_the_ship_event_replayed_then_no_account_is_written_twice(salesforce, django_capture_on_commit_callbacks):
    acme = make_customer(name="Acme", crm_id="001A000001")
    theme, _ = ship("Okta SSO", acme)
    update_ids = list(theme.customer_updates.values_list("pk", flat=True))

    again = outbound.enqueue_crm_addressed(theme_id=theme.pk, update_ids=update_ids)
    outbound_delivery.deliver_due()
    outbound_delivery.deliver_due()

    assert again == [OutboundAction.objects.get().pk]  # the same row, not a second
    assert len(salesforce.requests) == 1


def test_given_the_crm_down_then_the_update_waits_with_its_error_and_goes_out_later(salesforce):
    salesforce.fail = [503]
    ship("Okta SSO", make_customer(name="Acme", crm_id="001A000001"))

    first = outbound_delivery.deliver_due()
    waiting = OutboundAction.objects.get()
    OutboundAction.objects.update(next_attempt_at=timezone.now())
    later = outbound_delivery.deliver_due()

    assert (first, waiting.status, "HTTP 503" in waiting.last_error) == (0, OutboundStatus.PENDING, True)
    assert later == 1 and OutboundAction.objects.get().status == OutboundStatus.SENT
    assert len(salesforce.requests) == 2


def test_given_a_customer_without_crm_id_then_its_row_fails_saying_so_and_nothing_is_sent(salesforce):
    ship("Okta SSO", make_customer(name="Initech", crm_id=""))

    outbound_delivery.deliver_due()

    action = OutboundAction.objects.get()
    assert action.status == OutboundStatus.FAILED and "no CRM id" in action.last_error
    assert salesforce.requests == []


def test_given_no_crm_api_then_the_rows_wait_and_the_csv_export_lists_them_once(no_crm_api, tmp_path):
    acme, globex = make_customer(name="Acme", crm_id="001A000001"), make_customer(name="Globex", crm_id="001A000002")
    theme, items = ship("Okta SSO", acme, globex)

    swept = outbound_delivery.deliver_due()
    out = tmp_path / "crm.csv"
    stdout = io.StringIO()
    call_command("export_crm_addressed", "--out", str(out), stdout=stdout)
    again = tmp_path / "again.csv"
    call_command("export_crm_addressed", "--out", str(again), stdout=io.StringIO())

    shipped_on = f"{timezone.localdate(theme.shipped_at):%Y-%m-%d}"
    assert swept == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows == [
        {
            "crm_id": customer.crm_id,
            "customer": customer.name,
            "theme": "Okta SSO",
            "shipped_on": shipped_on,
            "items": " ".join(str(pk) for pk in items[customer.pk]),
            "field": "Feedback_Addressed__c",
            "value": f"Okta SSO shipped {shipped_on}",
            "action_key": f"crm:{theme.pk}:{customer.pk}",
        }
        for customer in (acme, globex)
    ]
    assert "2 CRM update(s) written" in stdout.getvalue()
    assert list(csv.reader(again.open(encoding="utf-8"))) == [outbound.CSV_COLUMNS]
    assert set(OutboundAction.objects.values_list("status", flat=True)) == {OutboundStatus.SENT}
