"""NPS, CSAT and the response rate are defined once (insights.survey_math): every figure that shows them agrees on one
hand-counted set of answers (the survey list, the persona metrics, the journey figures and their admin column, the
KPI response rate, the technical correlations' weekly NPS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from insights import journey_figures, journeys, kpi_sections, metrics, survey_math, surveys, technical_correlation
from insights.models import JourneySurvey, SurveyInvitation, SurveyResponse
from tests.factories import make_customer
from tests.insights.journey_data import make_survey, sent_invitation

pytestmark = pytest.mark.django_db

NPS_SCORES = [10, 10, 10, 9, 9, 8, 7, 6, 3, 0]  # 5 promoters, 2 passives, 3 detractors: NPS +20
CSAT_SCORES = [5, 5, 4, 4, 4, 4, 3, 2, 1, 1]  # 6 satisfied of 10: CSAT 60 %


def test_given_hand_counted_scores_then_the_sql_fragments_and_the_python_agree():
    sql = (
        f"SELECT count(*) FILTER (WHERE {survey_math.promoter_sql('s')}),"
        f" count(*) FILTER (WHERE {survey_math.passive_sql('s')}),"
        f" count(*) FILTER (WHERE {survey_math.detractor_sql('s')}), {survey_math.nps_sql('s')}"
        " FROM unnest(%s::int[]) AS s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [NPS_SCORES])
        promoters, passives, detractors, nps = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE {survey_math.satisfied_sql('s')}) FROM unnest(%s::int[]) s", [CSAT_SCORES]
        )
        (satisfied,) = cursor.fetchone()
        cursor.execute(f"SELECT {survey_math.nps_sql('s')} FROM unnest(%s::int[]) AS s", [[]])
        (empty,) = cursor.fetchone()

    assert (promoters, passives, detractors, float(nps)) == (5, 2, 3, 20.0) and empty is None
    assert survey_math.nps(promoters, detractors, len(NPS_SCORES)) == 20.0 and survey_math.nps(0, 0, 0) is None
    assert satisfied == 6 and survey_math.csat(satisfied, len(CSAT_SCORES)) == 60.0
    assert survey_math.share(6, 10) == 0.6 and survey_math.response_rate(7, 10) == 70.0
    assert survey_math.response_rate(0, 0) is None


@pytest.fixture
def answered(settings) -> JourneySurvey:
    """A journey survey sent to 12 contacts, 10 of whom answered: the NPS and CSAT scores above."""
    settings.HUB_BASE_URL = "https://hub.example"
    JourneySurvey.objects.update(enabled=False)
    survey = make_survey(key="math", name="Math")
    customer = make_customer(tier="startup")
    for n in range(12):
        invitation = sent_invitation(customer, survey, contact=f"p{n}@acme.example", persona="agency")
        if n < 10:
            answers, errors = journeys.validate_answers(
                survey.questions, {"recommend": NPS_SCORES[n], "ease": CSAT_SCORES[n]}
            )
            assert not errors
            journeys.submit(invitation=invitation, answers=answers)
    return survey


def test_given_one_set_of_answers_then_every_figure_agrees(answered, admin_client):
    # 10 answers of 12 sent: NPS +20, CSAT 60 %, response rate 83.3 %
    window = metrics.Window.last(1)
    figures = journey_figures.figures_for(answered)
    nps, csat, _ = metrics.survey_scores(window=window, min_n=1)
    listed = surveys.figures(SurveyResponse.objects.all())
    invitations = kpi_sections.invitation_figures(window=window)
    page = admin_client.get(reverse("admin:insights_journeysurvey_changelist"), {"q": "math"}).content.decode()

    assert (figures["nps"], figures["csat"], figures["response_rate"]) == (20, 60, 83.3)
    assert (nps.overall.value, csat.overall.value) == (20.0, 0.6)
    assert (listed.nps, listed.csat) == (20, 60)
    assert (invitations["sent"], invitations["answered"]) == (12, 10)
    assert "83 % (n = 12)" in page and "+20 (n = 10)" in page


def test_given_weekly_nps_answers_then_the_technical_series_reads_the_same_nps():
    customer = make_customer(tier="startup")
    start, end = technical_correlation.window(timezone.now())
    for number, score in enumerate(NPS_SCORES):
        SurveyResponse.objects.create(
            kind="nps",
            score=score,
            customer=customer,
            source="typeform",
            external_id=f"w-{number}",
            responded_at=start + timedelta(days=1, minutes=number),
        )

    series = technical_correlation.weekly_series(start=start, end=end)

    week = series[("tier", "startup")][0]
    assert (week["nps_n"], week["nps"]) == (10, 20.0)
    assert SurveyInvitation.objects.count() == 0
