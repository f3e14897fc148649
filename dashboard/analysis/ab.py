"""A/B test statistics for comparing a control model with a treatment model.

Pure functions on counts and samples: no Dash, no I/O, usable from a notebook. Every result is a
plain ``dict`` (typed with ``TypedDict``) holding Python scalars, so it can go straight into a
``dcc.Store``. Differences and lifts are always treatment minus control.

Two kinds of analysis:

- *Fixed horizon* (``compare_proportions``, ``compare_means``): one look at data that no longer
  change, e.g. a completed experiment. Each interval inverts its test, so an interval excludes
  0 exactly when ``p_value < alpha``.
- *Always valid* (``sequential_proportions``, ``sequential_means``): for data that keep arriving
  and are looked at again and again (a running experiment re-tested on every refresh). The
  intervals are asymptotic confidence sequences (Waudby-Smith, Arnold, Wu, Howard and Ramdas,
  "Time-uniform central limit theory and asymptotic confidence sequences", Annals of Statistics
  2024): with probability about ``1 - alpha`` they cover the true difference at every look at
  once, so stopping at the first look that excludes 0 keeps the false-positive rate at
  ``alpha``. Their ``p_value`` is the matching always-valid p-value.

``holm_levels`` gives, for a family of p-values, the level at which each interval must be
computed so that it agrees with Holm's adjusted significance.
"""

import math
import numbers
import warnings
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

P_VALUE_METHODS = ("holm", "fdr_bh")
NON_INFERIOR, INCONCLUSIVE, INFERIOR = "non_inferior", "inconclusive", "inferior"
SHARE_TOLERANCE = 1e-6
MIN_SAMPLE_PER_ARM = 2
# The total size a confidence sequence is tuned for when the caller names none.
DEFAULT_PLANNED_TOTAL = 10_000
# Score-interval bounds are found to this precision (far below what the page shows).
ROOT_TOLERANCE = 1e-10
# Rate ratios are searched within this range; a bound beyond it is 0 or infinite.
RATIO_RANGE = (1e-12, 1e12)


class ProportionComparison(TypedDict):
    x_control: int
    n_control: int
    x_treatment: int
    n_treatment: int
    control_rate: float
    treatment_rate: float
    difference: float
    ci_low: float
    ci_high: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    z: float
    p_value: float
    alpha: float
    significant: bool


class MeanComparison(TypedDict):
    n_control: int
    n_treatment: int
    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    t: float
    df: float
    p_value: float
    alpha: float
    significant: bool


class SrmResult(TypedDict):
    chi2: float
    df: int
    p_value: float
    threshold: float
    mismatch: bool
    expected: list[float]


class NonInferiority(TypedDict):
    margin: float
    worst_case: float
    status: str  # NON_INFERIOR, INCONCLUSIVE or INFERIOR


class SequentialComparison(TypedDict):
    """An always-valid comparison; rates or means, treatment minus control."""

    n_control: int
    n_treatment: int
    control_value: float  # rate or mean
    treatment_value: float
    difference: float
    ci_low: float
    ci_high: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    z: float
    p_value: float  # always-valid
    alpha: float
    significant: bool
    rho: float  # the mixture's tuning parameter


