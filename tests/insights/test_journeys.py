"""Journey surveys' services: definitions, triggers from product events, sending with the cooldown, answers."""

from __future__ import annotations

import importlib
import io
import logging
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from feedback.models import FeedbackItem
from insights import journeys
from insights.choices import InvitationStatus, SkipReason
from insights.models import (
    JourneySettings,
    JourneySurvey,
    ProductEvent,
    SurveyInvitation,
    SurveyResponse,
    SurveySubmission,
)
from integrations.models import PendingTriage
from notifications.choices import Kind
from notifications.models import Notification
from tests.factories import make_customer
from tests.insights.journey_data import QUESTIONS, event_item, make_survey, record, sent_invitation

pytestmark = pytest.mark.django_db

DEFAULTS = importlib.import_module("insights.migrations.0009_default_journey_surveys")


@pytest.fixture(autouse=True)
def defaults_off():
    """The four default surveys (from the migration) switched off: each test states the surveys it needs."""
    JourneySurvey.objects.update(enabled=False)


@pytest.fixture(autouse=True)
def base_url(settings):
    """The hub's public address, which the survey links need (without it nothing is sent: see the tests below)."""
    settings.HUB_BASE_URL = "https://hub.example"
    return settings.HUB_BASE_URL


# --- Definitions ------------------------------------------------------------------------------------------------------


def test_given_seed_004s_default_surveys_then_each_validates_and_the_migration_created_them_with_the_settings():
    for survey in DEFAULTS.DEFAULT_SURVEYS:
        assert journeys.validate_questions(survey["questions"]) == survey["questions"]
        assert 3 <= len(survey["questions"]) <= 5
    stored = {s.key: s.trigger_event for s in JourneySurvey.objects.all()}
    assert stored == {
        "time-to-value": "value_delivered",
        "report-accuracy": "report_sent",
        "renewal-success": "campaign_ended",
        "support-incident": "support_contact_closed",
    }
    assert JourneySettings.objects.get(pk=1).cooldown_days == 7
    assert JourneySettings.objects.get(pk=1).link_valid_days == 14


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (QUESTIONS[:2], "3–5 questions; this one has 2"),
        (QUESTIONS + QUESTIONS[:2], "this one has 6"),
        ([*QUESTIONS[:3], {**QUESTIONS[3], "key": "recommend"}], "keys must be unique"),
        ([*QUESTIONS[:3], {**QUESTIONS[3], "kind": "stars"}], "kind must be one of"),
        ([*QUESTIONS[:2], {**QUESTIONS[2], "choices": ["Only"]}], "needs 2–10 choices; it has 1"),
        ([*QUESTIONS[:2], {**QUESTIONS[2], "choices": [str(n) for n in range(11)]}], "it has 11"),
        ([*QUESTIONS[:2], {**QUESTIONS[2], "choices": None}], "needs 2–10 choices; it has 0"),
        ([*QUESTIONS[1:], {**QUESTIONS[1], "key": "ease2"}], "at most one CSAT"),
        ([QUESTIONS[2], QUESTIONS[3], {**QUESTIONS[3], "key": "more"}], "one NPS or one CSAT"),
        ([*QUESTIONS[:3], {**QUESTIONS[3], "text": ""}], "text must be 1–300"),
        ([*QUESTIONS[:3], {**QUESTIONS[3], "key": "Bad Key"}], "lower-case slug"),
        ("not a list", "must be a list"),
    ],
)
def test_given_bad_questions_then_validate_questions_names_the_problem(questions, message):
    with pytest.raises(ValidationError) as caught:
        journeys.validate_questions(questions)
    assert any(message in text for text in caught.value.messages), caught.value.messages


def test_given_a_bad_trigger_then_the_survey_is_not_created():
    with pytest.raises(ValidationError) as caught:
        make_survey(trigger_event="Report Sent", trigger_match=["plan"], channel="sms")
    assert set(caught.value.message_dict) == {"trigger_event", "trigger_match", "channel"}
    assert not JourneySurvey.objects.filter(trigger_event="Report Sent").exists()


# --- Triggers ---------------------------------------------------------------------------------------------------------


