"""The experiments' arithmetic reproduces the issue's published reference values (GrowthBook's gbstats agrees)."""

from __future__ import annotations

import math
import random

import pytest
from scipy.stats import false_discovery_control

from insights import stats
from insights.stats import NotEnoughData, Sample


def welch_of_proportions():
    return stats.welch(Sample.from_proportion(200, 1000), Sample.from_proportion(250, 1000))


def test_welch_on_proportions_matches_the_reference():
    result = welch_of_proportions()

    assert result.difference == pytest.approx(0.05, abs=1e-12)
    assert round(result.ci_low, 5) == 0.01344
    assert round(result.ci_high, 5) == 0.08656
    assert round(result.p_value, 6) == 0.007374
    assert result.method == "welch"


def test_relative_difference_by_the_delta_method():
    result = welch_of_proportions()

    # 0.25 / 0.20 − 1; se² = Var(b)/a² + b²·Var(a)/a⁴ with Var(x) = p(1 − p)/n
    se = math.sqrt(0.1875 / 1000 / 0.04 + 0.0625 * 0.16 / 1000 / 0.0016)
    assert result.relative_difference == pytest.approx(0.25)
    half = result.relative_difference - result.relative_ci_low
    assert half == pytest.approx(se * (result.ci_high - result.difference) / result.standard_error)
    assert round(result.relative_ci_low, 4) == 0.0449
    assert round(result.relative_ci_high, 4) == 0.4551


def test_pooled_z_test_matches_the_reference():
    z, p_value = stats.pooled_z(200, 1000, 250, 1000)

    assert round(z, 4) == 2.6774
    assert round(p_value, 5) == 0.00742


def test_welch_on_means_from_sums_matches_the_reference():
    control = Sample.from_sums(3407, 1396.87, 52377.9767)
    treatment = Sample.from_sums(3461, 2422.7, 134698.29)

    result = stats.welch(control, treatment)

    assert (round(control.mean, 4), round(treatment.mean, 4)) == (0.41, 0.70)
    assert round(result.difference, 4) == 0.29
    assert round(result.ci_low, 5) == 0.04538
    assert round(result.ci_high, 5) == 0.53462
    assert round(result.p_value, 5) == 0.02016


def test_srm_flags_only_below_one_in_a_thousand():
    fine = stats.srm([5000, 5200])
    broken = stats.srm([5000, 5400])

    assert round(fine.p_value, 4) == 0.0477
    assert not fine.flagged
    assert round(broken.p_value, 6) == 0.000088
    assert broken.flagged


def test_srm_against_planned_shares():
    # 9,000 / 1,000 is exactly a 90/10 plan; against 50/50 it is a glaring mismatch
    assert stats.srm([9000, 1000], [90, 10]).p_value == pytest.approx(1.0)
    assert stats.srm([9000, 1000], [90, 10]).expected == (9000.0, 1000.0)
    assert stats.srm([9000, 1000]).flagged


def test_holm_and_benjamini_hochberg():
    p_values = [0.01, 0.04, 0.03, 0.005]

    # Holm: sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1, each at least the one before
    assert stats.holm(p_values) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.benjamini_hochberg(p_values) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    rng = random.Random(7)
    many = [rng.random() ** 3 for _ in range(40)]
    assert stats.benjamini_hochberg(many) == pytest.approx(list(false_discovery_control(many)))
    assert stats.holm([0.3, 0.2]) == pytest.approx([0.4, 0.4])  # 0.3·1 raised to 0.2·2: never below the one before
    assert stats.holm([0.9, 0.8]) == [1.0, 1.0]  # never above 1


def test_confidence_sequence_follows_the_normal_mixture_formula():
    control, treatment = Sample.from_proportion(200, 1000), Sample.from_proportion(250, 1000)
    welch = stats.welch(control, treatment)

    result = stats.confidence_sequence(control, treatment, alpha=0.05, tuning=5000)

    # Howard et al. (2021) eq. (14) as GrowthBook writes it, computed here by hand
    n, alpha = 2000, 0.05
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / 5000
    half = math.sqrt(n * welch.standard_error**2) * math.sqrt(
        2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha)
    )
    assert result.ci_high - result.difference == pytest.approx(half)
    assert result.ci_low < welch.ci_low and result.ci_high > welch.ci_high  # the price of peeking
    assert result.ci_low < 0 < result.ci_high  # not yet significant when looking at every step
    assert result.p_value > welch.p_value
    assert result.method == "sequential"


def test_sequential_p_value_is_where_the_sequence_touches_zero():
    control, treatment = Sample.from_proportion(2000, 10000), Sample.from_proportion(2200, 10000)

    result = stats.confidence_sequence(control, treatment)
    at_p = stats.confidence_sequence(control, treatment, alpha=result.p_value)

    assert result.p_value < 0.05 and result.ci_low > 0
    assert at_p.ci_low == pytest.approx(0, abs=1e-9)


def test_confidence_sequence_covers_under_the_null_at_every_look():
    # given no true difference, watched every 200 observations up to 20,000: the Welch interval excludes 0 at some
    # look far more often than 5 % of the runs; the confidence sequence stays within its 5 %
    rng = random.Random(11)
    runs, misses_fixed, misses_sequence = 200, 0, 0
    for _ in range(runs):
        a = b = na = nb = 0
        fixed_missed = sequence_missed = False
        for _look in range(100):
            a += sum(rng.random() < 0.2 for _ in range(100))
            b += sum(rng.random() < 0.2 for _ in range(100))
            na += 100
            nb += 100
            control, treatment = Sample.from_proportion(a, na), Sample.from_proportion(b, nb)
            fixed_missed = fixed_missed or stats.welch(control, treatment).p_value < 0.05
            sequence = stats.confidence_sequence(control, treatment)
            sequence_missed = sequence_missed or not (sequence.ci_low <= 0 <= sequence.ci_high)
        misses_fixed += fixed_missed
        misses_sequence += sequence_missed
    assert misses_fixed / runs > 0.15
    assert misses_sequence / runs <= 0.05


def test_bad_figures_are_refused_with_the_reason():
    with pytest.raises(NotEnoughData, match="at least 2"):
        Sample.from_sums(1, 1.0, 1.0)
    with pytest.raises(NotEnoughData, match="Impossible sums"):
        Sample.from_sums(10, 100.0, 10.0)
    with pytest.raises(NotEnoughData, match="between 0 and n"):
        Sample.from_proportion(11, 10)
    with pytest.raises(NotEnoughData, match="no variance"):
        stats.welch(Sample.from_proportion(0, 100), Sample.from_proportion(0, 100))
    with pytest.raises(NotEnoughData, match="2 counts but 3 shares"):
        stats.srm([1, 2], [1, 1, 1])
    with pytest.raises(ValueError, match="alpha"):
        stats.welch(Sample.from_proportion(1, 10), Sample.from_proportion(2, 10), alpha=1.5)


def test_relative_difference_is_none_when_the_control_is_zero():
    result = stats.welch(Sample.from_proportion(0, 100), Sample.from_proportion(5, 100))

    assert result.relative_difference is None and result.relative_ci_low is None
    assert result.as_dict()["difference"] == pytest.approx(0.05)


def test_sequential_p_value_of_a_huge_difference_is_tiny_not_an_error():
    # a control without variance against a clear effect: the p-value lies hundreds of decades below 1
    control, treatment = Sample.from_sums(1000, 0.0, 0.0), Sample.from_sums(1000, 2500.0, 25000.0)

    result = stats.confidence_sequence(control, treatment)

    assert 0 <= result.p_value < 1e-20
    assert result.ci_low > 0