def compare_proportions(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    alpha: float = 0.05,
) -> ProportionComparison:
    """Compare two success rates (e.g. automation rate) of independent arms, fixed horizon.

    All three figures come from one statistic, the score statistic for the difference, so they
    agree at every level: the interval excludes 0, and the relative interval excludes 0,
    exactly when ``p_value < alpha``.

    - ``z`` and ``p_value``: pooled two-sided two-proportion z-test
      (``statsmodels.stats.proportion.proportions_ztest``), which is the score test of a zero
      difference.
    - ``ci_low``/``ci_high``: the score interval for treatment rate - control rate that inverts
      that test (Mee 1984; Miettinen and Nurminen's 1985 interval without their N/(N-1)
      variance factor): every difference whose score test is not rejected at ``alpha``.
    - ``relative_ci_low``/``relative_ci_high``: Koopman's (1984) score interval for the rate
      ratio, minus 1 (``score_interval_ratio``), which inverts the same statistic at a ratio
      of 1.

    Edge cases: when both arms are all failures or all successes the pooled variance and the
    difference are both zero, so ``z`` is NaN and ``p_value`` is 1.0 (no evidence of a
    difference). When the control rate is 0 the relative lift and its interval are NaN; with
    no treatment success the relative interval's lower bound is -1.
    """
    x_control = _check_count(x_control, "x_control")
    n_control = _check_trials(n_control, "n_control", x_control, "x_control")
    x_treatment = _check_count(x_treatment, "x_treatment")
    n_treatment = _check_trials(n_treatment, "n_treatment", x_treatment, "x_treatment")
    alpha = _check_open_unit(alpha, "alpha")

    control_rate = x_control / n_control
    treatment_rate = x_treatment / n_treatment
    successes = x_control + x_treatment
    if successes in (0, n_control + n_treatment):
        z, p_value = math.nan, 1.0
    else:
        z, p_value = proportions_ztest([x_treatment, x_control], [n_treatment, n_control])

    ci_low, ci_high = score_interval_difference(
        x_control, n_control, x_treatment, n_treatment, alpha=alpha
    )
    if x_control == 0:
        relative_lift = relative_ci_low = relative_ci_high = math.nan
    elif successes == n_control + n_treatment:
        # Both arms always succeed: the ratio is 1 and the score statistic is 0/0 everywhere.
        relative_lift, relative_ci_low, relative_ci_high = 0.0, ci_low, ci_high
    else:
        relative_lift = treatment_rate / control_rate - 1
        ratio_low, ratio_high = score_interval_ratio(
            x_control, n_control, x_treatment, n_treatment, alpha=alpha
        )
        relative_ci_low, relative_ci_high = ratio_low - 1, ratio_high - 1

    return ProportionComparison(
        x_control=x_control,
        n_control=n_control,
        x_treatment=x_treatment,
        n_treatment=n_treatment,
        control_rate=control_rate,
        treatment_rate=treatment_rate,
        difference=treatment_rate - control_rate,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        relative_lift=float(relative_lift),
        relative_ci_low=float(relative_ci_low),
        relative_ci_high=float(relative_ci_high),
        z=float(z),
        p_value=float(p_value),
        alpha=alpha,
        significant=bool(p_value < alpha),
    )


def score_interval_difference(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    alpha: float = 0.05,
    correction: bool = False,
) -> tuple[float, float]:
    """The score interval for treatment rate - control rate.

    Every difference d whose score statistic ``(observed - d) / sqrt(var under d)`` lies within
    the normal ``1 - alpha/2`` quantile, the variance taken at the rates that maximise the
    likelihood under that difference (``restricted_rates``): Mee's (1984) interval, or with
    ``correction`` Miettinen and Nurminen's (1985), whose variance is larger by N/(N - 1).
    Bounds are found by root-finding on the statistic, which falls monotonically in d; they
    stay inside [-1, 1]. (statsmodels 0.15's score interval for a difference is not used: its
    restricted rates are not the likelihood maximum, and its root bracket fails near 0.)
    """
    x_control = _check_count(x_control, "x_control")
    n_control = _check_trials(n_control, "n_control", x_control, "x_control")
    x_treatment = _check_count(x_treatment, "x_treatment")
    n_treatment = _check_trials(n_treatment, "n_treatment", x_treatment, "x_treatment")
    alpha = _check_open_unit(alpha, "alpha")
    quantile = float(stats.norm.ppf(1 - alpha / 2))
    if correction:
        total = n_control + n_treatment
        quantile *= math.sqrt(total / (total - 1))
    observed = x_treatment / n_treatment - x_control / n_control

    def statistic(delta: float) -> float:
        return _score_statistic(x_control, n_control, x_treatment, n_treatment, delta)

    edge = 1 - ROOT_TOLERANCE
    low = high = observed
    if observed > -edge:
        if statistic(-edge) <= quantile:
            low = -1.0
        else:
            low = optimize.brentq(
                lambda d: statistic(d) - quantile, -edge, observed, xtol=ROOT_TOLERANCE
            )
    if observed < edge:
        if statistic(edge) >= -quantile:
            high = 1.0
        else:
            high = optimize.brentq(
                lambda d: statistic(d) + quantile, observed, edge, xtol=ROOT_TOLERANCE
            )
    return float(low), float(high)