def test_given_a_matching_event_then_one_invitation_is_scheduled_after_the_delay(django_capture_on_commit_callbacks):
    customer = make_customer()
    survey = make_survey(delay_minutes=90)
    occurred = timezone.now() - timedelta(minutes=10)

    record([event_item(customer, occurred_at=occurred, contact="Ana@Acme.example")], django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get(survey=survey)
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.due_at == occurred.replace(microsecond=occurred.microsecond) + timedelta(minutes=90)
    assert invitation.contact == "ana@acme.example" and invitation.customer == customer
    assert len(invitation.nonce) >= 20
    assert journeys.send_due().sent == 0  # not due yet: the delay has not passed
    assert journeys.send_due(now=occurred + timedelta(minutes=91)).sent == 1


def test_given_the_same_event_recorded_twice_then_it_invites_once(django_capture_on_commit_callbacks):
    customer = make_customer()
    survey = make_survey()
    item = event_item(customer, contact="ana@acme.example", event_id="dup-1")

    record([item], django_capture_on_commit_callbacks)
    record([item], django_capture_on_commit_callbacks)  # the intake calls it a duplicate
    event_id = SurveyInvitation.objects.get(survey=survey).event_id
    assert journeys.invite_for_events(event_ids=[event_id]) == 0  # the announcement processed again

    assert SurveyInvitation.objects.filter(survey=survey).count() == 1


def test_given_two_occurrences_of_the_trigger_then_each_invites_once(django_capture_on_commit_callbacks):
    customer = make_customer()
    survey = make_survey()

    record(
        [event_item(customer, contact="ana@acme.example"), event_item(customer, contact="ana@acme.example")],
        django_capture_on_commit_callbacks,
    )

    assert SurveyInvitation.objects.filter(survey=survey).count() == 2


def test_given_persona_match_and_dates_then_only_matching_events_invite(django_capture_on_commit_callbacks):
    customer = make_customer()
    now = timezone.now()
    survey = make_survey(
        personas=["agency"], trigger_match={"plan": "pro"}, active_from=now - timedelta(days=1), active_until=now
    )
    items = {
        "match": event_item(customer, contact="a@x.example", persona="agency", properties={"plan": "pro", "n": 2}),
        "other persona": event_item(customer, contact="b@x.example", persona="solo", properties={"plan": "pro"}),
        "no persona": event_item(customer, contact="c@x.example", properties={"plan": "pro"}),
        "other plan": event_item(customer, contact="d@x.example", persona="agency", properties={"plan": "free"}),
        "no properties": event_item(customer, contact="e@x.example", persona="agency"),
        "before dates": event_item(
            customer,
            contact="f@x.example",
            persona="agency",
            properties={"plan": "pro"},
            occurred_at=now - timedelta(days=2),
        ),
        "other name": event_item(
            customer, name="value_delivered", contact="g@x.example", persona="agency", properties={"plan": "pro"}
        ),
        "no contact": event_item(customer, persona="agency", properties={"plan": "pro"}),
    }

    record(list(items.values()), django_capture_on_commit_callbacks)

    assert list(SurveyInvitation.objects.filter(survey=survey).values_list("contact", flat=True)) == ["a@x.example"]


def test_given_a_survey_switched_off_or_an_old_event_then_nobody_is_invited(django_capture_on_commit_callbacks):
    customer = make_customer()
    make_survey(enabled=False)
    live = make_survey(trigger_event="campaign_ended")

    record(
        [
            event_item(customer, contact="a@x.example"),
            event_item(
                customer, name="campaign_ended", contact="b@x.example", occurred_at=timezone.now() - timedelta(days=8)
            ),
        ],
        django_capture_on_commit_callbacks,
    )

    assert not SurveyInvitation.objects.exists()
    assert live.invitations.count() == 0


def test_given_a_contact_that_is_not_an_address_then_the_invitation_is_recorded_skipped(
    django_capture_on_commit_callbacks,
):
    customer = make_customer()
    email = make_survey()
    slack = make_survey(trigger_event="report_sent", channel="slack")

    record([event_item(customer, contact="user-1234")], django_capture_on_commit_callbacks)

    assert email.invitations.get().skip_reason == SkipReason.NO_ADDRESS
    assert slack.invitations.get().skip_reason == SkipReason.NO_ADDRESS


# --- Sending ----------------------------------------------------------------------------------------------------------


def test_given_a_due_invitation_then_the_outbox_gets_the_absolute_link_and_it_is_marked_sent(settings):
    settings.HUB_BASE_URL = "https://hub.example"
    customer = make_customer(name="Acme")
    invitation = sent_invitation(customer)

    assert invitation.status == InvitationStatus.SENT
    assert invitation.expires_at == invitation.sent_at + timedelta(days=14)
    message = Notification.objects.get(key=f"survey:{invitation.pk}")
    assert (message.kind, message.channel, message.recipient) == (Kind.SURVEY, "email", "ana@acme.example")
    assert f"https://hub.example/s/{journeys.token_for(invitation)}/" in message.body
    assert invitation.notification == message


def test_given_a_contact_surveyed_within_the_cooldown_then_the_next_survey_is_skipped_never_queued_and_after_it_sent():
    customer = make_customer()
    JourneySettings.objects.filter(pk=1).update(cooldown_days=7)
    first, second = make_survey(), make_survey(trigger_event="campaign_ended")
    third = make_survey(trigger_event="value_delivered")
    now = timezone.now()
    sent_invitation(customer, first)  # sent now, by another survey

    from insights.models import ProductEvent

    def due(survey, at):
        event = ProductEvent.objects.create(
            event_id=f"cool-{survey.pk}", name=survey.trigger_event, customer=customer, contact="ana@acme.example",
            occurred_at=at - timedelta(hours=2),
        )  # fmt: skip
        journeys.invite_for_events(event_ids=[event.pk], now=at)
        return SurveyInvitation.objects.get(event=event)

    inside = due(second, now + timedelta(days=6))
    assert journeys.send_due(now=now + timedelta(days=6)).skipped == 1
    inside.refresh_from_db()
    assert (inside.status, inside.skip_reason, inside.sent_at) == ("skipped", "cooldown", None)
    assert not Notification.objects.filter(key=f"survey:{inside.pk}").exists()
    assert journeys.send_due(now=now + timedelta(days=30)).skipped == 0  # never re-queued
    inside.refresh_from_db()
    assert inside.status == "skipped"

    after = due(third, now + timedelta(days=8))
    assert journeys.send_due(now=now + timedelta(days=8)).sent == 1
    after.refresh_from_db()
    assert after.status == InvitationStatus.SENT


def test_given_two_due_invitations_of_one_contact_in_one_run_then_one_is_sent_and_the_other_skipped():
    customer = make_customer()
    from insights.models import ProductEvent

    for survey in (make_survey(), make_survey(trigger_event="campaign_ended")):
        event = ProductEvent.objects.create(
            event_id=f"same-{survey.pk}", name=survey.trigger_event, customer=customer, contact="bo@acme.example",
            occurred_at=timezone.now() - timedelta(hours=3),
        )  # fmt: skip
        journeys.invite_for_events(event_ids=[event.pk])

    result = journeys.send_due()

    assert (result.sent, result.skipped) == (1, 1)
    assert Notification.objects.filter(kind=Kind.SURVEY).count() == 1


def test_given_a_survey_switched_off_before_its_invitation_is_due_then_it_is_skipped_inactive():
    customer = make_customer()
    survey = make_survey()
    from insights.models import ProductEvent

    event = ProductEvent.objects.create(
        event_id="off-1", name="report_sent", customer=customer, contact="cy@acme.example",
        occurred_at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    journeys.invite_for_events(event_ids=[event.pk])
    journeys.update_survey(survey=survey, enabled=False)

    assert journeys.send_due().skipped == 1
    assert SurveyInvitation.objects.get(event=event).skip_reason == SkipReason.INACTIVE


# --- Answers ----------------------------------------------------------------------------------------------------------


def test_given_answers_with_free_text_then_responses_submission_and_a_feedback_item_queued_for_triage():
    customer = make_customer(name="Acme")
    invitation = sent_invitation(customer)
    answers, errors = journeys.validate_answers(
        invitation.survey.questions,
        {"recommend": "9", "ease": "4", "solved": "Partly", "why": "  The export to PDF drops the charts.  "},
    )
    assert errors == {}

    submission = journeys.submit(invitation=invitation, answers=answers)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED and invitation.answered_at is not None
    responses = {r.kind: r for r in SurveyResponse.objects.filter(submission=submission)}
    assert {k: (r.score, r.source, r.external_id) for k, r in responses.items()} == {
        "nps": (9, "journey", f"{invitation.pk}:recommend"),
        "csat": (4, "journey", f"{invitation.pk}:ease"),
    }
    assert responses["nps"].survey == invitation.survey.name
    item = FeedbackItem.objects.get(pk=submission.feedback_id)
    assert item.verbatim == "The export to PDF drops the charts."
    assert item.customer == customer
    assert responses["nps"].feedback_id == item.pk
    assert PendingTriage.objects.filter(item_id=item.pk).exists()  # goes through triage like any item
    assert submission.answers == {"recommend": 9, "ease": 4, "solved": "Partly", "why": answers["why"]}


def test_given_answers_without_text_then_no_feedback_item():
    invitation = sent_invitation(make_customer())
    answers, _ = journeys.validate_answers(invitation.survey.questions, {"recommend": "3", "ease": "1"})

    submission = journeys.submit(invitation=invitation, answers=answers)

    assert submission.feedback_id is None
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, {"recommend": "Please choose a score.", "ease": "Please choose a score."}),
        ({"recommend": "11", "ease": "0"}, {"recommend": "from 0 to 10", "ease": "from 1 to 5"}),
        ({"recommend": "-1", "ease": "3.5"}, {"recommend": "from 0 to 10", "ease": "from 1 to 5"}),
        ({"recommend": "5", "ease": "3", "solved": "Maybe"}, {"solved": "one of the answers"}),
        ({"recommend": "5", "ease": "3", "why": "x" * 5001}, {"why": "At most 5,000"}),
    ],
)
def test_given_bad_answers_then_validate_answers_names_each(data, errors):
    answers, found = journeys.validate_answers(QUESTIONS, data)

    assert set(found) == set(errors)
    assert all(errors[key] in found[key] for key in errors)


