"""Discovery records in the admin: the quick check-in form, the 5–8 partners rule on the program's page, the launch's
"ship to them first" panel, the win/loss list's filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackItem
from insights import discovery
from insights.choices import DealOutcome
from insights.models import DesignPartnerProgram, PartnerCheckIn, WinLossRecord
from integrations import ingest
from tests.factories import make_customer, make_launch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(ingest, "publish_triage", lambda ids: None)


@pytest.fixture
def program():
    program = DesignPartnerProgram.objects.create(
        name="Agents beta", launch=make_launch(name="Agents GA"), starts_on=date(2026, 9, 1)
    )
    discovery.add_partner(program=program, customer=make_customer(name="Initech"), joined_on=date(2026, 9, 1))
    return program


def test_given_the_check_in_form_then_the_week_is_this_monday_and_partner_and_notes_are_all_there_is_to_fill(
    admin_client, program
):
    partner = program.partners.get()
    url = reverse("admin:insights_partnercheckin_add")

    form = admin_client.get(url).context["adminform"].form
    saved = admin_client.post(url, {"partner": partner.pk, "week": form.initial["week"], "notes": "SSO works now"})
    twice = admin_client.post(url, {"partner": partner.pk, "week": form.initial["week"], "notes": "Again"})

    assert list(form.fields) == ["partner", "week", "notes"]
    assert form.initial["week"] == discovery.monday_of(timezone.localdate())
    assert saved.status_code == 302
    check_in = PartnerCheckIn.objects.get()
    assert FeedbackItem.objects.get().source_id == f"checkin:{check_in.pk}" == f"checkin:{check_in.pk}"
    assert "Initech already has a check-in for the week of" in twice.content.decode()


def test_given_nine_partners_on_the_program_page_then_the_save_is_refused_with_the_rule(admin_client, program):
    customers = [make_customer() for _ in range(8)]
    partner = program.partners.get()
    data = {
        "name": program.name,
        "launch": program.launch_id,
        "starts_on": "2026-09-01",
        "partners-TOTAL_FORMS": "9",
        "partners-INITIAL_FORMS": "1",
        "partners-0-id": partner.pk,
        "partners-0-program": program.pk,
        "partners-0-customer": partner.customer_id,
        "partners-0-joined_on": "2026-09-01",
    }
    for n, customer in enumerate(customers, start=1):
        data |= {f"partners-{n}-customer": customer.pk, f"partners-{n}-joined_on": "2026-09-02"}

    response = admin_client.post(reverse("admin:insights_designpartnerprogram_change", args=[program.pk]), data)

    assert response.status_code == 200
    assert "this one would have 9" in response.content.decode()
    assert program.partners.count() == 1


def test_given_a_launch_with_a_program_then_its_page_lists_the_partners_to_ship_to_first(admin_client, program):
    stale = program.partners.get()
    PartnerCheckIn.objects.create(
        partner=stale, week=discovery.monday_of(timezone.localdate()) - timedelta(weeks=3), notes="x"
    )

    page = admin_client.get(reverse("admin:launches_launch_change", args=[program.launch_id])).content.decode()

    assert "Ship to them first" in page
    assert "Initech" in page and "1 of 5–8 partners: setting up, add 4" in page
    assert "last check-in" in page and "log a check-in" in page


def test_given_win_loss_records_when_filtered_by_outcome_and_competitor_then_only_those_are_listed(admin_client):
    def record(outcome, competitor):
        return discovery.save_win_loss(
            record=WinLossRecord(
                deal=f"{outcome} vs {competitor}",
                prospect="Umbrella",
                outcome=outcome,
                competitor=competitor,
                reasons="Latency in the EU region.",
                closed_on=date(2026, 11, 1),
            )
        )

    lost = record(DealOutcome.LOST, "OpenAI")
    record(DealOutcome.LOST, "Anthropic")
    record(DealOutcome.WON, "OpenAI")

    response = admin_client.get(
        reverse("admin:insights_winlossrecord_changelist"), {"outcome__exact": "lost", "competitor": "OpenAI"}
    )

    assert list(response.context["cl"].result_list) == [lost]


def test_given_a_win_loss_added_in_the_admin_then_its_reasons_become_a_flagged_item(admin_client):
    response = admin_client.post(
        reverse("admin:insights_winlossrecord_add"),
        {
            "deal": "Hooli expansion",
            "prospect": "Hooli",
            "outcome": "churned",
            "competitor": "",
            "reasons": "Moved everything to an in-house model.",
            "closed_on": "2026-11-10",
        },
    )

    assert response.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.source, item.churn_signal, item.competitors) == ("win_loss", True, [])