def restricted_rates(
    x_control: int, n_control: int, x_treatment: int, n_treatment: int, delta: float
) -> tuple[float, float]:
    """The (control, treatment) rates of highest likelihood whose difference is ``delta``.

    The closed form of Miettinen and Nurminen (1985), as written by Farrington and Manning
    (1990): the root of a cubic in the treatment rate.
    """
    control_rate, treatment_rate = x_control / n_control, x_treatment / n_treatment
    theta = n_control / n_treatment
    a = 1 + theta
    b = -(1 + theta + treatment_rate + theta * control_rate + delta * (theta + 2))
    c = delta**2 + delta * (2 * treatment_rate + theta + 1) + treatment_rate + theta * control_rate
    d = -treatment_rate * delta * (1 + delta)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u_squared = max(b**2 / (9 * a**2) - c / (3 * a), 0.0)
    u = math.copysign(math.sqrt(u_squared), v)
    if u == 0:
        treatment_restricted = -b / (3 * a)
    else:
        w = (math.pi + math.acos(min(1.0, max(-1.0, v / u**3)))) / 3
        treatment_restricted = 2 * u * math.cos(w) - b / (3 * a)
    treatment_restricted = min(1.0, max(0.0, treatment_restricted))
    control_restricted = min(1.0, max(0.0, treatment_restricted - delta))
    return control_restricted, treatment_restricted


def _score_statistic(
    x_control: int, n_control: int, x_treatment: int, n_treatment: int, delta: float
) -> float:
    observed = x_treatment / n_treatment - x_control / n_control
    control, treatment = restricted_rates(x_control, n_control, x_treatment, n_treatment, delta)
    variance = treatment * (1 - treatment) / n_treatment + control * (1 - control) / n_control
    gap = observed - delta
    if gap == 0:
        return 0.0
    if variance <= 0:
        return math.copysign(math.inf, gap)
    return gap / math.sqrt(variance)


def score_interval_ratio(
    x_control: int, n_control: int, x_treatment: int, n_treatment: int, alpha: float = 0.05
) -> tuple[float, float]:
    """Koopman's (1984) score interval for treatment rate / control rate.

    Every ratio r whose score statistic ``(p_t - r p_c) / sqrt(var under r)`` lies within the
    normal ``1 - alpha/2`` quantile, the variance taken at the rates of highest likelihood
    with that ratio (Miettinen and Nurminen 1985, a quadratic). At r = 1 this is the pooled
    z-test. The lower bound is 0 without treatment successes; NaN bounds without control
    successes, where no ratio is estimated.
    """
    x_control = _check_count(x_control, "x_control")
    n_control = _check_trials(n_control, "n_control", x_control, "x_control")
    x_treatment = _check_count(x_treatment, "x_treatment")
    n_treatment = _check_trials(n_treatment, "n_treatment", x_treatment, "x_treatment")
    alpha = _check_open_unit(alpha, "alpha")
    if x_control == 0:
        return math.nan, math.nan
    quantile = float(stats.norm.ppf(1 - alpha / 2))
    observed = (x_treatment / n_treatment) / (x_control / n_control)

    def statistic(log_ratio: float) -> float:
        return _ratio_statistic(x_control, n_control, x_treatment, n_treatment, math.exp(log_ratio))

    lowest, highest = math.log(RATIO_RANGE[0]), math.log(RATIO_RANGE[1])
    if observed == 0 or statistic(lowest) <= quantile:
        low = 0.0
    else:
        low = math.exp(
            optimize.brentq(
                lambda u: statistic(u) - quantile, lowest, math.log(observed), xtol=ROOT_TOLERANCE
            )
        )
    start = math.log(observed) if observed > 0 else lowest
    if statistic(highest) >= -quantile:
        high = math.inf
    else:
        high = math.exp(
            optimize.brentq(lambda u: statistic(u) + quantile, start, highest, xtol=ROOT_TOLERANCE)
        )
    return low, high


def _ratio_statistic(
    x_control: int, n_control: int, x_treatment: int, n_treatment: int, ratio: float
) -> float:
    total = n_control + n_treatment
    a = total * ratio
    b = -(n_treatment * ratio + x_treatment + n_control + x_control * ratio)
    c = x_control + x_treatment
    control = (-b - math.sqrt(max(b**2 - 4 * a * c, 0.0))) / (2 * a)
    control = min(1.0, max(0.0, control))
    treatment = min(1.0, ratio * control)
    variance = (
        treatment * (1 - treatment) / n_treatment + ratio**2 * control * (1 - control) / n_control
    )
    gap = x_treatment / n_treatment - ratio * x_control / n_control
    if gap == 0:
        return 0.0
    if variance <= 0:
        return math.copysign(math.inf, gap)
    return gap / math.sqrt(variance)


