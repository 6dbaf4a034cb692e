"""Journey surveys under concurrency, on the real database: two tabs posting one link at the same instant store one
submission; two minute-task runs deciding one contact's invitations send one survey. These tests commit
(``transaction=True``): each thread has its own connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insights import journeys
from insights.models import JourneySurvey, ProductEvent, SurveyInvitation, SurveyResponse, SurveySubmission
from notifications.models import Notification
from tests.factories import make_customer
from tests.insights.journey_data import make_survey, sent_invitation
from tests.insights.test_product_events_concurrency import in_threads

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def defaults_off():
    JourneySurvey.objects.update(enabled=False)


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.HUB_BASE_URL = "https://hub.example"  # the links' base: without it nothing is sent


def test_given_two_submissions_of_one_token_at_once_then_exactly_one_is_stored_and_the_other_told_answered():
    invitation = sent_invitation(make_customer())
    token = journeys.token_for(invitation)

    def tab(score: int):
        def post():
            mine = journeys.invitation_for_token(token)  # both tabs opened the page before either answered
            answers, _ = journeys.validate_answers(mine.survey.questions, {"recommend": score, "ease": 3})
            return journeys.submit(invitation=mine, answers=answers)

        return post

    results = in_threads([tab(9), tab(2)])

    stored = [r for r in results if isinstance(r, SurveySubmission)]
    refused = [r for r in results if isinstance(r, journeys.Refused)]
    assert len(stored) == 1 and len(refused) == 1, results
    assert refused[0].reason == journeys.ANSWERED
    assert SurveySubmission.objects.count() == 1
    assert SurveyResponse.objects.filter(source="journey").count() == 2  # one NPS + one CSAT, of the winner only
    nps = SurveyResponse.objects.get(kind="nps").score
    assert nps == stored[0].answers["recommend"]


def test_given_two_runs_of_the_send_task_at_once_for_one_contacts_two_surveys_then_one_is_sent():
    customer = make_customer()
    for survey in (make_survey(), make_survey(trigger_event="campaign_ended")):
        event = ProductEvent.objects.create(
            event_id=f"race-{survey.pk}", name=survey.trigger_event, customer=customer, contact="race@acme.example",
            occurred_at=timezone.now() - timedelta(hours=2),
        )  # fmt: skip
        journeys.invite_for_events(event_ids=[event.pk])
    first, second = SurveyInvitation.objects.order_by("pk").values_list("pk", flat=True)

    # each run takes the invitations in another order: without the lock on the contact both would pass the cooldown
    results = in_threads(
        [
            lambda: [journeys.send_invitation(invitation_id=pk) for pk in (first, second)],
            lambda: [journeys.send_invitation(invitation_id=pk) for pk in (second, first)],
        ]
    )

    assert all(isinstance(result, list) for result in results), results
    statuses = sorted(SurveyInvitation.objects.values_list("status", flat=True))
    assert statuses == ["sent", "skipped"]
    assert Notification.objects.filter(recipient="race@acme.example").count() == 1