def test_given_a_text_of_exactly_5000_characters_then_it_is_accepted():
    answers, errors = journeys.validate_answers(QUESTIONS, {"recommend": "0", "ease": "5", "why": "y" * 5000})
    assert errors == {} and len(answers["why"]) == 5000 and answers["recommend"] == 0


def test_given_a_second_submission_then_it_is_refused_as_already_answered():
    invitation = sent_invitation(make_customer())
    answers, _ = journeys.validate_answers(invitation.survey.questions, {"recommend": "8", "ease": "4"})
    journeys.submit(invitation=invitation, answers=answers)

    with pytest.raises(journeys.Refused) as caught:
        journeys.submit(invitation=invitation, answers=answers)

    assert caught.value.reason == journeys.ANSWERED
    assert SurveySubmission.objects.count() == 1 and SurveyResponse.objects.count() == 2


# --- The link's base address ------------------------------------------------------------------------------------------


def due_invitation(customer, **fields) -> SurveyInvitation:
    survey = make_survey(delay_minutes=0, **fields)
    event = ProductEvent.objects.create(
        event_id=f"due-{survey.pk}",
        name=survey.trigger_event,
        customer=customer,
        contact="ana@acme.example",
        occurred_at=timezone.now() - timedelta(hours=1),
    )
    journeys.invite_for_events(event_ids=[event.pk])
    return SurveyInvitation.objects.get(event=event)