def compare_means(control: ArrayLike, treatment: ArrayLike, alpha: float = 0.05) -> MeanComparison:
    """Compare the means of two independent samples (e.g. triage minutes per alert).

    NaN values are dropped; each arm needs at least two remaining values.

    - ``t``, ``df``, ``p_value``: Welch's two-sided t-test
      (``scipy.stats.ttest_ind(treatment, control, equal_var=False)``).
    - ``ci_low``/``ci_high``: the matching Welch interval for treatment mean - control mean
      (the test result's ``confidence_interval``).
    - ``relative_ci_low``/``relative_ci_high``: Fieller's interval for treatment mean /
      control mean, minus 1: every ratio r with ``|m_t - r m_c| <= q sqrt(se_t² + r² se_c²)``,
      q the same Welch t quantile. At r = 1 that is the Welch test, so the relative interval
      excludes 0 exactly when the difference interval does.

    Edge cases: when the control mean is 0, or too uncertain for Fieller's set to be an
    interval, the relative interval is NaN (the lift too when the control mean is 0). When
    both samples are constant the standard error is zero: ``t`` and ``df`` are NaN, the
    intervals collapse to the estimates, and ``p_value`` is 1.0 if the means are equal and 0.0
    if not.
    """
    control_values = _check_sample(control, "control")
    treatment_values = _check_sample(treatment, "treatment")
    alpha = _check_open_unit(alpha, "alpha")

    n_control, n_treatment = control_values.size, treatment_values.size
    control_mean = float(np.mean(control_values))
    treatment_mean = float(np.mean(treatment_values))
    difference = treatment_mean - control_mean
    control_var = float(np.var(control_values, ddof=1))
    treatment_var = float(np.var(treatment_values, ddof=1))

    if control_var == 0 and treatment_var == 0:
        t = df = math.nan
        p_value = 1.0 if difference == 0 else 0.0
        ci_low = ci_high = difference
        quantile = 0.0
    else:
        with warnings.catch_warnings():
            # A constant arm has exactly zero variance, so scipy's precision-loss alarm is moot.
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            result = stats.ttest_ind(treatment_values, control_values, equal_var=False)
        t, df, p_value = float(result.statistic), float(result.df), float(result.pvalue)
        interval = result.confidence_interval(confidence_level=1 - alpha)
        ci_low, ci_high = float(interval.low), float(interval.high)
        quantile = float(stats.t.ppf(1 - alpha / 2, df))

    relative_lift, relative_ci_low, relative_ci_high = _relative(
        treatment_mean,
        math.sqrt(treatment_var / n_treatment),
        control_mean,
        math.sqrt(control_var / n_control),
        quantile,
    )
    return MeanComparison(
        n_control=n_control,
        n_treatment=n_treatment,
        control_mean=control_mean,
        treatment_mean=treatment_mean,
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        relative_lift=relative_lift,
        relative_ci_low=relative_ci_low,
        relative_ci_high=relative_ci_high,
        t=t,
        df=df,
        p_value=p_value,
        alpha=alpha,
        significant=bool(p_value < alpha),
    )


def fieller_interval(
    treatment: float, se_treatment: float, control: float, se_control: float, quantile: float
) -> tuple[float, float]:
    """Fieller's (1954) interval for the ratio treatment / control of two independent estimates.

    Every ratio r with ``(treatment - r control)² <= quantile² (se_treatment² + r² se_control²)``.
    That set is an interval only when the control estimate is clearly away from 0
    (``control² > quantile² se_control²``); otherwise both bounds are NaN.
    """
    a = control**2 - quantile**2 * se_control**2
    if not a > 0:
        return math.nan, math.nan
    b = treatment * control
    c = treatment**2 - quantile**2 * se_treatment**2
    half_width = math.sqrt(max(b**2 - a * c, 0.0))
    return (b - half_width) / a, (b + half_width) / a


def _relative(
    treatment: float, se_treatment: float, control: float, se_control: float, quantile: float
) -> tuple[float, float, float]:
    """Relative lift and its Fieller interval, as changes (ratio - 1); NaN without a control."""
    if control == 0:
        return math.nan, math.nan, math.nan
    low, high = fieller_interval(treatment, se_treatment, control, se_control, quantile)
    return treatment / control - 1, low - 1, high - 1


def mixture_rho(planned_total: float, alpha: float = 0.05) -> float:
    """The tuning parameter rho of the normal-mixture confidence sequence that is narrowest
    after ``planned_total`` observations (both arms together).

    ``rho² = (-2 log alpha + log(-2 log alpha + 1)) / planned_total`` (Howard, Ramdas,
    McAuliffe and Sekhon 2021; Waudby-Smith et al. 2024, section 2.4), the choice GrowthBook
    makes from an experiment's expected size. Any fixed rho gives a valid sequence; rho only
    moves where it is narrowest. It must be fixed before the data are seen, not taken from them.
    """
    if isinstance(planned_total, bool) or not isinstance(planned_total, numbers.Real):
        raise ValueError(f"planned_total must be a positive number, got {planned_total!r}")
    if not planned_total > 0 or not math.isfinite(planned_total):
        raise ValueError(f"planned_total must be a positive number, got {planned_total!r}")
    alpha = _check_open_unit(alpha, "alpha")
    log_term = -2 * math.log(alpha)
    return math.sqrt((log_term + math.log(log_term + 1)) / planned_total)


