"""The commands: ``sync_crm <file>`` (a CRM export, progress bar, per-row problems) and ``fetch_feedback <source>``."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.choices import Tier
from feedback.models import FeedbackItem
from tests.factories import make_customer
from tests.integrations.payloads import FIXTURES, payload
from tests.integrations.stub_http import stub_api_fixture  # noqa: F401 (the stub_api fixture)

pytestmark = pytest.mark.django_db


def test_given_a_csv_export_then_known_accounts_are_updated_and_each_bad_row_is_listed(django_user_model):
    django_user_model.objects.create_user(username="ae", email="ae@hub.example")
    initech = make_customer(domain="initech.example", crm_id="001Dn00000ABCDE")
    globex = make_customer(domain="globex.example")
    make_customer(domain="initrode.example", crm_id="001Dn00000BADHS", health_score=10)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="2 problems in 4 rows"):
        call_command("sync_crm", str(FIXTURES / "crm_accounts.csv"), stdout=out, stderr=err)

    initech.refresh_from_db()
    globex.refresh_from_db()
    assert (initech.arr, initech.health_score, initech.account_owner.email) == (
        Decimal("250000.00"),
        64,
        "ae@hub.example",
    )
    assert (globex.tier, globex.health_score, str(globex.renewal_date)) == (Tier.MID_MARKET, 91, "2027-06-30")
    lines = out.getvalue().splitlines()
    assert lines[0] == "row 3: no account has CRM id “001Dn00000ZZZZZ” or domain “unknown.example”."
    assert lines[1] == "row 4: health score 140 is outside 0–100."
    assert "3 accounts updated, 0 unchanged, 2 problems." in lines[2]
    assert "4/4" in err.getvalue()  # the progress bar


def test_given_a_salesforce_json_export_then_it_applies(tmp_path):
    customer = make_customer(domain="initech.example", crm_id="001Dn00000ABCDE")
    export = tmp_path / "accounts.json"
    data = payload("salesforce_query.json")
    data["records"][0]["Owner"]["Email"] = ""
    export.write_text(json.dumps(data))

    call_command("sync_crm", str(export), stdout=StringIO(), stderr=StringIO())

    customer.refresh_from_db()
    assert (customer.tier, customer.arr) == (Tier.STRATEGIC_PARTNER, Decimal("300000.00"))


def test_given_no_file_then_the_command_says_so():
    with pytest.raises(CommandError, match="No file at"):
        call_command("sync_crm", "/nonexistent/accounts.csv")


def test_given_fetch_feedback_then_the_sources_items_since_the_date_are_ingested(settings, stub_api):
    stub_api.routes = {("GET", "/calls"): {"calls": [payload("call_transcript.json")]}}
    settings.CONNECTORS = {**settings.CONNECTORS, "call": {"base_url": stub_api.url, "token": "t"}}
    out = StringIO()

    call_command("fetch_feedback", "call", "--since", "2026-12-01", stdout=out)
    call_command("fetch_feedback", "call", "--since", "2026-12-01", stdout=out)

    assert FeedbackItem.objects.get().source_id == "call_8817"
    assert out.getvalue().splitlines() == [
        "call: 1 fetched, 1 created, 0 updated, 0 rejected.",
        "call: 1 fetched, 0 created, 1 updated, 0 rejected.",
    ]
    assert stub_api.seen[-1].query["since"] == ["2026-12-01T00:00:00+00:00"]
