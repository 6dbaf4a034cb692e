"""demo/signals.py: earlier usage for 30-day trends, survey answers with comments marked as demo data, health."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min
from django.utils import timezone

from customers import cohorts
from customers.choices import Lifecycle
from customers.models import Customer, UsageSnapshot
from demo import signals
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from insights.models import SurveyResponse
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    """Ten paying accounts with the demo's 30 days of usage (ending yesterday); one dropped by half lately."""
    today = timezone.localdate()
    customers = [make_customer(domain=f"acct{n}.demo.example", health_score=None) for n in range(10)]
    make_customer(domain="lost.demo.example", lifecycle_stage=Lifecycle.CHURNED)
    make_customer(domain="grows.demo.example", lifecycle_stage=Lifecycle.EXPANSION, arr=Decimal("80000"))
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(
            customer=customer,
            taken_on=today - timedelta(days=back),
            active_users=(10 if back > 10 or customer != customers[0] else 3),
            api_requests=1000,
            tokens_used=900_000,
            features_used={"embeddings": 600, "batch": 400},
        )
        for customer in customers
        for back in range(1, 31)
    )
    return customers


def test_given_the_demo_usage_then_signals_give_each_account_60_days_answers_and_health(accounts):
    out = io.StringIO()

    counts = signals.load(out)

    spans = UsageSnapshot.objects.values("customer").annotate(
        first=Min("taken_on"), last=Max("taken_on"), n=Count("id")
    )
    assert {(row["last"] - row["first"]).days + 1 for row in spans} == {60}
    assert {row["n"] for row in spans} == {60}
    assert counts["earlier usage days"] == 300
    answers = SurveyResponse.objects.filter(source=signals.SOURCE)
    assert answers.count() == counts["survey answers"] >= 6
    assert not answers.filter(customer__lifecycle_stage=Lifecycle.CHURNED).exists()
    commented = FeedbackItem.objects.filter(survey_response__isnull=False)
    assert commented.count() == counts["comments as feedback"] > 0
    assert commented.filter(raw_payload__has_key=PAYLOAD_MARK).count() == commented.count()  # reset may clear them
    assert not Customer.objects.filter(pk__in=[c.pk for c in accounts], health_score__isnull=True).exists()
    changes = dict(Customer.objects.filter(pk__in=[c.pk for c in accounts]).values_list("pk", "usage_change_30d"))
    dropped = changes.pop(accounts[0].pk)
    assert None not in changes.values() and dropped < min(changes.values()) - 20  # only the real drop stands out
    grows = Customer.objects.get(domain="grows.demo.example")
    assert grows.arr == Decimal("100000") and counts["upsells"] == 1
    assert list(Customer.objects.filter(cohorts.cohort_q("expanded"))) == [grows]
    assert "survey answers (NPS" in out.getvalue()


def test_given_the_signals_loaded_once_then_a_second_load_adds_nothing(accounts):
    signals.load(io.StringIO())
    before = (UsageSnapshot.objects.count(), SurveyResponse.objects.count(), FeedbackItem.objects.count())

    counts = signals.load(io.StringIO())

    assert counts["earlier usage days"] == counts["upsells"] == 0
    assert (UsageSnapshot.objects.count(), SurveyResponse.objects.count(), FeedbackItem.objects.count()) == before
