"""The arithmetic of experiments (issue 11, seed 004 "A/B Testing Framework"): pure functions over summary figures.

Nothing here reads the database: a variant is a ``Sample`` (n, mean, variance of one observation), built from the
sums a SQL query returns (n, Σx, Σx²) or from a count of conversions. SciPy does the distributions.

- ``welch``: Welch's t-test for the difference of two means (a proportion is the mean of 0/1 observations), with a
  confidence interval on the absolute difference and on the relative one (delta method). Degrees of freedom by
  Welch–Satterthwaite. For a proportion the variance of one observation is p(1 − p), as GrowthBook's gbstats does; for
  a mean it is the sample variance (n − 1 in the denominator). Reproduces the issue's reference values
  (200/1000 vs 250/1000: CI (0.01344, 0.08656), p = 0.007374).
- ``pooled_z``: the classic two-proportion z-test with the pooled rate under the null, for analysts who compare.
- ``confidence_sequence``: an always-valid interval for sequential testing (peeking allowed), the normal-mixture
  boundary of Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences"
  (Annals of Statistics 2021, eq. (14); arXiv:1810.08240), in the form GrowthBook documents for its sequential
  testing ("Sequential Testing", docs.growthbook.io/statistics/sequential)::

      half-width = sqrt(N·σ²) · sqrt( 2(Nρ² + 1) / (N²ρ²) · ln( sqrt(Nρ² + 1) / α ) )
      ρ          = sqrt( (−2 ln α + ln(−2 ln α + 1)) / N* )

  where σ² is the variance of the estimated difference (the squared standard error), N the total sample of both
  variants and N* the tuning parameter: the sample at which the boundary is tightest (GrowthBook's default 5,000).
  Its p-value is always-valid too: the smallest α whose sequence excludes 0.
- ``srm``: the sample-ratio-mismatch check, Pearson's χ² of assignment counts against the planned shares; flagged
  at p < 0.001 (a broken assignment, not bad luck: results are not to be trusted).
- ``holm`` and ``benjamini_hochberg``: adjusted p-values when several metrics or variants are tested at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy import optimize
from scipy import stats as sps

SRM_ALPHA = 0.001
DEFAULT_ALPHA = 0.05
SEQUENTIAL_TUNING = 5000  # N*: total sample at which the confidence sequence is tightest (GrowthBook's default)


class NotEnoughData(ValueError):
    """The figures cannot be compared: too few observations, no variance, or impossible sums."""


@dataclass(frozen=True)
class Sample:
    """One variant's figures: observations, mean and variance of one observation."""

    n: int
    mean: float
    variance: float

    @classmethod
    def from_sums(cls, n: int, total: float, sum_squares: float) -> Sample:
        """A mean metric from (n, Σx, Σx²): the sample variance with n − 1, as a SQL aggregate gives them."""
        if n < 2:
            raise NotEnoughData(f"A mean needs at least 2 observations; got n = {n}.")
        mean = total / n
        variance = (sum_squares - total * total / n) / (n - 1)
        if variance < -1e-9 * max(1.0, abs(sum_squares)):
            raise NotEnoughData(
                f"Impossible sums: the sum of squares {sum_squares:g} is smaller than sum²/n = {total * total / n:g}."
            )
        return cls(n=n, mean=mean, variance=max(variance, 0.0))

    @classmethod
    def from_proportion(cls, successes: int, n: int) -> Sample:
        """A conversion rate: the mean of n observations of 0 or 1, variance p(1 − p)."""
        if n < 1:
            raise NotEnoughData("A proportion needs at least 1 observation; got n = 0.")
        if not 0 <= successes <= n:
            raise NotEnoughData(f"Conversions must be between 0 and n: {successes}/{n}.")
        rate = successes / n
        return cls(n=n, mean=rate, variance=rate * (1 - rate))

    @property
    def standard_error_squared(self) -> float:
        """The variance of the mean."""
        return self.variance / self.n


@dataclass(frozen=True)
class Comparison:
    """The treatment against the control: difference, its interval and p-value, and the relative difference."""

    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    standard_error: float
    degrees_of_freedom: float | None
    relative_difference: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    alpha: float
    method: str  # "welch" or "sequential"

    def as_dict(self) -> dict:
        """Plain numbers, for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class SrmResult:
    """The sample-ratio-mismatch check: χ² over the assignment counts against the planned shares."""

    counts: tuple[int, ...]
    expected: tuple[float, ...]
    statistic: float
    p_value: float
    flagged: bool


def _spread(control: Sample, treatment: Sample) -> tuple[float, float]:
    """Standard error of the difference and Welch–Satterthwaite degrees of freedom."""
    va, vb = control.standard_error_squared, treatment.standard_error_squared
    se2 = va + vb
    if se2 <= 0:
        raise NotEnoughData("Both variants have no variance (every observation is the same): no test is possible.")
    denominator = (va * va / (control.n - 1) if control.n > 1 else 0.0) + (
        vb * vb / (treatment.n - 1) if treatment.n > 1 else 0.0
    )
    df = se2 * se2 / denominator if denominator > 0 else math.inf
    return math.sqrt(se2), df


def _relative_se(control: Sample, treatment: Sample) -> float | None:
    """Standard error of treatment/control − 1 by the delta method; None when the control's mean is 0."""
    ma, mb = control.mean, treatment.mean
    if ma == 0:
        return None
    variance = treatment.standard_error_squared / ma**2 + mb**2 * control.standard_error_squared / ma**4
    return math.sqrt(variance)