def sequence_radius_factor(total: ArrayLike, alpha: float, rho: float) -> float | np.ndarray:
    """How many standard errors the confidence sequence reaches either side of the estimate
    after ``total`` observations (t, a number or an array):
    ``sqrt((t rho² + 1) / (t rho²) · (log(t rho² + 1) + 2 log(1/alpha)))``.

    This is Waudby-Smith et al.'s two-sided boundary
    ``sigma sqrt(2(t rho² + 1) / (t² rho²) · log(sqrt(t rho² + 1) / alpha))`` divided by the
    standard error ``sigma / sqrt(t)``. It exceeds the fixed-horizon normal quantile at every
    t: the price of being valid at every look.
    """
    mixed = np.asarray(total, dtype=float) * rho**2
    factor = np.sqrt((mixed + 1) / mixed * (np.log1p(mixed) + 2 * math.log(1 / alpha)))
    return float(factor) if factor.ndim == 0 else factor


def always_valid_p_value(z: ArrayLike, total: ArrayLike, rho: float) -> float | np.ndarray:
    """The always-valid p-value of a z statistic after ``total`` observations (t; numbers or
    arrays): the smallest alpha whose confidence sequence excludes 0,
    ``min(1, sqrt(t rho² + 1) exp(-z² t rho² / (2(t rho² + 1))))``; 1 for a NaN z.

    It is the reciprocal of the normal-mixture likelihood ratio of mSPRT (Johari, Koomen,
    Pekelis and Walsh 2017), so ``p < alpha`` exactly when the sequence at level alpha
    excludes 0.
    """
    z = np.asarray(z, dtype=float)
    mixed = np.asarray(total, dtype=float) * rho**2
    with np.errstate(over="ignore", invalid="ignore"):
        p_value = np.sqrt(mixed + 1) * np.exp(-(z**2) * mixed / (2 * (mixed + 1)))
    p_value = np.where(np.isnan(z), 1.0, np.minimum(1.0, p_value))
    return float(p_value) if p_value.ndim == 0 else p_value


def sequential_proportions(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    alpha: float = 0.05,
    planned_total: float = DEFAULT_PLANNED_TOTAL,
    rho: float | None = None,
) -> SequentialComparison:
    """Always-valid comparison of two success rates (same arguments as ``compare_proportions``).

    ``ci_low``/``ci_high``: the asymptotic confidence sequence for treatment rate - control rate
    (Waudby-Smith et al. 2024, Theorem 2.2, normal mixture), ``difference ± se ·
    sequence_radius_factor(n_control + n_treatment, alpha, rho)`` with the unpooled standard
    error ``sqrt(p_t(1 - p_t)/n_t + p_c(1 - p_c)/n_c)``. With probability about ``1 - alpha``
    (asymptotically) it holds the true difference at every look of the experiment at once, so
    it may be looked at after every alert. ``p_value`` is the matching always-valid p-value and
    ``significant`` is ``p_value < alpha``, which is the sequence excluding 0. The relative
    interval is Fieller's with the same radius factor, so it agrees with the difference.

    ``rho`` defaults to ``mixture_rho(planned_total, alpha)``; pass one ``rho`` to compare
    levels of one sequence. When both arms are all failures or all successes the standard
    error is 0: the interval collapses to 0 and ``p_value`` is 1.0.
    """
    x_control = _check_count(x_control, "x_control")
    n_control = _check_trials(n_control, "n_control", x_control, "x_control")
    x_treatment = _check_count(x_treatment, "x_treatment")
    n_treatment = _check_trials(n_treatment, "n_treatment", x_treatment, "x_treatment")
    control_rate, treatment_rate = x_control / n_control, x_treatment / n_treatment
    return _sequential(
        control_rate,
        control_rate * (1 - control_rate),
        n_control,
        treatment_rate,
        treatment_rate * (1 - treatment_rate),
        n_treatment,
        alpha,
        planned_total,
        rho,
    )


