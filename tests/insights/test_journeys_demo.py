"""The demo's journey surveys (``demo.journeys.load_journeys``): made through the services, idempotent, and enough
answers for the figures to show numbers."""

from __future__ import annotations

import pytest

from demo.journeys import load_journeys
from insights import journey_figures
from insights.models import SurveyInvitation, SurveySubmission
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_given_demo_accounts_then_load_journeys_sends_skips_and_answers_and_a_second_run_adds_nothing():
    for _ in range(100):
        make_customer()

    made = load_journeys()
    again = load_journeys()

    assert made["events"] == 320 and made["invitations"] == 320
    assert made["sent"] > 200 and made["skipped"] > 0 and made["answered"] > 60
    assert made["sent"] + made["skipped"] == SurveyInvitation.objects.exclude(status="scheduled").count()
    assert again == {"events": 0, "invitations": 0, "sent": 0, "skipped": 0, "answered": 0}
    assert SurveySubmission.objects.count() == made["answered"]
    assert SurveySubmission.objects.filter(feedback__isnull=False).exists()
    figures = journey_figures.survey_figures()
    assert all(entry["response_rate"] is not None for entry in figures)
    assert sum(entry["nps"] is not None or entry["csat"] is not None for entry in figures) == 4
