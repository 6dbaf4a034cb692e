"""Technical metrics set against feedback (``insights.technical_correlation``): Spearman against SciPy and a hand
example, the Bonett–Wright interval, the weekly series built in SQL, "errors up while sentiment falls", the daily
figure, and the escalation rule opening once per product or segment (``insights.technical_escalations``)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from scipy import stats as sps

from customers.choices import Industry, Tier
from feedback.choices import Source
from feedback.models import FeedbackItem
from insights import escalation_services, escalations, technical_correlation
from insights.choices import EscalationStatus, Metric
from insights.models import DashboardFigure, Escalation, EscalationRule, TechnicalSample
from insights.tasks import refresh_technical_correlations
from tests.factories import make_customer

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday: the 12 weeks end on Monday 2026-11-23
WEEK_END = datetime(2026, 11, 23, tzinfo=UTC)


# --- Statistics (no database) -------------------------------------------------------------------------------------


def test_given_a_hand_example_then_rho_is_one_minus_six_sum_d2_over_n_n2_minus_1():
    result = technical_correlation.spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])

    # ranks differ by 1 in every pair: Σd² = 6, ρ = 1 − 6·6 / (6·35) = 0.828571
    assert result["rho"] == pytest.approx(0.828571, abs=1e-6)
    assert result["n"] == 6 and result["status"] == "ok"
    assert result["p"] == pytest.approx(0.041563, abs=1e-6)  # scipy's t approximation, two-sided


def test_given_the_bonett_wright_interval_then_it_matches_the_formula_and_is_wider_than_fishers_plain_one():
    low, high = technical_correlation.fisher_interval(0.828571, 6)

    z, se = math.atanh(0.828571), math.sqrt((1 + 0.828571**2 / 2) / 3)
    assert (low, high) == pytest.approx((math.tanh(z - 1.959964 * se), math.tanh(z + 1.959964 * se)), abs=1e-6)
    assert (low, high) == pytest.approx((-0.127245, 0.986482), abs=1e-5)
    plain = (math.tanh(z - 1.959964 / math.sqrt(3)), math.tanh(z + 1.959964 / math.sqrt(3)))
    assert low < plain[0] and high > plain[1]


def test_given_random_series_then_rho_and_p_are_scipys_and_the_interval_holds_rho():
    rng = random.Random(11)
    for n in (6, 12, 30):
        xs = [rng.random() for _ in range(n)]
        ys = [x + rng.gauss(0, 0.3) for x in xs]

        result = technical_correlation.spearman(xs, ys)

        expected = sps.spearmanr(xs, ys)
        assert result["rho"] == pytest.approx(expected.statistic, abs=1e-12)
        assert result["p"] == pytest.approx(expected.pvalue, abs=1e-12)
        assert result["ci_low"] < result["rho"] < result["ci_high"]


def test_given_too_few_periods_or_a_constant_series_then_no_rho_and_the_reason():
    assert technical_correlation.spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])["status"] == "too_few"
    assert technical_correlation.spearman([1, 2, 3, 4, 5, 6], [3] * 6)["status"] == "constant"
    assert technical_correlation.spearman([1, 2, 3, 4, 5, 6], [3] * 6)["rho"] is None


def test_given_a_perfect_rank_correlation_then_the_interval_is_the_point():
    assert technical_correlation.fisher_interval(-1.0, 8) == (-1.0, -1.0)


# --- Data ---------------------------------------------------------------------------------------------------------


def samples(product: str, customer, figures: list[tuple[int, int]], *, end: datetime = WEEK_END, every=None, **extra):
    """One sample per period ending at ``end`` (the last figure), each ``every`` (default a week) apart."""
    every = every or timedelta(weeks=1)
    rows = []
    for back, (requests, errors) in enumerate(reversed(figures), start=1):
        start = end - back * every
        rows.append(
            TechnicalSample(
                customer=customer,
                product=product,
                period_start=start,
                period_end=start + timedelta(hours=1),
                requests=requests,
                errors=errors,
                **extra,
            )
        )
    TechnicalSample.objects.bulk_create(rows)


def feedback(product: str, customer, scores: list[list[float]], *, end: datetime = WEEK_END, every=None):
    """Feedback items with these sentiment scores, one list per period ending at ``end`` (the last list)."""
    every = every or timedelta(weeks=1)
    rows = []
    for back, week in enumerate(reversed(scores), start=1):
        for index, score in enumerate(week):
            at = end - back * every + timedelta(hours=2 + index)
            rows.append(
                FeedbackItem(
                    received_at=at,
                    source=Source.ZENDESK,
                    source_id=f"{product}-{customer.pk if customer else 0}-{back}-{index}",
                    verbatim="Errors on the batch API",
                    product=product,
                    sentiment_score=score,
                    customer=customer,
                )
            )
    FeedbackItem.objects.bulk_create(rows)


@pytest.fixture
def acme():
    return make_customer(name="Acme", tier=Tier.ENTERPRISE, industry=Industry.RETAIL)


@pytest.fixture
def globex():
    return make_customer(name="Globex", tier=Tier.STARTUP, industry=Industry.HEALTHCARE)


# --- Weekly series and correlations -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_given_errors_rising_week_by_week_while_sentiment_falls_then_rho_is_strongly_negative_per_product_and_tier(
    acme,
):
    samples("mistral_large", acme, [(10_000, 10 * (week + 1)) for week in range(12)])
    feedback("mistral_large", acme, [[0.6 - 0.1 * week] * 4 for week in range(12)])

    start, end = technical_correlation.window(NOW)
    rows = technical_correlation.correlations(technical_correlation.weekly_series(start=start, end=end))

    found = {(row["kind"], row["subject"], row["pair"]): row for row in rows}
    product = found[("product", "mistral_large", "error_rate:sentiment")]
    assert (product["status"], product["n"], product["rho"]) == ("ok", 12, pytest.approx(-1.0))
    assert found[("tier", "enterprise", "error_rate:sentiment")]["rho"] == pytest.approx(-1.0)
    assert found[("industry", "retail", "error_rate:volume")]["status"] == "constant"  # 4 items every week
    assert found[("product", "mistral_large", "error_rate:nps")]["status"] == "too_few"  # no NPS answers
    assert (start, end) == (WEEK_END - timedelta(weeks=12), WEEK_END)


@pytest.mark.django_db
def test_given_a_product_with_an_all_customers_row_then_the_row_is_its_total_not_added_to_the_accounts(acme):
    samples("le_chat", acme, [(1_000, 10)])
    samples("le_chat", None, [(50_000, 100)])

    start, end = technical_correlation.window(NOW)
    series = technical_correlation.weekly_series(start=start, end=end)

    last = series[("product", "le_chat")][11]
    assert (last["requests"], last["errors"]) == (50_000, 100)
    assert series[("tier", "enterprise")][11]["requests"] == 1_000  # a segment sums its accounts


@pytest.mark.django_db
def test_given_five_weeks_of_data_then_the_table_says_too_few_periods(acme):
    samples("codestral", acme, [(1_000, week) for week in range(5)])
    feedback("codestral", acme, [[0.1 * week] * 3 for week in range(5)])

    start, end = technical_correlation.window(NOW)
    rows = technical_correlation.correlations(technical_correlation.weekly_series(start=start, end=end))

    row = next(r for r in rows if r["subject"] == "codestral" and r["pair"] == "error_rate:sentiment")
    assert (row["status"], row["n"], row["rho"]) == ("too_few", 5, None)


# --- Errors up while sentiment falls ------------------------------------------------------------------------------


def rising_case(product: str, customer, *, errors_now: int, mood_now: float):
    """14 daily periods before and 14 recent ones ending at NOW: 1,000 requests a day, 2 errors a day before."""
    samples(product, customer, [(1_000, 2)] * 14 + [(1_000, errors_now)] * 14, end=NOW, every=timedelta(days=1))
    feedback(product, customer, [[0.4]] * 14 + [[mood_now]] * 14, end=NOW, every=timedelta(days=1))


@pytest.mark.django_db
def test_given_errors_doubling_while_sentiment_falls_then_the_product_and_its_segments_are_listed(acme):
    rising_case("mistral_large", acme, errors_now=5, mood_now=-0.2)

    found = technical_correlation.rising(now=NOW, days=14, threshold=50)

    assert [(row["kind"], row["subject"]) for row in found] == [
        ("industry", "retail"),
        ("product", "mistral_large"),
        ("tier", "enterprise"),
    ]
    row = found[1]
    assert row["rise_percent"] == 150.0 and row["error_rate"] == [0.002, 0.005]
    assert row["requests"] == [14_000, 14_000] and row["items"] == [14, 14]
    assert row["sentiment"] == [0.4, -0.2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("errors_now", "mood_now", "threshold"),
    [(5, 0.4, 50), (5, 0.5, 50), (2, -0.2, 50), (3, -0.2, 50.1)],
    ids=["sentiment flat", "sentiment up", "errors flat", "rise under the threshold"],
)
def test_given_errors_or_sentiment_not_both_moving_badly_then_nothing_is_listed(acme, errors_now, mood_now, threshold):
    rising_case("mistral_large", acme, errors_now=errors_now, mood_now=mood_now)

    assert technical_correlation.rising(now=NOW, days=14, threshold=threshold) == []


@pytest.mark.django_db
def test_given_too_little_feedback_then_no_sentiment_fall_is_claimed(acme):
    samples("mistral_large", acme, [(1_000, 2)] * 14 + [(1_000, 9)] * 14, end=NOW, every=timedelta(days=1))
    feedback("mistral_large", acme, [[0.4]] * 4 + [[-0.5]] * 4, end=NOW, every=timedelta(days=1))

    assert technical_correlation.rising(now=NOW, days=14, threshold=50) == []


# --- The daily figure and the escalation rule ---------------------------------------------------------------------


@pytest.mark.django_db
def test_given_the_daily_task_then_the_figure_holds_the_table_the_chart_series_and_the_rising_list(acme):
    samples("mistral_large", acme, [(10_000, 10 * (week + 1)) for week in range(12)], end=WEEK_END)

    assert refresh_technical_correlations.apply().get() == len(DashboardFigure.objects.get().data["rows"])
    technical_correlation.refresh(now=NOW)

    figure = DashboardFigure.objects.get(key="technical:correlations")
    assert figure.sample_size == 12
    assert len(figure.data["series"]["product:mistral_large"]) == 12
    assert figure.data["window"]["weeks"] == 12 and figure.data["min_periods"] == 6
    assert {row["pair"] for row in figure.data["rows"]} == {
        "error_rate:sentiment",
        "error_rate:volume",
        "p95:sentiment",
        "error_rate:nps",
    }


@pytest.fixture
def rule():
    """The default rule of migration 0012 (made again: a transactional test's flush may have removed it)."""
    found = EscalationRule.objects.filter(metric=Metric.ERRORS_UP_SENTIMENT_DOWN).first()
    return found or EscalationRule.objects.create(
        name="Errors up 50 % in 14 days while sentiment falls",
        metric=Metric.ERRORS_UP_SENTIMENT_DOWN,
        period_days=14,
        threshold=50,
        comparison="gte",
        severity="high",
        action="cs_alert",
        channels=["slack"],
    )


@pytest.mark.django_db
def test_given_errors_up_and_sentiment_down_when_checking_twice_then_one_escalation_per_condition(rule, acme, globex):
    rising_case("mistral_large", acme, errors_now=5, mood_now=-0.2)
    samples("mistral_large", globex, [(100, 0)] * 28, end=NOW, every=timedelta(days=1))

    first = escalations.check_all(now=NOW)
    second = escalations.check_all(now=NOW + timedelta(hours=1))

    opened = Escalation.objects.filter(rule=rule).order_by("condition_key")
    assert [e.condition_key for e in opened] == [
        f"errors_up_sentiment_down:{rule.pk}:industry:retail",
        f"errors_up_sentiment_down:{rule.pk}:product:mistral_large",
        f"errors_up_sentiment_down:{rule.pk}:tier:enterprise",
    ]
    product = opened[1]
    assert product.summary == "Errors up 150 % in 14 days while sentiment fell: Mistral Large"
    assert product.details["error_rate"] == pytest.approx([28 / 15_400, 70 / 15_400], rel=1e-9)
    assert product.details["sentiment"] == [0.4, -0.2]
    assert product.details["facts"][0] == ("Error rate 0.18% → 0.45% (+150 %; 15,400 → 15,400 requests)")
    assert list(product.customers.all()) == [acme]  # Globex had no errors
    result = next(r for r in first.rules if r.rule_id == rule.pk)
    assert (result.found, result.opened, result.error) == (3, 3, "")
    assert next(r for r in second.rules if r.rule_id == rule.pk).opened == 0


@pytest.mark.django_db
def test_given_a_resolved_condition_then_it_opens_again_only_after_the_period(rule, acme, django_user_model):
    rising_case("mistral_large", acme, errors_now=5, mood_now=-0.2)
    escalations.check_all(now=NOW)
    user = django_user_model.objects.create_user("sre")
    escalation_services.resolve_escalations(
        escalation_ids=Escalation.objects.filter(rule=rule).values_list("pk", flat=True), user=user, notes="Rolled back"
    )

    soon = escalations.check_all(now=NOW + timedelta(hours=2))

    assert next(r for r in soon.rules if r.rule_id == rule.pk).opened == 0
    Escalation.objects.filter(rule=rule).update(resolved_at=NOW - timedelta(days=15))
    later = escalations.check_all(now=NOW + timedelta(hours=3))
    assert next(r for r in later.rules if r.rule_id == rule.pk).opened == 3
    assert Escalation.objects.filter(rule=rule, status=EscalationStatus.OPEN).count() == 3