def sequential_means(
    control: ArrayLike,
    treatment: ArrayLike,
    alpha: float = 0.05,
    planned_total: float = DEFAULT_PLANNED_TOTAL,
    rho: float | None = None,
) -> SequentialComparison:
    """Always-valid comparison of two means (same arguments as ``compare_means``).

    As ``sequential_proportions``, with the standard error ``sqrt(s_t²/n_t + s_c²/n_c)`` from
    the sample variances. NaN values are dropped; each arm needs at least two values. Two
    constant samples give an interval collapsed to the difference, and ``p_value`` 1.0 if the
    means are equal and 0.0 if not.
    """
    control_values = _check_sample(control, "control")
    treatment_values = _check_sample(treatment, "treatment")
    return _sequential(
        float(np.mean(control_values)),
        float(np.var(control_values, ddof=1)),
        control_values.size,
        float(np.mean(treatment_values)),
        float(np.var(treatment_values, ddof=1)),
        treatment_values.size,
        alpha,
        planned_total,
        rho,
    )


def _sequential(
    control: float,
    control_var: float,
    n_control: int,
    treatment: float,
    treatment_var: float,
    n_treatment: int,
    alpha: float,
    planned_total: float,
    rho: float | None,
) -> SequentialComparison:
    alpha = _check_open_unit(alpha, "alpha")
    if rho is None:
        rho = mixture_rho(planned_total, alpha)
    elif isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0 < rho < math.inf:
        raise ValueError(f"rho must be a positive number, got {rho!r}")
    total = n_control + n_treatment
    difference = treatment - control
    se_control = math.sqrt(control_var / n_control)
    se_treatment = math.sqrt(treatment_var / n_treatment)
    se = math.hypot(se_control, se_treatment)
    factor = float(sequence_radius_factor(total, alpha, rho))
    if se == 0:
        z = math.nan if difference == 0 else math.copysign(math.inf, difference)
        p_value = 1.0 if difference == 0 else 0.0
    else:
        z = difference / se
        p_value = float(always_valid_p_value(z, total, rho))
    relative_lift, relative_low, relative_high = _relative(
        treatment, se_treatment, control, se_control, factor
    )
    return SequentialComparison(
        n_control=int(n_control),
        n_treatment=int(n_treatment),
        control_value=float(control),
        treatment_value=float(treatment),
        difference=float(difference),
        ci_low=float(difference - factor * se),
        ci_high=float(difference + factor * se),
        relative_lift=float(relative_lift),
        relative_ci_low=float(relative_low),
        relative_ci_high=float(relative_high),
        z=float(z),
        p_value=float(p_value),
        alpha=alpha,
        significant=bool(p_value < alpha),
        rho=float(rho),
    )


