"""Persona metrics (insights.metrics) against values worked out by hand on a few events: per persona and for all
personas together, and the minimum-n rule (too few data points: no value, the reason instead)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from insights import metrics
from insights.metrics import ALL, Window
from insights.models import JourneySurvey, ProductEvent, SurveyInvitation, SurveyResponse, SurveySubmission
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)
WINDOW = Window.last(30, now=NOW)
T0 = NOW - timedelta(days=10)
_ids = count(1)


def event(customer, name: str, at: datetime, *, persona: str = "", contact: str = "", **properties) -> ProductEvent:
    return ProductEvent.objects.create(
        event_id=f"e{next(_ids)}",
        name=name,
        customer=customer,
        persona=persona,
        contact=contact,
        occurred_at=at,
        properties=properties,
    )


@pytest.fixture
def accounts():
    return [make_customer(name=f"Account {n}") for n in range(5)]


def test_given_first_and_value_events_when_time_to_value_is_computed_then_median_and_p90_by_persona(accounts):
    a, b, c, d, e = accounts
    event(a, "signed_up", T0, persona="analyst")
    event(a, "value_delivered", T0 + timedelta(minutes=30), persona="analyst")
    event(b, "signed_up", T0, persona="analyst")
    event(b, "value_delivered", T0 + timedelta(minutes=90), persona="analyst")
    event(c, "signed_up", T0, persona="podcaster")
    event(c, "value_delivered", T0 + timedelta(minutes=10), persona="podcaster")
    event(c, "value_delivered", T0 + timedelta(minutes=500), persona="podcaster")  # only the first value counts
    event(d, "signed_up", T0, persona="podcaster")  # started, never reached value
    event(e, "signed_up", NOW - timedelta(days=40), persona="podcaster")  # first event before the window: not counted
    event(e, "value_delivered", T0, persona="podcaster")

    result = metrics.time_to_value(window=WINDOW, min_n=1)

    analyst, podcaster, everyone = (result.by_persona[key] for key in ("analyst", "podcaster", ALL))
    assert (analyst.value, analyst.extra["p90"], analyst.n, analyst.extra["started"]) == (60, 84, 2, 2)
    assert (podcaster.value, podcaster.n, podcaster.extra["started"]) == (10, 1, 2)
    assert (everyone.value, everyone.extra["p90"], everyone.n, everyone.extra["started"]) == (30, 78, 3, 4)


def test_given_a_start_event_and_contacts_when_time_to_value_per_contact_then_each_person_counts(accounts):
    a = accounts[0]
    event(a, "page_view", T0 - timedelta(minutes=100), contact="ann@x.io")  # not the start event
    event(a, "report_created", T0, contact="ann@x.io")
    event(a, "value_delivered", T0 + timedelta(minutes=20), contact="ann@x.io")
    event(a, "report_created", T0, contact="bob@x.io")
    event(a, "value_delivered", T0 + timedelta(minutes=40), contact="bob@x.io")

    result = metrics.time_to_value(window=WINDOW, start_event="report_created", per="contact", min_n=1)

    assert (result.overall.value, result.overall.n) == (30, 2)


def test_given_report_events_when_accuracy_is_computed_then_only_true_or_false_answers_count(accounts):
    a, b = accounts[:2]
    for accurate in (True, True, False):
        event(a, "report_sent", T0, persona="analyst", accurate=accurate)
    event(b, "report_sent", T0, persona="podcaster", accurate=True)
    event(b, "report_sent", T0, persona="podcaster", accurate="yes")  # not a boolean: says nothing
    event(b, "report_sent", T0, persona="podcaster")  # no property
    event(b, "report_sent", NOW - timedelta(days=31), persona="podcaster", accurate=False)  # before the window

    result = metrics.report_accuracy(window=WINDOW, min_n=1)

    assert result.by_persona["analyst"].value == pytest.approx(2 / 3)
    assert (result.by_persona["podcaster"].value, result.by_persona["podcaster"].n) == (1.0, 1)
    assert (result.overall.value, result.overall.n) == (0.75, 4)


def test_given_campaigns_when_renewal_success_is_computed_then_it_reads_renewed(accounts):
    event(accounts[0], "campaign_ended", T0, renewed=True)
    event(accounts[0], "campaign_ended", T0, renewed=False)

    result = metrics.renewal_success(window=WINDOW, min_n=1)

    assert (result.overall.value, result.overall.n) == (0.5, 2)


def test_given_errors_when_counted_per_account_and_month_then_active_accounts_divide(accounts):
    a, b, c = accounts[:3]
    month = Window(start=NOW - timedelta(days=metrics.DAYS_PER_MONTH), end=NOW)
    event(a, "error", T0, persona="analyst")
    event(a, "error", T0, persona="analyst")
    event(b, "value_delivered", T0, persona="analyst")  # active, no error
    for _ in range(3):
        event(c, "error", T0, persona="podcaster")

    result = metrics.errors_per_account(window=month, min_n=1)

    assert (result.by_persona["analyst"].value, result.by_persona["analyst"].n) == (1.0, 2)
    assert result.by_persona["podcaster"].value == 3.0
    assert result.overall.value == pytest.approx(5 / 3)
    two_months = Window(start=NOW - timedelta(days=2 * metrics.DAYS_PER_MONTH), end=NOW)
    assert metrics.errors_per_account(window=two_months, min_n=1).overall.value == pytest.approx(5 / 6)


def test_given_support_contacts_when_resolution_is_computed_then_median_of_the_numbers(accounts):
    for hours in (1, 2, 10):
        event(accounts[0], "support_contact_closed", T0, resolution_hours=hours)
    event(accounts[0], "support_contact_closed", T0, resolution_hours="fast")  # not a number

    result = metrics.support_resolution_hours(window=WINDOW, min_n=1)

    assert (result.overall.value, result.overall.extra["p90"], result.overall.n) == (2, 8.4, 3)


def test_given_started_tasks_when_completion_is_computed_then_the_same_task_completed_later_counts(accounts):
    a, b = accounts[:2]
    event(a, "feature_started", T0, contact="ann", feature="export")
    event(a, "feature_completed", T0 + timedelta(minutes=5), contact="ann", feature="export")  # completed
    event(a, "feature_completed", T0 - timedelta(minutes=5), contact="ann", feature="import")
    event(a, "feature_started", T0, contact="ann", feature="import")  # completed before it started: not
    event(b, "feature_started", T0, contact="bob", feature="export")
    event(b, "feature_completed", T0 + timedelta(minutes=5), contact="eve", feature="export")  # someone else
    event(b, "feature_started", T0 + timedelta(minutes=1), contact="bob", feature="export")  # the same task again

    result = metrics.task_completion(window=WINDOW, min_n=1)

    assert (result.overall.value, result.overall.n, result.overall.extra["completed"]) == (pytest.approx(1 / 3), 3, 1)


def test_given_feature_uses_when_reuse_is_computed_then_a_second_use_a_day_later_counts(accounts):
    a, b, c = accounts[:3]
    event(a, "feature_completed", T0, persona="analyst", feature="export")
    event(a, "feature_completed", T0 + timedelta(days=2), persona="analyst", feature="export")  # reused
    event(b, "feature_completed", T0, persona="analyst", feature="export")
    event(b, "feature_completed", T0 + timedelta(hours=1), persona="analyst", feature="export")  # same hour: not
    event(c, "feature_completed", T0, persona="podcaster", feature="export")
    event(c, "feature_completed", T0 + timedelta(days=3), persona="podcaster", feature="import")  # another feature

    result = metrics.feature_reuse(window=WINDOW, min_n=1)

    assert (result.by_persona["analyst"].value, result.by_persona["analyst"].n) == (0.5, 2)
    assert result.by_persona["podcaster"].value == 0
    assert (result.overall.value, result.overall.n) == (pytest.approx(1 / 3), 3)


def test_given_a_start_cohort_when_retention_is_computed_then_activity_in_week_one_counts(accounts):
    a, b, c = accounts[:3]
    week = Window.last(7, now=NOW)  # cohort: first event in [now − 21 d, now − 14 d)
    event(a, "signed_up", NOW - timedelta(days=20), persona="analyst")
    event(a, "value_delivered", NOW - timedelta(days=12), persona="analyst")  # day 8: week 1
    event(b, "signed_up", NOW - timedelta(days=15), persona="analyst")
    event(b, "value_delivered", NOW - timedelta(days=12), persona="analyst")  # day 3: week 0 only
    event(c, "signed_up", NOW - timedelta(days=30), persona="analyst")  # started before the cohort
    event(c, "value_delivered", NOW - timedelta(days=20), persona="analyst")

    result = metrics.retention(window=week, period="week", number=1, min_n=1)
    valued_only = metrics.retention(window=week, number=1, active_events=["report_sent"], min_n=1)

    assert (result.by_persona["analyst"].value, result.overall.n, result.overall.extra["retained"]) == (0.5, 2, 1)
    assert valued_only.overall.value == 0


def test_given_survey_answers_when_scored_then_nps_and_csat_by_the_invitations_persona(accounts):
    a = accounts[0]
    survey = JourneySurvey.objects.create(key="ttv", name="TTV", trigger_event="value_delivered", questions=[])
    invitation = SurveyInvitation.objects.create(
        survey=survey, customer=a, contact="ann@x.io", persona="analyst", nonce="n1", due_at=NOW
    )
    submission = SurveySubmission.objects.create(invitation=invitation, answers={})
    answers = [("nps", 10, submission), ("nps", 9, None), ("nps", 5, None), ("nps", 7, None)]
    answers += [("csat", 5, None), ("csat", 4, None), ("csat", 2, None)]
    for n, (kind, score, linked) in enumerate(answers):
        SurveyResponse.objects.create(
            kind=kind, score=score, customer=a, external_id=f"r{n}", responded_at=T0, submission=linked
        )

    nps, csat, mean = metrics.survey_scores(window=WINDOW, min_n=1)

    assert (nps.overall.value, nps.overall.n) == (25, 4)
    assert (nps.by_persona["analyst"].value, nps.by_persona["analyst"].n) == (100, 1)
    assert nps.by_persona[""].n == 3
    assert (csat.overall.value, csat.overall.n) == (pytest.approx(2 / 3), 3)
    assert mean.overall.value == pytest.approx(11 / 3)


def test_given_fewer_points_than_the_minimum_when_computed_then_no_value_and_the_reason(accounts):
    for accurate in (True, True, False):
        event(accounts[0], "report_sent", T0, persona="analyst", accurate=accurate)

    result = metrics.report_accuracy(window=WINDOW)  # the default minimum, 10

    assert result.overall.value is None
    assert result.overall.n == 3
    assert result.overall.reason == "too few data points (n=3)"
    assert metrics.report_accuracy(window=WINDOW, min_n=3).overall.value == pytest.approx(2 / 3)


def test_given_no_events_when_computed_then_the_overall_figure_says_too_few():
    result = metrics.time_to_value(window=WINDOW)

    assert (result.overall.value, result.overall.n, result.overall.reason) == (None, 0, "too few data points (n=0)")
