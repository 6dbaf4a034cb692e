"""Discovery records become feedback (issue 13): design-partner check-ins, win/loss reasons, JTBD interviews; the
5–8 partners rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ai.providers import get_provider
from feedback import triage
from feedback.models import FeedbackItem
from insights import discovery
from insights.choices import DealOutcome
from insights.models import PARTNERS_MAX, DesignPartnerProgram, JtbdInterview, WinLossRecord
from integrations import ingest
from integrations.models import PendingTriage
from tests.factories import make_customer, make_launch, make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def triage_sends(monkeypatch):
    """The id lists sent to triage after the commit (no broker in these tests)."""
    sent: list[list[int]] = []
    monkeypatch.setattr(ingest, "publish_triage", lambda ids: sent.append(list(ids)))
    monkeypatch.setattr(ingest, "_broker_retry_at", 0.0)
    return sent


def make_program(partners: int = 0, **fields) -> DesignPartnerProgram:
    program = DesignPartnerProgram.objects.create(
        **{"name": "Fine-tuning beta", "launch": make_launch(), "starts_on": date(2026, 9, 1), **fields}
    )
    for _ in range(partners):
        discovery.add_partner(program=program, customer=make_customer(), joined_on=date(2026, 9, 1))
    return program


def test_given_a_full_program_when_a_ninth_partner_is_added_then_it_is_refused_and_under_five_is_flagged():
    program = make_program(partners=PARTNERS_MAX)
    setting_up = make_program(partners=3)

    with pytest.raises(ValidationError, match="5–8 accounts .* this one would have 9. Remove 1"):
        discovery.add_partner(program=program, customer=make_customer(), joined_on=date(2026, 9, 2))

    assert program.partners.count() == PARTNERS_MAX
    assert discovery.ProgramSize(setting_up.partners.count()).text == "3 of 5–8 partners: setting up, add 2"
    assert not discovery.ProgramSize(PARTNERS_MAX).setting_up


def test_given_a_check_in_when_recorded_twice_in_its_week_then_one_item_of_the_partner_is_queued_for_triage(
    triage_sends, django_capture_on_commit_callbacks
):
    program = make_program(partners=1)
    partner = program.partners.get()
    wednesday = discovery.monday_of(timezone.localdate()) - timedelta(days=5)

    with django_capture_on_commit_callbacks(execute=True):
        check_in = discovery.record_check_in(partner=partner, week=wednesday, notes="Eval runs time out at 2h")
        pending = list(PendingTriage.objects.values_list("item_id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        again = discovery.record_check_in(partner=partner, week=wednesday, notes="Eval runs time out after 2 hours")

    item = FeedbackItem.objects.get()
    assert again.pk == check_in.pk and check_in.week == wednesday - timedelta(days=2)  # its Monday
    assert (item.source, item.source_id, item.customer_id) == (
        "design_partner",
        f"checkin:{check_in.pk}",
        partner.customer_id,
    )
    assert item.verbatim == "Eval runs time out after 2 hours"
    assert timezone.localdate(item.received_at) == check_in.week
    assert pending == [item.pk]  # the triage outbox row, written with the item
    assert triage_sends == [[item.pk], [item.pk]]  # changed words: triaged again


def test_given_a_check_in_of_a_week_not_started_then_it_is_refused():
    partner = make_program(partners=1).partners.get()

    with pytest.raises(ValidationError, match="has not started"):
        discovery.record_check_in(partner=partner, week=timezone.localdate() + timedelta(days=8), notes="Later")


def test_given_a_deal_lost_to_a_competitor_then_its_reasons_are_flagged_and_the_offline_triage_keeps_the_flags(
    triage_sends,
):
    customer = make_customer(crm_id="001-ACME")
    record = WinLossRecord(
        deal="Acme renewal",
        customer=customer,
        outcome=DealOutcome.LOST,
        competitor="OpenAI",
        reasons="Great models, but we could not get EU data residency in time for procurement.",
        closed_on=date(2026, 11, 2),
    )

    discovery.save_win_loss(record=record)
    item = FeedbackItem.objects.get()
    triage.triage_items(item_ids=[item.pk], provider=get_provider("offline"))
    item.refresh_from_db()

    assert (item.source, item.source_id, item.customer_id) == ("win_loss", f"winloss:{record.pk}", customer.pk)
    assert item.triaged_at is not None
    assert (item.competitors, item.churn_signal) == (["OpenAI"], True)
    assert {"competitors", "churn_signal"} <= set(item.human_fields)


def test_given_a_win_loss_record_when_edited_then_the_same_item_follows_it():
    record = WinLossRecord(
        deal="Globex pilot",
        prospect="Globex",
        outcome=DealOutcome.LOST,
        competitor="Anthropic",
        reasons="Price per token was 30% higher for the same quality.",
        closed_on=date(2026, 10, 1),
    )
    discovery.save_win_loss(record=record)

    record.outcome, record.competitor, record.reasons = DealOutcome.WON, "", "Won it back with committed-use pricing."
    discovery.save_win_loss(record=record)

    item = FeedbackItem.objects.get()
    assert (item.verbatim, item.churn_signal, item.customer_id) == (record.reasons, False, None)
    assert record.feedback_id == item.pk


def test_given_a_jtbd_interview_then_its_answers_become_one_item_in_its_theme_with_the_persons_job(triage_sends):
    theme = make_theme(name="Evaluation at scale")
    interview = JtbdInterview(
        customer=make_customer(),
        interviewee="Ana Ruiz, ML lead",
        held_on=date(2026, 11, 20),
        theme=theme,
        first_realized="When our nightly eval took longer than the night.",
        before="A spreadsheet of prompts and a cron job.",
        success="Every model change is evaluated on 10k prompts before lunch.",
    )

    discovery.save_interview(interview=interview)

    item = FeedbackItem.objects.get()
    assert (item.source, item.source_id) == ("interview", f"interview:{interview.pk}")
    assert list(item.themes.all()) == [theme]
    assert item.jtbd == interview.success and "jtbd" in item.human_fields
    assert "What were you doing before?\nA spreadsheet of prompts and a cron job." in item.verbatim
    assert item.customer_id == interview.customer_id


def test_given_an_interview_with_no_answer_then_it_is_refused():
    with pytest.raises(ValidationError, match="at least one of the three questions"):
        discovery.save_interview(interview=JtbdInterview(interviewee="Bo", held_on=date(2026, 11, 20)))