def adjust_pvalues(p_values: ArrayLike, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple comparisons.

    ``method`` is ``"holm"`` (Holm-Bonferroni, controls the family-wise error rate) or
    ``"fdr_bh"`` (Benjamini-Hochberg, controls the false discovery rate), computed by
    ``statsmodels.stats.multitest.multipletests``. NaN p-values stay NaN in the output and are
    left out of the family, so they do not inflate the adjustment of the others.
    """
    if method not in P_VALUE_METHODS:
        raise ValueError(f"method must be one of {P_VALUE_METHODS}, got {method!r}")
    values = _as_float_array(p_values, "p_values")
    present = ~np.isnan(values)
    if np.any((values[present] < 0) | (values[present] > 1)):
        raise ValueError("p_values must lie in [0, 1] (NaN allowed)")

    adjusted = np.full(values.shape, np.nan)
    if present.any():
        family = values[present]
        adjusted[present] = (
            _holm_adjusted(family) if method == "holm" else multipletests(family, method=method)[1]
        )
    return adjusted


def _holm_adjusted(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values: the k-th smallest of m times (m - k + 1), made monotone, at
    most 1; what ``multipletests(..., method="holm")`` gives (a test checks it). Computed
    here because statsmodels' Holm ends in a full ``gc.collect()``, which took 0.12 s of each
    A/B comparison in a server process."""
    order = np.argsort(p_values, kind="stable")
    scaled = p_values[order] * np.arange(p_values.size, 0, -1)
    adjusted = np.empty_like(p_values)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def holm_levels(p_values: ArrayLike, alpha: float = 0.05) -> np.ndarray:
    """The level at which to compute each interval so that it agrees with Holm's verdicts.

    Holm's step-down procedure tests the k-th smallest of m p-values at ``alpha / (m - k + 1)``
    and stops at the first it does not reject. A rejected hypothesis gets the level it was
    tested at; every other one the level of the first not rejected, ``alpha / |not
    rejected|``, the Bonferroni level over the hypotheses left (for these, the compatible
    interval of Strassburger and Bretz 2008; for the rejected ones theirs only says "beyond
    0", and the level Holm used is shown instead). An interval that inverts its test at that
    level then excludes 0 exactly when the Holm-adjusted p-value is below ``alpha``. NaN
    p-values are left out of the family and get NaN.
    """
    values = _as_float_array(p_values, "p_values")
    alpha = _check_open_unit(alpha, "alpha")
    levels = np.full(values.shape, np.nan)
    present = np.flatnonzero(~np.isnan(values))
    order = present[np.argsort(values[present], kind="stable")]
    family = order.size
    for step, index in enumerate(order):
        level = alpha / (family - step)
        if values[index] >= level:
            levels[order[step:]] = level
            break
        levels[index] = level
    return levels


def minimum_detectable_effect(
    sd: float,
    n_control: int,
    n_treatment: int,
    alpha: float = 0.05,
    power: float = 0.8,
    rho: float | None = None,
) -> float:
    """The smallest true difference a two-sided test finds with probability ``power``.

    ``sd`` is one alert's standard deviation (both arms), in the metric's units; the result is
    in the same units. Fixed horizon (``rho`` None): the effect size that
    ``statsmodels.stats.power.NormalIndPower().solve_power`` finds for ``n_treatment`` and
    ``n_control`` alerts at level ``alpha``, times ``sd``. Always valid (``rho`` given): ``(c +
    z_power) · sd · sqrt(1/n_c + 1/n_t)``, c the confidence sequence's radius factor at
    ``n_c + n_t``; it counts only a detection at that size, not at the looks before it, so it
    errs on the large side. NaN when an arm has fewer than two alerts or ``sd`` is not a
    positive number.
    """
    alpha = _check_open_unit(alpha, "alpha")
    power = _check_open_unit(power, "power")
    if min(n_control, n_treatment) < MIN_SAMPLE_PER_ARM or not sd > 0 or not math.isfinite(sd):
        return math.nan
    scale = sd * math.sqrt(1 / n_control + 1 / n_treatment)
    if rho is not None:
        factor = float(sequence_radius_factor(n_control + n_treatment, alpha, rho))
        return float((factor + stats.norm.ppf(power)) * scale)
    effect_size = NormalIndPower().solve_power(
        effect_size=None,
        nobs1=n_treatment,
        alpha=alpha,
        power=power,
        ratio=n_control / n_treatment,
        alternative="two-sided",
    )
    return float(effect_size) * sd


def srm_check(counts: ArrayLike, expected_shares: ArrayLike, threshold: float = 0.001) -> SrmResult:
    """Test for sample ratio mismatch: are the arm sizes consistent with the planned split?

    Chi-square goodness of fit (``scipy.stats.chisquare``) of the observed arm counts against
    ``expected_shares`` times the total; ``mismatch`` is ``p_value < threshold``. The strict
    default threshold is the usual one for SRM alarms, which are checked on every experiment.
    ``expected`` holds the expected count per arm.
    """
    observed = _as_float_array(counts, "counts")
    if observed.size < 2:
        raise ValueError("counts must hold at least two arms")
    if np.any(~np.isfinite(observed) | (observed < 0) | (observed != np.round(observed))):
        raise ValueError("counts must be non-negative integers")
    if observed.sum() == 0:
        raise ValueError("counts must not all be zero")
    shares = _as_float_array(expected_shares, "expected_shares")
    if shares.size != observed.size:
        raise ValueError(
            f"expected_shares has {shares.size} entries but counts has {observed.size}"
        )
    if np.any(~np.isfinite(shares) | (shares <= 0)):
        raise ValueError("expected_shares must be positive")
    if abs(shares.sum() - 1) > SHARE_TOLERANCE:
        raise ValueError(f"expected_shares must sum to 1, got {shares.sum():.8g}")
    threshold = _check_open_unit(threshold, "threshold")

    # Renormalised so scipy's equal-totals check passes for shares off by up to the tolerance.
    expected = shares / shares.sum() * observed.sum()
    result = stats.chisquare(observed, f_exp=expected)
    p_value = float(result.pvalue)
    return SrmResult(
        chi2=float(result.statistic),
        df=observed.size - 1,
        p_value=p_value,
        threshold=threshold,
        mismatch=p_value < threshold,
        expected=[float(value) for value in expected],
    )


def sample_size_per_arm(
    p_control: float, p_treatment: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Alerts needed in each of two equal arms to detect ``p_control`` vs ``p_treatment``.

    Two-sided test on Cohen's effect size h (``proportion_effectsize``), solved with
    ``statsmodels.stats.power.NormalIndPower().solve_power`` and rounded up. Effects so large
    that fewer than two alerts per arm would do return 2, the solver's lower bound.
    """
    p_control = _check_closed_unit(p_control, "p_control")
    p_treatment = _check_closed_unit(p_treatment, "p_treatment")
    if p_treatment == p_control:
        raise ValueError("p_treatment must differ from p_control: a zero effect is undetectable")
    alpha = _check_open_unit(alpha, "alpha")
    power = _check_open_unit(power, "power")

    effect_size = abs(float(proportion_effectsize(p_treatment, p_control)))
    return _solve_sample(
        effect_size, alpha, power, "p_treatment is too close to p_control to size the test"
    )


def rate_interval(
    successes: ArrayLike, trials: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each rate ``successes / trials`` (arrays or scalars).

    A score interval, as the difference interval of ``compare_proportions`` is. Rows with no
    trials give NaN.
    """
    alpha = _check_open_unit(alpha, "alpha")
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = proportion_confint(x, np.where(n > 0, n, np.nan), alpha=alpha, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def mean_interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Student t interval of each mean from its sample SD and size; NaN below two values."""
    alpha = _check_open_unit(alpha, "alpha")
    mean, sd, n = (np.asarray(values, dtype=float) for values in (mean, sd, n))
    df = np.where(n >= MIN_SAMPLE_PER_ARM, n - 1, np.nan)
    margin = stats.t.ppf(1 - alpha / 2, df) * sd / np.sqrt(n)
    return mean - margin, mean + margin


def non_inferiority(
    ci_low: float, ci_high: float, margin: float, lower_is_better: bool = True
) -> NonInferiority:
    """Non-inferiority of a treatment from the interval of treatment - control.

    ``worst_case`` is the interval's bound on the worse side, as a worsening (positive = worse).
    ``status`` is NON_INFERIOR when even that worst case is within ``margin``, INFERIOR when the
    whole interval is worse than ``margin``, and INCONCLUSIVE otherwise. With a two-sided 95%
    interval this is the usual one-sided test at the 2.5% level.
    """
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not margin >= 0:
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    worse_low, worse_high = (ci_low, ci_high) if lower_is_better else (-ci_high, -ci_low)
    if worse_high < margin:
        status = NON_INFERIOR
    elif worse_low > margin:
        status = INFERIOR
    else:
        status = INCONCLUSIVE
    return NonInferiority(margin=float(margin), worst_case=float(worse_high), status=status)


def _solve_sample(effect_size: float, alpha: float, power: float, too_small: str) -> int:
    """Per-arm size of two equal arms for Cohen's ``effect_size``, at least the minimum."""
    analysis = NormalIndPower()
    if analysis.power(effect_size, nobs1=MIN_SAMPLE_PER_ARM, alpha=alpha, ratio=1.0) >= power:
        return MIN_SAMPLE_PER_ARM
    n = float(
        analysis.solve_power(
            effect_size=effect_size, alpha=alpha, power=power, ratio=1.0, alternative="two-sided"
        )
    )
    if not math.isfinite(n):
        raise ValueError(too_small)
    # Root-finder noise in the last digits must not add a whole alert.
    return math.ceil(round(n, 6))


def _check_count(value: object, name: str) -> int:
    message = f"{name} must be a non-negative integer, got {value!r}"
    # bool is an int subclass but a True "count" is always a caller mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    is_whole = isinstance(value, numbers.Integral) or (
        math.isfinite(value) and float(value).is_integer()
    )
    if not is_whole or value < 0:
        raise ValueError(message)
    return int(value)


def _check_trials(value: object, name: str, successes: int, successes_name: str) -> int:
    trials = _check_count(value, name)
    if trials == 0:
        raise ValueError(f"{name} must be positive, got 0")
    if successes > trials:
        raise ValueError(f"{successes_name} ({successes}) must not exceed {name} ({trials})")
    return trials


def _check_open_unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return float(value)


def _check_closed_unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


def _as_float_array(values: ArrayLike, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got {array.ndim} dimensions")
    return array


def _check_sample(values: ArrayLike, name: str) -> np.ndarray:
    array = _as_float_array(values, name)
    array = array[~np.isnan(array)]
    if array.size < MIN_SAMPLE_PER_ARM:
        raise ValueError(
            f"{name} needs at least {MIN_SAMPLE_PER_ARM} non-NaN values, got {array.size}"
        )
    if np.any(np.isinf(array)):
        raise ValueError(f"{name} must not contain infinite values")
    return array
