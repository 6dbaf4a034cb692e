"""The dashboard's figures are computed by a job from the domain tables, with their sample sizes."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.choices import Industry, Lifecycle
from feedback.choices import Category, Product
from insights import services
from insights.models import DashboardFigure
from launches.choices import LaunchStatus
from tests.factories import make_customer, make_feedback, make_launch, make_theme
from themes.services import refresh_rollups

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 20, 12, 0))


def figure(key: str) -> DashboardFigure:
    return DashboardFigure.objects.get(key=key)


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 11, 29), date(2026, 10, 1), date(2027, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 1), date(2026, 4, 1)),
        (date(2026, 6, 30), date(2026, 4, 1), date(2026, 7, 1)),
    ],
)
def test_given_a_day_then_its_quarter_runs_from_the_first_day_to_the_next_quarter(day, start, end):
    assert services.quarter_bounds(day) == (start, end)


def test_given_feedback_over_months_when_refreshing_then_volume_counts_each_month_and_category():
    make_feedback(category=Category.BUG, received_at=NOW - timedelta(days=1))
    make_feedback(category=Category.BUG, received_at=NOW - timedelta(days=2))
    make_feedback(category=Category.PRAISE, received_at=NOW - timedelta(days=40))
    make_feedback(category=Category.BUG, received_at=NOW - timedelta(days=400))  # older than twelve months

    services.refresh_dashboard(now=NOW)

    volume = figure("volume")
    series = {entry["category"]: entry["counts"] for entry in volume.data["series"]}
    assert volume.data["months"][-1] == "2026-11-01" and len(volume.data["months"]) == 12
    assert series[Category.BUG][-1] == 2 and sum(series[Category.BUG]) == 2
    assert series[Category.PRAISE][-2] == 1
    assert volume.sample_size == 3
    assert volume.computed_at == NOW


def test_given_customers_when_refreshing_then_key_figures_count_at_risk_accounts_and_their_arr_by_the_rule():
    make_customer(arr=Decimal("100000"), lifecycle_stage=Lifecycle.AT_RISK)
    make_customer(arr=Decimal("20000"), health_score=10)
    make_customer(arr=Decimal("50000"), lifecycle_stage=Lifecycle.CHURNED, health_score=5)  # lost, not at risk
    make_feedback(received_at=NOW - timedelta(days=2))
    make_feedback(received_at=NOW - timedelta(days=30), triaged_at=NOW)

    services.refresh_dashboard(now=NOW)

    totals = figure("totals").data
    assert (totals["at_risk_accounts"], totals["arr_at_risk"]) == (2, 120000.0)
    assert (totals["total"], totals["untriaged"], totals["new_this_week"]) == (2, 1, 1)


def test_given_at_risk_accounts_when_refreshing_then_churn_lists_them_by_arr_with_their_recent_signals():
    big = make_customer(name="Big Bank", arr=Decimal("900000"), lifecycle_stage=Lifecycle.AT_RISK)
    make_customer(name="Small Shop", arr=Decimal("10000"), health_score=20)
    make_customer(name="Healthy", arr=Decimal("5000000"))
    make_feedback(customer=big, category=Category.CHURN_SIGNAL, received_at=NOW - timedelta(days=3))
    make_feedback(customer=big, category=Category.CHURN_SIGNAL, received_at=NOW - timedelta(days=200))  # too old

    services.refresh_dashboard(now=NOW)

    churn = figure("churn")
    assert [(row["name"], row["churn_signals"]) for row in churn.data["rows"]] == [("Big Bank", 1), ("Small Shop", 0)]
    assert churn.data["signals"] == churn.sample_size == 1


def test_given_themes_when_refreshing_then_top_themes_follow_arr_impacted():
    low, high = make_theme(name="Low"), make_theme(name="High")
    make_feedback(customer=make_customer(arr=Decimal("1000"))).themes.add(low)
    make_feedback(customer=make_customer(arr=Decimal("80000"))).themes.add(high)
    refresh_rollups(theme_ids=[low.pk, high.pk])

    services.refresh_dashboard(now=NOW)

    themes = figure("themes")
    assert [row["name"] for row in themes.data["rows"]] == ["High", "Low"]
    assert themes.data["rows"][0]["arr_impacted"] == 80000.0
    assert themes.sample_size == 2


def test_given_launches_when_refreshing_then_only_this_quarters_are_listed_with_progress():
    inside = make_launch(name="Inside", target_date=date(2026, 12, 15))
    make_launch(name="Next quarter", target_date=date(2027, 1, 15))
    first = inside.checklist_items.first()
    first.done_at = NOW
    first.save()

    services.refresh_dashboard(now=NOW)

    rows = figure("launches").data["rows"]
    assert [row["name"] for row in rows] == ["Inside"]
    assert rows[0]["items_done"] == 1 and rows[0]["items_total"] == inside.checklist_items.count()
    assert rows[0]["status"] == LaunchStatus.IN_DEV


def test_given_few_data_points_in_a_segment_when_refreshing_then_coverage_flags_it_under_fifteen():
    bank = make_customer(industry=Industry.FINANCIAL_SERVICES)
    hospital = make_customer(industry=Industry.HEALTHCARE)
    for _ in range(15):
        make_feedback(customer=bank, product=Product.CODESTRAL)
    for _ in range(3):
        make_feedback(customer=hospital, product=Product.LE_CHAT)

    services.refresh_dashboard(now=NOW)

    coverage = {dim["key"]: {s["value"]: s for s in dim["segments"]} for dim in figure("coverage").data["dimensions"]}
    assert coverage["industry"][Industry.FINANCIAL_SERVICES]["items"] == 15
    assert not coverage["industry"][Industry.FINANCIAL_SERVICES]["flag"]
    assert (coverage["industry"][Industry.HEALTHCARE]["items"], coverage["industry"][Industry.HEALTHCARE]["flag"]) == (
        3,
        True,
    )
    assert coverage["industry"][Industry.HEALTHCARE]["customers"] == 1
    assert coverage["product"][Product.CODESTRAL]["items"] == 15
    assert coverage["product"][Product.PIXTRAL]["flag"]  # no data at all is the reddest flag
    assert figure("coverage").sample_size == 18
