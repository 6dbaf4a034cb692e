"""The demo's escalations (``demo.escalations.load``): NPS answers for the largest owned accounts, the check run once,
one detractor acknowledged and one silent account resolved; loading again changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from demo import escalations as demo_escalations
from insights.choices import EscalationStatus
from insights.models import Escalation, SurveyResponse
from tests.factories import make_customer
from tests.insights.escalation_data import ensure_default_rules, quiet

pytestmark = pytest.mark.django_db


def test_given_demo_accounts_when_loading_twice_then_realistic_escalations_exist_once(django_user_model):
    ensure_default_rules()
    owner = django_user_model.objects.create_user("cs-maria", email="maria@example.com")
    for n in range(10):
        make_customer(arr=Decimal(100_000 * (n + 1)), account_owner=owner)
    silent = quiet(under=False)
    silent.account_owner = owner
    silent.save()
    out = io.StringIO()

    demo_escalations.load(out)
    first = dict(Escalation.objects.values_list("condition_key", "status"))
    demo_escalations.load(io.StringIO())

    assert SurveyResponse.objects.filter(source="demo").count() == len(demo_escalations.ANSWERS)
    assert dict(Escalation.objects.values_list("condition_key", "status")) == first
    statuses = sorted(first.values())
    assert statuses.count(EscalationStatus.ACKNOWLEDGED) == 1 and statuses.count(EscalationStatus.RESOLVED) == 1
    assert Escalation.objects.filter(rule__metric="nps_detractor").count() == 3
    resolved = Escalation.objects.get(status=EscalationStatus.RESOLVED)
    assert list(resolved.customers.all()) == [silent] and "Check-in booked" in resolved.resolution_notes
    assert out.getvalue().startswith("Escalations: 4 opened by the check (3 nps detractor, 1 no activity in 14 days")
