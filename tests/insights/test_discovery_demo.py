"""The discovery demo loads through the services, marks its feedback as demo data, and adds nothing the second time."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest

from demo import discovery as demo_discovery
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from insights import discovery
from insights.models import DesignPartnerProgram, JtbdInterview, PartnerCheckIn, WinLossRecord
from integrations import ingest
from tests.factories import make_customer, make_launch, make_theme

pytestmark = pytest.mark.django_db


def test_given_accounts_a_launch_and_themes_when_the_demo_loads_twice_then_it_adds_its_records_once(monkeypatch):
    monkeypatch.setattr(ingest, "publish_triage", lambda ids: None)
    for n in range(13):
        make_customer(customer_since=date(2025, 1, 1), arr=1_000_000 - n)
    make_launch()
    for _ in range(3):
        make_theme()

    demo_discovery.load(StringIO())
    counts = [m.objects.count() for m in (DesignPartnerProgram, PartnerCheckIn, WinLossRecord, JtbdInterview)]
    demo_discovery.load(StringIO())

    assert counts == [1, 12, 4, 3]
    assert [m.objects.count() for m in (DesignPartnerProgram, PartnerCheckIn, WinLossRecord, JtbdInterview)] == counts
    assert FeedbackItem.objects.count() == FeedbackItem.objects.filter(raw_payload__has_key=PAYLOAD_MARK).count() == 19
    assert not FeedbackItem.objects.filter(time_maturity="", customer__isnull=False).exists()
    program = DesignPartnerProgram.objects.get()
    overdue = [p for p in discovery.partners_with_last_check_in(programs=[program])[program.pk] if p.last_check_in]
    assert sum(discovery.check_in_overdue(p.last_check_in) for p in overdue) == 1
