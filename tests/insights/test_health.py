"""The health score: each input moves it the documented way (insights.health), computed for all accounts at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.choices import Lifecycle
from customers.models import UsageSnapshot
from customers.services import usage_recorded
from feedback.choices import Category, Sentiment
from feedbackhub import events
from feedbackhub.models import DomainEvent
from insights import health
from insights.choices import EscalationStatus, Metric, SurveyKind
from insights.models import Escalation, EscalationRule, SurveyResponse
from tests.factories import make_customer, make_feedback

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)
NOON = timezone.make_aware(datetime(2026, 11, 30, 12, 0))
UNKNOWN = 68  # 12.5 + 10 + 10 + 20 + 15: every part without data counts half, nothing said against the account


def score(customer) -> int:
    health.refresh_health_scores(today=TODAY)
    customer.refresh_from_db()
    return customer.health_score


def answer(customer, kind: str, value: int, *, days_ago: int = 3) -> SurveyResponse:
    return SurveyResponse.objects.create(
        customer=customer,
        kind=kind,
        score=value,
        external_id=f"{customer.pk}-{kind}-{value}-{days_ago}",
        responded_at=NOON - timedelta(days=days_ago),
    )


def escalate(customer, *, status: str = EscalationStatus.OPEN) -> Escalation:
    rule, _ = EscalationRule.objects.get_or_create(
        name="Usage drop", defaults={"metric": Metric.USAGE_DROP, "threshold": Decimal("20")}
    )
    escalation = Escalation.objects.create(
        rule=rule,
        condition_key=f"usage_drop:customer:{customer.pk}:{status}",
        severity="high",
        summary="drop",
        status=status,
    )
    escalation.customers.add(customer)
    return escalation


def test_given_an_account_nobody_has_heard_from_then_it_scores_half_of_each_unknown_part():
    assert score(make_customer(health_score=None)) == UNKNOWN


def test_given_a_churned_account_then_it_scores_0_whatever_its_last_signals_said():
    churned = make_customer(lifecycle_stage=Lifecycle.CHURNED, usage_change_30d=5.0, health_score=90)

    assert score(churned) == 0
    assert health.explain(customer=churned, today=TODAY).score == 0


@pytest.mark.parametrize(("change", "expected"), [(5.0, 80), (0.0, 80), (-30.0, 65), (-50.0, 55), (-90.0, 55)])
def test_given_a_usage_change_then_the_usage_part_loses_a_point_per_2_percent_of_drop(change, expected):
    # 25 at no drop, 0 from -50 %; the other parts: unknown (10 + 10) and nothing against it (20 + 15)
    assert score(make_customer(usage_change_30d=change)) == expected


@pytest.mark.parametrize(("days", "expected"), [(0, 78), (2, 78), (9, 73), (16, 68), (30, 58), (45, 58)])
def test_given_days_since_last_activity_then_recency_falls_from_20_points_at_2_days_to_0_at_30(days, expected):
    assert score(make_customer(last_active_on=TODAY - timedelta(days=days))) == expected


def test_given_survey_answers_then_their_average_share_of_the_scale_is_the_survey_part():
    promoter, detractors, old = make_customer(), make_customer(), make_customer()
    answer(promoter, SurveyKind.NPS, 10)
    answer(detractors, SurveyKind.NPS, 3)
    answer(detractors, SurveyKind.CSAT, 2)  # (0.3 + 0.25) / 2 x 20 = 5.5
    answer(old, SurveyKind.NPS, 0, days_ago=91)  # older than 90 days: not counted

    assert score(promoter) == UNKNOWN + 10
    assert score(detractors) == 63  # 12.5 + 10 + 5.5 + 20 + 15
    assert score(old) == UNKNOWN


def test_given_negative_feedback_and_churn_signals_then_each_takes_its_points_off_the_feedback_part():
    customer, flagged, old = make_customer(), make_customer(), make_customer()
    make_feedback(customer=customer, sentiment_label=Sentiment.NEGATIVE, received_at=NOON - timedelta(days=5))
    make_feedback(customer=customer, category=Category.CHURN_SIGNAL, received_at=NOON - timedelta(days=80))
    make_feedback(customer=customer, sentiment_label=Sentiment.POSITIVE, received_at=NOON)
    make_feedback(customer=flagged, churn_signal=True, sentiment_label=Sentiment.NEGATIVE, received_at=NOON)
    make_feedback(customer=old, sentiment_label=Sentiment.NEGATIVE, received_at=NOON - timedelta(days=95))

    assert score(customer) == UNKNOWN - 12  # 4 for the negative item, 8 for the churn signal
    assert score(flagged) == UNKNOWN - 12  # both on one item
    assert score(old) == UNKNOWN


def test_given_open_escalations_then_each_takes_8_points_and_resolved_ones_none():
    once, twice, resolved = make_customer(), make_customer(), make_customer()
    escalate(once)
    escalate(twice)
    escalate(twice, status=EscalationStatus.ACKNOWLEDGED)
    escalate(resolved, status=EscalationStatus.RESOLVED)

    assert score(once) == UNKNOWN - 8
    assert score(twice) == UNKNOWN - 15  # at least 0 points
    assert score(resolved) == UNKNOWN


def test_given_every_signal_bad_then_the_account_falls_under_the_at_risk_line():
    customer = make_customer(usage_change_30d=-100.0, last_active_on=TODAY - timedelta(days=31))
    answer(customer, SurveyKind.NPS, 3)
    make_feedback(customer=customer, sentiment_label=Sentiment.NEGATIVE, received_at=NOON)
    make_feedback(customer=customer, sentiment_label=Sentiment.NEGATIVE, received_at=NOON)
    escalate(customer)

    assert score(customer) == 25  # 0 + 0 + 6 + 12 + 7
    assert customer.is_at_risk


def test_given_an_account_then_explain_gives_the_parts_the_score_is_the_sum_of():
    customer = make_customer(usage_change_30d=-30.0, last_active_on=TODAY - timedelta(days=9))
    answer(customer, SurveyKind.CSAT, 5)

    parts = health.explain(customer=customer, today=TODAY)

    assert (parts.usage, parts.recency, parts.surveys, parts.feedback, parts.escalations) == (10, 15, 20, 20, 15)
    assert parts.score == score(customer) == 80


def test_given_a_subset_when_rescoring_it_then_other_accounts_keep_their_score():
    rescored, other = make_customer(health_score=1), make_customer(health_score=1)

    assert health.refresh_health_scores(customer_ids=[rescored.pk], today=TODAY) == 1

    rescored.refresh_from_db()
    other.refresh_from_db()
    assert (rescored.health_score, other.health_score) == (UNKNOWN, 1)
    assert health.refresh_health_scores(customer_ids=[rescored.pk], today=TODAY) == 0  # only moved scores written


def test_given_the_daily_job_then_usage_signals_are_refreshed_before_the_scores_that_read_them():
    customer = make_customer(health_score=None)
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(customer=customer, taken_on=TODAY - timedelta(days=back), active_users=10 if back >= 30 else 5)
        for back in range(60)
    )

    assert health.refresh_customer_health(today=TODAY) == {"usage signals": 1, "health scores": 1}

    customer.refresh_from_db()
    assert (customer.usage_change_30d, customer.health_score) == (-50.0, 65)  # 0 + 20 + 10 + 20 + 15
    assert customer.events.count() == 0  # computed figures leave no history


def test_given_an_import_of_snapshots_then_the_usage_recorded_event_rescores_those_accounts(
    django_capture_on_commit_callbacks,
):
    customer = make_customer(health_score=None)
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(customer=customer, taken_on=timezone.localdate() - timedelta(days=back), active_users=3)
        for back in range(60)
    )

    with django_capture_on_commit_callbacks():
        usage_recorded(customer_ids=[customer.pk], batch="import-1")
    (event,) = DomainEvent.objects.filter(name="usage.recorded")
    assert event.payload == {"customer_ids": [customer.pk]}
    events.process(event.pk)

    customer.refresh_from_db()
    assert customer.usage_change_30d == 0.0 and customer.health_score == 90  # 25 + 20 + 10 + 20 + 15