def welch(control: Sample, treatment: Sample, *, alpha: float = DEFAULT_ALPHA) -> Comparison:
    """Welch's two-sided t-test of treatment − control, with (1 − alpha) intervals, absolute and relative."""
    _check_alpha(alpha)
    se, df = _spread(control, treatment)
    difference = treatment.mean - control.mean
    statistic = difference / se
    quantile = float(sps.t.ppf(1 - alpha / 2, df))
    p_value = float(2 * sps.t.sf(abs(statistic), df))
    relative, rel_low, rel_high = None, None, None
    rel_se = _relative_se(control, treatment)
    if rel_se is not None:
        relative = treatment.mean / control.mean - 1
        rel_low, rel_high = relative - quantile * rel_se, relative + quantile * rel_se
    return Comparison(
        control_mean=control.mean,
        treatment_mean=treatment.mean,
        difference=difference,
        ci_low=difference - quantile * se,
        ci_high=difference + quantile * se,
        p_value=p_value,
        statistic=statistic,
        standard_error=se,
        degrees_of_freedom=df,
        relative_difference=relative,
        relative_ci_low=rel_low,
        relative_ci_high=rel_high,
        alpha=alpha,
        method="welch",
    )


def pooled_z(control_successes: int, control_n: int, treatment_successes: int, treatment_n: int) -> tuple[float, float]:
    """The two-proportion z-test with the pooled rate: (z, two-sided p)."""
    if control_n < 1 or treatment_n < 1:
        raise NotEnoughData("Each variant needs at least one observation.")
    pooled = (control_successes + treatment_successes) / (control_n + treatment_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / control_n + 1 / treatment_n))
    if se == 0:
        raise NotEnoughData("No variance: every observation converted, or none did.")
    z = (treatment_successes / treatment_n - control_successes / control_n) / se
    return z, float(2 * sps.norm.sf(abs(z)))


def sequential_half_width(
    standard_error: float, total_n: int, *, alpha: float, tuning: int = SEQUENTIAL_TUNING
) -> float:
    """Half-width of the normal-mixture confidence sequence (the module's docstring has the formula and sources)."""
    log_alpha = math.log(alpha)
    rho_squared = (-2 * log_alpha + math.log(-2 * log_alpha + 1)) / tuning
    n_rho = total_n * rho_squared
    scaled_variance = total_n * standard_error**2
    return math.sqrt(scaled_variance) * math.sqrt(
        2 * (n_rho + 1) / (total_n * total_n * rho_squared) * math.log(math.sqrt(n_rho + 1) / alpha)
    )


def confidence_sequence(
    control: Sample, treatment: Sample, *, alpha: float = DEFAULT_ALPHA, tuning: int = SEQUENTIAL_TUNING
) -> Comparison:
    """Always-valid interval on treatment − control (and the relative difference): valid at every look."""
    _check_alpha(alpha)
    if tuning < 1:
        raise ValueError("The tuning parameter N* must be a positive sample size.")
    se, _df = _spread(control, treatment)
    total = control.n + treatment.n
    difference = treatment.mean - control.mean
    half = sequential_half_width(se, total, alpha=alpha, tuning=tuning)
    relative, rel_low, rel_high = None, None, None
    rel_se = _relative_se(control, treatment)
    if rel_se is not None:
        relative = treatment.mean / control.mean - 1
        rel_half = sequential_half_width(rel_se, total, alpha=alpha, tuning=tuning)
        rel_low, rel_high = relative - rel_half, relative + rel_half
    return Comparison(
        control_mean=control.mean,
        treatment_mean=treatment.mean,
        difference=difference,
        ci_low=difference - half,
        ci_high=difference + half,
        p_value=_sequential_p_value(abs(difference), se, total, tuning),
        statistic=difference / se,
        standard_error=se,
        degrees_of_freedom=None,
        relative_difference=relative,
        relative_ci_low=rel_low,
        relative_ci_high=rel_high,
        alpha=alpha,
        method="sequential",
    )


def _sequential_p_value(distance: float, se: float, total_n: int, tuning: int) -> float:
    """The smallest α whose confidence sequence leaves out 0 (the half-width shrinks as α grows)."""

    def gap(log_alpha: float) -> float:
        return sequential_half_width(se, total_n, alpha=math.exp(log_alpha), tuning=tuning) - distance

    high = math.log1p(-1e-12)
    if gap(high) >= 0:
        return 1.0
    low = math.log(1e-300)
    if gap(low) < 0:
        return 0.0
    return math.exp(optimize.brentq(gap, low, high, xtol=1e-12, maxiter=500))  # in log α: p spans 300 decades


def srm(counts: Sequence[int], shares: Sequence[float] | None = None, *, threshold: float = SRM_ALPHA) -> SrmResult:
    """Pearson's χ² of the assignment counts against the planned shares (equal when not given)."""
    if len(counts) < 2:
        raise NotEnoughData("The SRM check needs at least two variants.")
    if any(count < 0 for count in counts):
        raise NotEnoughData("Assignment counts cannot be negative.")
    shares = list(shares) if shares is not None else [1.0] * len(counts)
    if len(shares) != len(counts):
        raise NotEnoughData(f"{len(counts)} counts but {len(shares)} shares.")
    if any(share <= 0 for share in shares):
        raise NotEnoughData("Every share must be positive.")
    total = sum(counts)
    if total == 0:
        raise NotEnoughData("No subject was assigned yet.")
    whole = sum(shares)
    expected = [total * share / whole for share in shares]
    statistic, p_value = sps.chisquare(list(counts), expected)
    p_value = float(p_value)
    return SrmResult(
        counts=tuple(int(c) for c in counts),
        expected=tuple(expected),
        statistic=float(statistic),
        p_value=p_value,
        flagged=p_value < threshold,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (family-wise error), in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for position, index in enumerate(order):
        rank = m - position
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha}.")