def test_given_no_hub_base_url_then_due_invitations_stay_scheduled_unsent_with_one_warning_per_run(settings, caplog):
    settings.HUB_BASE_URL, settings.DEBUG = "", False
    customer = make_customer()
    invitations = [due_invitation(customer), due_invitation(customer, trigger_event="campaign_ended")]

    with caplog.at_level(logging.WARNING, logger="insights.journeys"):
        result = journeys.send_due()
    direct = journeys.send_invitation(invitation_id=invitations[0].pk)

    assert (result.sent, result.skipped, result.held) == (0, 0, 2) and direct == ""
    assert set(SurveyInvitation.objects.values_list("status", flat=True)) == {InvitationStatus.SCHEDULED}
    assert not Notification.objects.filter(kind=Kind.SURVEY).exists()
    warnings = [r for r in caplog.records if "HUB_BASE_URL is not set" in r.getMessage()]
    assert len(warnings) == 1 and "2 due invitation(s)" in warnings[0].getMessage()

    settings.HUB_BASE_URL = "https://hub.example"  # set: the next run sends them (the cooldown skips the second)
    assert journeys.send_due().sent == 1


def test_given_no_hub_base_url_in_debug_then_the_link_uses_the_local_address_of_make_run(settings):
    settings.HUB_BASE_URL, settings.DEBUG = "", True
    invitation = due_invitation(make_customer())

    journeys.send_due()

    message = Notification.objects.get(key=f"survey:{invitation.pk}")
    assert f"http://127.0.0.1:8000/s/{journeys.token_for(invitation)}/" in message.body


