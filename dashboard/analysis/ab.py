"""A/B test statistics for comparing a control model with a treatment model.

Pure functions on counts and samples: no Dash, no I/O, usable from a notebook. Every result is a
plain ``dict`` (typed with ``TypedDict``) holding Python scalars, so it can go straight into a
``dcc.Store``. Differences and lifts are always treatment minus control.
"""

import math
import numbers
import warnings
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

P_VALUE_METHODS = ("holm", "fdr_bh")
NON_INFERIOR, INCONCLUSIVE, INFERIOR = "non_inferior", "inconclusive", "inferior"
SHARE_TOLERANCE = 1e-6
MIN_SAMPLE_PER_ARM = 2


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


class AdditionalSample(TypedDict):
    required_per_arm: int | None
    additional_control: int | None
    additional_treatment: int | None


def compare_proportions(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    alpha: float = 0.05,
) -> ProportionComparison:
    """Compare two success rates (e.g. automation rate) of independent arms.

    - ``z`` and ``p_value``: pooled two-sided two-proportion z-test
      (``statsmodels.stats.proportion.proportions_ztest``).
    - ``ci_low``/``ci_high``: Newcombe hybrid-score interval for treatment rate - control rate
      (``confint_proportions_2indep(compare="diff", method="newcomb")``).
    - ``relative_ci_low``/``relative_ci_high``: the log-adjusted interval for the rate ratio
      (``confint_proportions_2indep(compare="ratio", method="log-adjusted")``) minus 1. That
      method adds 0.5 to every count, so with zero successes in the treatment arm the point
      estimate of -1 lies just below the interval.

    Edge cases: when both arms are all failures or all successes the pooled variance and the
    difference are both zero, so ``z`` is NaN and ``p_value`` is 1.0 (no evidence of a
    difference). When the control rate is 0 the relative lift and its interval are NaN.
    ``significant`` is ``p_value < alpha``; near the boundary the Newcombe interval may
    disagree with the z-test because they are different methods.
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

    ci_low, ci_high = confint_proportions_2indep(
        x_treatment,
        n_treatment,
        x_control,
        n_control,
        compare="diff",
        method="newcomb",
        alpha=alpha,
    )
    if x_control == 0:
        relative_lift = relative_ci_low = relative_ci_high = math.nan
    else:
        relative_lift = treatment_rate / control_rate - 1
        ratio_low, ratio_high = confint_proportions_2indep(
            x_treatment,
            n_treatment,
            x_control,
            n_control,
            compare="ratio",
            method="log-adjusted",
            alpha=alpha,
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


def compare_means(control: ArrayLike, treatment: ArrayLike, alpha: float = 0.05) -> MeanComparison:
    """Compare the means of two independent samples (e.g. triage minutes per alert).

    NaN values are dropped; each arm needs at least two remaining values.

    - ``t``, ``df``, ``p_value``: Welch's two-sided t-test
      (``scipy.stats.ttest_ind(treatment, control, equal_var=False)``).
    - ``ci_low``/``ci_high``: the matching Welch interval for treatment mean - control mean
      (the test result's ``confidence_interval``).
    - ``relative_ci_low``/``relative_ci_high``: delta-method normal interval for
      treatment mean / control mean - 1, with standard error
      ``sqrt(var_t / (n_t * m_c**2) + m_t**2 * var_c / (n_c * m_c**4))``.

    Edge cases: when the control mean is 0 the relative lift and its interval are NaN. When both
    samples are constant the standard error is zero: ``t`` and ``df`` are NaN, the interval
    collapses to the difference, and ``p_value`` is 1.0 if the means are equal and 0.0 if not.
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
    else:
        with warnings.catch_warnings():
            # A constant arm has exactly zero variance, so scipy's precision-loss alarm is moot.
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            result = stats.ttest_ind(treatment_values, control_values, equal_var=False)
        t, df, p_value = float(result.statistic), float(result.df), float(result.pvalue)
        interval = result.confidence_interval(confidence_level=1 - alpha)
        ci_low, ci_high = float(interval.low), float(interval.high)

    if control_mean == 0:
        relative_lift = relative_ci_low = relative_ci_high = math.nan
    else:
        relative_lift = treatment_mean / control_mean - 1
        ratio_se = math.sqrt(
            treatment_var / (n_treatment * control_mean**2)
            + treatment_mean**2 * control_var / (n_control * control_mean**4)
        )
        margin = float(stats.norm.ppf(1 - alpha / 2)) * ratio_se
        relative_ci_low, relative_ci_high = relative_lift - margin, relative_lift + margin

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
        adjusted[present] = multipletests(values[present], method=method)[1]
    return adjusted


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


def additional_sample_needed(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    alpha: float = 0.05,
    power: float = 0.8,
) -> AdditionalSample:
    """How many more alerts each arm needs to detect the observed rates with ``power``.

    The observed rates are taken as the true ones and sized with ``sample_size_per_arm``;
    ``additional_control`` and ``additional_treatment`` are the required size minus each arm's
    current size, never below 0. When the observed rates are equal there is no effect to
    detect and all three values are ``None``.
    """
    x_control = _check_count(x_control, "x_control")
    n_control = _check_trials(n_control, "n_control", x_control, "x_control")
    x_treatment = _check_count(x_treatment, "x_treatment")
    n_treatment = _check_trials(n_treatment, "n_treatment", x_treatment, "x_treatment")

    control_rate = x_control / n_control
    treatment_rate = x_treatment / n_treatment
    if control_rate == treatment_rate:
        return AdditionalSample(
            required_per_arm=None, additional_control=None, additional_treatment=None
        )
    required = sample_size_per_arm(control_rate, treatment_rate, alpha=alpha, power=power)
    return AdditionalSample(
        required_per_arm=required,
        additional_control=max(0, required - n_control),
        additional_treatment=max(0, required - n_treatment),
    )


def rate_interval(
    successes: ArrayLike, trials: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of each rate ``successes / trials`` (arrays or scalars).

    The same score interval the Newcombe difference interval is built from, so a rate's interval
    and a difference's interval agree. Rows with no trials give NaN.
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


def additional_sample_needed_for_means(
    control: ArrayLike, treatment: ArrayLike, alpha: float = 0.05, power: float = 0.8
) -> AdditionalSample:
    """How many more values each arm needs to detect the observed difference of means.

    The observed difference and the two arms' SDs are taken as the true ones: Cohen's d over the
    root mean square of the SDs, sized for two equal arms with ``NormalIndPower``. All three
    values are ``None`` when the means are equal; a difference between two constant arms needs
    only the minimum sample.
    """
    control_values = _check_sample(control, "control")
    treatment_values = _check_sample(treatment, "treatment")
    alpha = _check_open_unit(alpha, "alpha")
    power = _check_open_unit(power, "power")

    difference = abs(float(np.mean(treatment_values) - np.mean(control_values)))
    if difference == 0:
        return AdditionalSample(
            required_per_arm=None, additional_control=None, additional_treatment=None
        )
    spread = math.sqrt((np.var(control_values, ddof=1) + np.var(treatment_values, ddof=1)) / 2)
    required = (
        MIN_SAMPLE_PER_ARM
        if spread == 0
        else _solve_sample(difference / spread, alpha, power, "the means are too close to size")
    )
    return AdditionalSample(
        required_per_arm=required,
        additional_control=max(0, required - control_values.size),
        additional_treatment=max(0, required - treatment_values.size),
    )


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
