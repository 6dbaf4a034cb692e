"""Journey survey figures against hand-counted values: sent, skipped, opened, answered, response rate, NPS, CSAT,
per survey and per persona, and "too few answers" under the minimum n."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insights import journey_figures, journeys
from insights.choices import InvitationStatus, SkipReason
from insights.models import JourneySurvey, SurveyInvitation
from tests.factories import make_customer
from tests.insights.journey_data import make_survey, sent_invitation

pytestmark = pytest.mark.django_db

AGENCY_NPS = [10, 10, 10, 9, 9, 8, 7, 6, 2, 0]  # 5 promoters, 2 passives, 3 detractors → NPS +20
AGENCY_CSAT = [5, 5, 4, 4, 4, 3, 3, 2, 1, 5]  # 6 of 10 satisfied → 60 %


@pytest.fixture(autouse=True)
def defaults_off():
    JourneySurvey.objects.update(enabled=False)


def answer(invitation, nps: int, csat: int) -> None:
    answers, errors = journeys.validate_answers(invitation.survey.questions, {"recommend": nps, "ease": csat})
    assert not errors
    journeys.submit(invitation=invitation, answers=answers)


@pytest.fixture
def survey():
    """12 agency invitations sent, 10 answered; 3 solo ones sent, 1 answered, 1 opened only; 2 solo ones skipped."""
    survey = make_survey(name="Report accuracy")
    customer = make_customer()
    agency = [sent_invitation(customer, survey, contact=f"a{n}@x.example", persona="agency") for n in range(12)]
    for invitation, nps, csat in zip(agency, AGENCY_NPS, AGENCY_CSAT, strict=False):
        answer(invitation, nps, csat)
    solo = [sent_invitation(customer, survey, contact=f"s{n}@x.example", persona="solo") for n in range(5)]
    answer(solo[0], 9, 4)
    journeys.mark_opened(solo[1])
    SurveyInvitation.objects.filter(pk__in=[solo[3].pk, solo[4].pk]).update(
        status=InvitationStatus.SKIPPED, skip_reason=SkipReason.COOLDOWN, sent_at=None, expires_at=None
    )
    return survey


def test_given_hand_counted_invitations_then_the_figures_per_survey_and_persona_match(
    survey, django_assert_num_queries
):
    empty = make_survey(name="Support incident", trigger_event="support_contact_closed")

    with django_assert_num_queries(2):  # the aggregation, the surveys
        figures = {entry["survey"]: entry for entry in journey_figures.survey_figures()}

    overall = figures[survey.key]
    assert {k: overall[k] for k in ("sent", "skipped", "opened", "answered")} == {
        "sent": 15,
        "skipped": 2,
        "opened": 12,
        "answered": 11,
    }
    assert (overall["response_rate"], overall["response_rate_n"], overall["response_rate_band"]) == (73.3, 15, "target")
    assert (overall["promoters"], overall["passives"], overall["detractors"], overall["nps_n"]) == (6, 2, 3, 11)
    assert overall["nps"] == 27  # (6 − 3) / 11
    assert (overall["csat"], overall["csat_n"], overall["satisfied"]) == (64, 11, 7)  # 7 / 11

    segments = {segment["persona"]: segment for segment in overall["segments"]}
    agency, solo = segments["agency"], segments["solo"]
    assert (agency["sent"], agency["answered"], agency["response_rate"]) == (12, 10, 83.3)
    assert (agency["nps"], agency["nps_n"], agency["csat"], agency["csat_n"]) == (20, 10, 60, 10)
    assert (solo["sent"], solo["skipped"], solo["opened"], solo["answered"]) == (3, 2, 2, 1)
    assert solo["response_rate"] is None and solo["response_rate_note"] == "too few answers"
    assert solo["nps"] is None and solo["nps_n"] == 1 and solo["nps_note"] == "too few answers"
    assert solo["csat"] is None and solo["csat_note"] == "too few answers"

    assert figures[empty.key]["sent"] == 0 and figures[empty.key]["segments"] == []
    assert figures[empty.key]["nps"] is None


def test_given_since_then_only_later_invitations_count(survey):
    SurveyInvitation.objects.filter(persona="solo").update(created_at=timezone.now() - timedelta(days=40))

    (entry,) = journey_figures.survey_figures(since=timezone.now() - timedelta(days=30), survey_id=survey.pk)

    assert (entry["sent"], entry["skipped"], entry["answered"]) == (12, 0, 10)
    assert [segment["persona"] for segment in entry["segments"]] == ["agency"]


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (10.0, "below today"),
        (15.0, "today"),
        (25.0, "today"),
        (40.0, "between"),
        (70.0, "target"),
        (90.0, "above target"),
    ],
)
def test_given_a_response_rate_then_its_band_against_seed_003(rate, band):
    assert journey_figures.rate_band(rate) == band