def test_given_enabled_surveys_and_no_hub_base_url_then_the_system_check_warns_w001(settings):
    from insights.checks import journey_surveys_need_a_base_url

    settings.HUB_BASE_URL, settings.DEBUG = "", False
    make_survey(key="onboarding-check")

    [warning] = journey_surveys_need_a_base_url(databases=["default"])
    not_asked_for_the_database = journey_surveys_need_a_base_url(databases=None)
    settings.HUB_BASE_URL = "https://hub.example"
    with_url = journey_surveys_need_a_base_url(databases=["default"])
    settings.HUB_BASE_URL = ""
    JourneySurvey.objects.update(enabled=False)
    none_enabled = journey_surveys_need_a_base_url(databases=["default"])

    assert warning.id == "insights.W001" and "onboarding-check" in warning.msg and "HUB_BASE_URL" in warning.msg
    assert not_asked_for_the_database == with_url == none_enabled == []


def test_given_the_check_command_with_the_database_then_w001_is_listed(settings):
    settings.HUB_BASE_URL = ""
    make_survey()
    out = io.StringIO()

    call_command("check", "--database", "default", stdout=out, stderr=out)

    assert "insights.W001" in out.getvalue()


# --- Questions fixed once sent ----------------------------------------------------------------------------------------


CHANGES = {
    "a kind": lambda qs: [*qs[:2], {"key": "solved", "kind": "text", "text": "Is it solved?"}, qs[3]],
    "a key": lambda qs: [{**qs[0], "key": "recommend_us"}, *qs[1:]],
    "a choice": lambda qs: [*qs[:2], {**qs[2], "choices": ["Yes", "No"]}, qs[3]],
    "a question less": lambda qs: qs[:3],
}


@pytest.mark.parametrize("change", CHANGES)
def test_given_a_survey_that_has_sent_invitations_then_its_questions_keys_kinds_and_choices_cannot_change(change):
    invitation = sent_invitation(make_customer())
    survey = invitation.survey

    with pytest.raises(ValidationError) as caught:
        journeys.update_survey(survey=survey, questions=CHANGES[change](QUESTIONS))

    assert "make a new survey (copy)" in " ".join(caught.value.messages)
    assert JourneySurvey.objects.get(pk=survey.pk).questions == QUESTIONS


def test_given_a_survey_that_has_sent_invitations_then_its_texts_and_order_may_still_change():
    survey = sent_invitation(make_customer()).survey
    reworded = [{**QUESTIONS[1], "text": "Was it easy?"}, QUESTIONS[0], *QUESTIONS[2:]]

    journeys.update_survey(survey=survey, questions=reworded, name="Renamed")

    assert JourneySurvey.objects.get(pk=survey.pk).questions[0]["text"] == "Was it easy?"


def test_given_a_survey_whose_invitations_are_only_scheduled_then_its_questions_may_change(
    django_capture_on_commit_callbacks,
):
    survey = make_survey()
    record([event_item(make_customer(), contact="ana@acme.example")], django_capture_on_commit_callbacks)
    assert SurveyInvitation.objects.filter(survey=survey, sent_at__isnull=True).exists()

    journeys.update_survey(survey=survey, questions=CHANGES["a question less"](QUESTIONS))

    assert len(JourneySurvey.objects.get(pk=survey.pk).questions) == 3


def test_given_a_survey_copied_twice_then_each_copy_is_a_new_switched_off_survey_with_its_questions():
    survey = make_survey(key="ttv", name="Time to value", personas=["agency"], trigger_match={"plan": "pro"})

    first, second = journeys.copy_survey(survey), journeys.copy_survey(survey)

    assert (first.key, second.key, first.name) == ("ttv-copy", "ttv-copy-2", "Time to value (copy)")
    assert first.questions == survey.questions and first.personas == ["agency"] and not first.enabled
    assert first.trigger_match == {"plan": "pro"} and first.pk != survey.pk


def test_given_a_stored_response_with_this_invitations_key_then_submit_refuses_with_conflict_and_stores_nothing():
    invitation = sent_invitation(make_customer())
    SurveyResponse.objects.create(
        kind="csat", score=1, customer=invitation.customer, source="journey",
        external_id=f"{invitation.pk}:ease", responded_at=timezone.now(),
    )  # fmt: skip
    answers, _ = journeys.validate_answers(invitation.survey.questions, {"recommend": "8", "ease": "4"})

    with pytest.raises(journeys.Refused) as caught:
        journeys.submit(invitation=invitation, answers=answers)

    assert (caught.value.reason, caught.value.status) == (journeys.CONFLICT, 409)
    assert not SurveySubmission.objects.exists() and SurveyResponse.objects.get().score == 1
