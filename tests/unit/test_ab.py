import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportions_ztest

from dashboard.analysis.ab import (
    adjust_pvalues,
    always_valid_p_value,
    compare_means,
    compare_proportions,
    fieller_interval,
    holm_levels,
    minimum_detectable_effect,
    mixture_rho,
    restricted_rates,
    sample_size_per_arm,
    score_interval_difference,
    score_interval_ratio,
    sequence_radius_factor,
    sequential_means,
    sequential_proportions,
    srm_check,
)

# R's `sleep` data set: extra hours of sleep under two drugs.
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_proportions_ztest_matches_statsmodels_docs_example():
    result = compare_proportions(5, 83, 12, 99)
    assert abs(result["z"]) == pytest.approx(1.4078, abs=5e-5)
    assert result["p_value"] == pytest.approx(0.1592, abs=5e-5)


def test_proportions_z_sign_follows_treatment_minus_control():
    assert compare_proportions(5, 83, 12, 99)["z"] > 0
    assert compare_proportions(12, 99, 5, 83)["z"] < 0


# Fagerland, Lydersen and Laake (2015), "Recommended confidence intervals for two independent
# binomial proportions", their worked example: 7/34 against 1/34.


def test_miettinen_nurminen_interval_matches_r_propcis():
    # R: PropCIs::diffscoreci(7, 34, 1, 34, 0.95) -> 0.0270416 0.3452912
    low, high = score_interval_difference(1, 34, 7, 34, correction=True)
    assert (low, high) == pytest.approx((0.0270416, 0.3452912), abs=5e-7)


def test_mee_interval_is_where_the_score_statistic_reaches_the_quantile():
    # The interval the page shows (no N/(N-1) factor, so that it inverts the pooled z-test),
    # checked against the definition: rates of highest likelihood found by brute force.
    result = compare_proportions(x_control=1, n_control=34, x_treatment=7, n_treatment=34)
    assert result["difference"] == pytest.approx(6 / 34)
    for bound, sign in ((result["ci_low"], 1), (result["ci_high"], -1)):
        control, treatment = brute_force_restricted_rates(1, 34, 7, 34, bound)
        se = math.sqrt(treatment * (1 - treatment) / 34 + control * (1 - control) / 34)
        assert (6 / 34 - bound) / se == pytest.approx(sign * stats.norm.ppf(0.975), abs=1e-5)
    # Fagerland et al.'s table gives Miettinen-Nurminen 0.028 to 0.34; Mee is a hair narrower.
    assert result["ci_low"] == pytest.approx(0.0284, abs=5e-5)
    assert result["ci_high"] == pytest.approx(0.3439, abs=5e-5)


def brute_force_restricted_rates(x_control, n_control, x_treatment, n_treatment, delta):
    def negative_log_likelihood(control):
        treatment = control + delta
        return -(
            stats.binom.logpmf(x_control, n_control, control)
            + stats.binom.logpmf(x_treatment, n_treatment, treatment)
        )

    bounds = (max(0.0, -delta) + 1e-12, min(1.0, 1 - delta) - 1e-12)
    found = optimize.minimize_scalar(
        negative_log_likelihood, bounds=bounds, method="bounded", options={"xatol": 1e-12}
    )
    return found.x, found.x + delta


@pytest.mark.parametrize(
    ("counts", "delta"),
    [
        ((1, 34, 7, 34), -0.3),
        ((1, 34, 7, 34), 0.2),
        ((5, 83, 12, 99), 0.02),
        ((1080, 2456, 277, 613), -0.05),
    ],
)
def test_restricted_rates_maximise_the_likelihood(counts, delta):
    assert restricted_rates(*counts, delta) == pytest.approx(
        brute_force_restricted_rates(*counts, delta), abs=1e-6
    )


def test_koopman_ratio_interval_matches_r_propcis_and_fagerland_2015():
    # R: PropCIs::riskscoreci(7, 34, 1, 34, 0.95) -> 1.220853 42.575718; Fagerland: 1.21 to 43.
    assert score_interval_ratio(1, 34, 7, 34) == pytest.approx((1.220853, 42.575718), abs=5e-6)
    result = compare_proportions(1, 34, 7, 34)
    assert result["relative_ci_low"] == pytest.approx(0.220853, abs=5e-6)
    assert result["relative_ci_high"] == pytest.approx(41.575718, abs=5e-5)


def random_counts(rng, size):
    n_control = rng.integers(5, 3000, size)
    n_treatment = rng.integers(5, 3000, size)
    rate = rng.uniform(0.02, 0.98, size)
    lift = rng.normal(0, 0.05, size)
    x_control = rng.binomial(n_control, rate)
    x_treatment = rng.binomial(n_treatment, np.clip(rate + lift, 0, 1))
    return zip(x_control, n_control, x_treatment, n_treatment, strict=True)


def excludes_zero(result) -> bool:
    return result["ci_low"] > 0 or result["ci_high"] < 0


def test_rate_intervals_exclude_zero_exactly_when_the_test_rejects():
    rng = np.random.default_rng(15)
    for counts in random_counts(rng, 300):
        for alpha in (0.05, 0.0125):
            result = compare_proportions(*map(int, counts), alpha=alpha)
            assert excludes_zero(result) == result["significant"], counts
            if result["x_control"] > 0:
                relative = result["relative_ci_low"] > 0 or result["relative_ci_high"] < 0
                assert relative == result["significant"], counts


def test_at_its_own_p_value_the_rate_interval_touches_zero():
    result = compare_proportions(1729, 4211, 1851, 4213)
    at_p = compare_proportions(1729, 4211, 1851, 4213, alpha=result["p_value"])
    assert at_p["ci_low"] == pytest.approx(0, abs=1e-8)
    assert at_p["relative_ci_low"] == pytest.approx(0, abs=1e-8)


def test_proportions_result_holds_every_documented_key():
    result = compare_proportions(50, 1000, 70, 1000)
    expected_keys = {
        "control_rate",
        "treatment_rate",
        "n_control",
        "n_treatment",
        "difference",
        "ci_low",
        "ci_high",
        "relative_lift",
        "relative_ci_low",
        "relative_ci_high",
        "z",
        "p_value",
        "alpha",
        "significant",
    }
    assert expected_keys <= result.keys()
    assert result["control_rate"] == 0.05
    assert result["treatment_rate"] == 0.07
    assert result["relative_lift"] == pytest.approx(0.4)


def test_proportions_relative_interval_contains_point_estimate():
    result = compare_proportions(1, 34, 7, 34)
    assert result["relative_lift"] == pytest.approx(6.0)
    assert result["relative_ci_low"] < result["relative_lift"] < result["relative_ci_high"]


def test_no_treatment_success_puts_the_relative_interval_at_minus_one():
    result = compare_proportions(5, 100, 0, 100)
    assert result["relative_lift"] == -1.0 and result["relative_ci_low"] == -1.0
    assert result["relative_ci_high"] < 0 and result["significant"]


def test_proportions_significance_flag_follows_alpha():
    clear_win = compare_proportions(100, 1000, 160, 1000)
    assert clear_win["significant"]
    assert clear_win["ci_low"] > 0
    borderline = compare_proportions(5, 83, 12, 99)
    assert not borderline["significant"]
    assert not compare_proportions(100, 1000, 130, 1000, alpha=0.01)["significant"]
    assert compare_proportions(100, 1000, 130, 1000, alpha=0.05)["significant"]


def test_proportions_large_sample_relative_interval_tracks_difference_interval():
    result = compare_proportions(50_000, 1_000_000, 51_000, 1_000_000)
    scaled_low = result["ci_low"] / result["control_rate"]
    scaled_high = result["ci_high"] / result["control_rate"]
    assert result["relative_ci_low"] == pytest.approx(scaled_low, abs=1e-3)
    assert result["relative_ci_high"] == pytest.approx(scaled_high, abs=1e-3)


@pytest.mark.parametrize("arguments", [(0, 40, 0, 60), (40, 40, 60, 60)])
def test_proportions_all_or_nothing_arms_give_nan_z_and_p_one(arguments):
    result = compare_proportions(*arguments)
    assert math.isnan(result["z"])
    assert result["p_value"] == 1.0
    assert not result["significant"]
    assert result["ci_low"] < 0 < result["ci_high"]


def test_proportions_zero_control_rate_gives_nan_relative_lift():
    result = compare_proportions(0, 100, 5, 100)
    assert math.isnan(result["relative_lift"])
    assert math.isnan(result["relative_ci_low"])
    assert math.isnan(result["relative_ci_high"])
    assert result["difference"] == pytest.approx(0.05)


def test_proportions_accept_numpy_and_integral_float_counts():
    result = compare_proportions(np.int64(5), 83.0, np.float64(12.0), np.int32(99))
    assert result["n_control"] == 83
    assert isinstance(result["n_control"], int)


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ((-1, 10, 1, 10), "x_control"),
        ((1, 10, -1, 10), "x_treatment"),
        ((1, -10, 1, 10), "n_control"),
        ((11, 10, 1, 10), "x_control"),
        ((1, 10, 11, 10), "x_treatment"),
        ((0, 0, 1, 10), "n_control"),
        ((1, 10, 0, 0), "n_treatment"),
        ((1.5, 10, 1, 10), "x_control"),
        ((1, 10, 1, 10.5), "n_treatment"),
        ((True, 10, 1, 10), "x_control"),
        ((1, 10, "3", 10), "x_treatment"),
        ((math.nan, 10, 1, 10), "x_control"),
    ],
)
def test_proportions_reject_bad_counts(arguments, name):
    with pytest.raises(ValueError, match=name):
        compare_proportions(*arguments)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, math.nan])
def test_proportions_reject_alpha_outside_unit_interval(alpha):
    with pytest.raises(ValueError, match="alpha"):
        compare_proportions(1, 10, 2, 10, alpha=alpha)


def test_welch_matches_r_sleep_data():
    result = compare_means(control=SLEEP_GROUP_2, treatment=SLEEP_GROUP_1)
    assert result["t"] == pytest.approx(-1.8608, abs=5e-5)
    assert result["df"] == pytest.approx(17.7765, abs=5e-5)
    assert result["p_value"] == pytest.approx(0.0794, abs=5e-5)
    assert result["ci_low"] == pytest.approx(-3.3655, abs=5e-5)
    assert result["ci_high"] == pytest.approx(0.2055, abs=5e-5)
    assert result["difference"] == pytest.approx(0.75 - 2.33)
    assert result["control_mean"] == pytest.approx(2.33)
    assert result["treatment_mean"] == pytest.approx(0.75)
    assert (result["n_control"], result["n_treatment"]) == (10, 10)
    assert not result["significant"]


def test_fieller_interval_of_the_sleep_data_inverts_welch_at_every_bound():
    result = compare_means(control=SLEEP_GROUP_2, treatment=SLEEP_GROUP_1)
    quantile = stats.t.ppf(0.975, result["df"])
    for bound in (result["relative_ci_low"], result["relative_ci_high"]):
        ratio = bound + 1
        # Welch's statistic of treatment - ratio * control sits on the quantile at a bound.
        statistic = stats.ttest_ind(
            SLEEP_GROUP_1, ratio * np.array(SLEEP_GROUP_2), equal_var=False
        ).statistic
        assert abs(statistic) == pytest.approx(quantile, abs=1e-9)
    assert result["relative_ci_low"] == pytest.approx(-1.2015, abs=5e-5)
    assert result["relative_ci_high"] == pytest.approx(0.1574, abs=5e-5)


def test_fieller_by_hand():
    # (10 - 8r)² = 2² (1 + r² 1): 60 r² - 160 r + 96 = 0, r = (160 ± sqrt(2560)) / 120.
    low, high = fieller_interval(10.0, 1.0, 8.0, 1.0, 2.0)
    assert (low, high) == pytest.approx(((160 - 2560**0.5) / 120, (160 + 2560**0.5) / 120))
    # A control estimate within reach of 0 leaves no interval.
    assert all(math.isnan(bound) for bound in fieller_interval(10.0, 1.0, 1.5, 1.0, 2.0))


def test_mean_intervals_exclude_zero_exactly_when_welch_rejects():
    rng = np.random.default_rng(16)
    for _ in range(200):
        control = rng.lognormal(2.0, 0.5, rng.integers(3, 200))
        treatment = rng.lognormal(2.0 + rng.normal(0, 0.1), 0.5, rng.integers(3, 200))
        result = compare_means(control, treatment)
        assert excludes_zero(result) == result["significant"]
        relative = result["relative_ci_low"] > 0 or result["relative_ci_high"] < 0
        assert relative == result["significant"]


def test_means_drop_nan_values():
    padded = compare_means([*SLEEP_GROUP_2, math.nan], [math.nan, *SLEEP_GROUP_1])
    plain = compare_means(SLEEP_GROUP_2, SLEEP_GROUP_1)
    assert padded == plain


def test_means_relative_interval_contains_point_estimate():
    result = compare_means(control=SLEEP_GROUP_2, treatment=SLEEP_GROUP_1)
    assert result["relative_lift"] == pytest.approx(0.75 / 2.33 - 1)
    assert result["relative_ci_low"] < result["relative_lift"] < result["relative_ci_high"]


def test_means_significance_flag():
    rng = np.random.default_rng(7)
    control = rng.normal(10.0, 2.0, 400)
    assert compare_means(control, control + 1.0)["significant"]
    assert not compare_means(control, rng.normal(10.0, 2.0, 400), alpha=1e-6)["significant"]


def test_means_large_sample_relative_interval_tracks_difference_interval():
    rng = np.random.default_rng(11)
    control = rng.normal(20.0, 5.0, 200_000)
    treatment = rng.normal(19.0, 4.0, 200_000)
    result = compare_means(control, treatment)
    assert result["relative_lift"] == pytest.approx(-0.05, abs=2e-3)
    assert result["relative_ci_low"] == pytest.approx(
        result["ci_low"] / result["control_mean"], abs=1e-3
    )
    assert result["relative_ci_high"] == pytest.approx(
        result["ci_high"] / result["control_mean"], abs=1e-3
    )


def test_means_zero_control_mean_gives_nan_relative_lift():
    result = compare_means([-1.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    assert math.isnan(result["relative_lift"])
    assert math.isnan(result["relative_ci_low"])


def test_means_constant_samples_give_nan_t():
    same = compare_means([3.0, 3.0, 3.0], [3.0, 3.0])
    assert math.isnan(same["t"])
    assert same["p_value"] == 1.0
    assert (same["ci_low"], same["ci_high"]) == (0.0, 0.0)
    different = compare_means([3.0, 3.0, 3.0], [4.0, 4.0])
    assert different["p_value"] == 0.0
    assert different["significant"]


def test_means_one_constant_arm_still_runs_welch():
    result = compare_means([5.0, 5.0, 5.0, 5.0], [4.0, 5.0, 6.0, 7.0])
    assert result["df"] == pytest.approx(3.0)
    assert math.isfinite(result["t"])


@pytest.mark.parametrize(
    ("control", "treatment", "name"),
    [
        ([], [1.0, 2.0], "control"),
        ([1.0, 2.0], [math.nan, math.nan], "treatment"),
        ([1.0], [1.0, 2.0], "control"),
        ([1.0, math.inf], [1.0, 2.0], "control"),
        ([1.0, 2.0], ["a", "b"], "treatment"),
        ([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0], "control"),
    ],
)
def test_means_reject_bad_samples(control, treatment, name):
    with pytest.raises(ValueError, match=name):
        compare_means(control, treatment)


def test_means_reject_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        compare_means([1.0, 2.0], [3.0, 4.0], alpha=1.0)


def test_holm_adjustment():
    adjusted = adjust_pvalues([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02], atol=5e-5)


@pytest.mark.parametrize("size", [1, 2, 5, 40])
def test_holm_adjustment_equals_statsmodels(size):
    rng = np.random.default_rng(size)
    p_values = rng.uniform(0, 0.2, size) ** rng.uniform(0.5, 2, size)
    p_values[: size // 4] = p_values[0]  # ties
    expected = multipletests(p_values, method="holm")[1]
    np.testing.assert_allclose(adjust_pvalues(p_values, method="holm"), expected, rtol=1e-12)


def test_benjamini_hochberg_adjustment():
    adjusted = adjust_pvalues([0.01, 0.04, 0.03, 0.005], method="fdr_bh")
    np.testing.assert_allclose(adjusted, [0.02, 0.04, 0.04, 0.02], atol=5e-5)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_nan_pvalues_pass_through_and_leave_the_family(method):
    adjusted = adjust_pvalues([0.01, math.nan, 0.04, 0.03, 0.005], method=method)
    assert math.isnan(adjusted[1])
    without_nan = adjust_pvalues([0.01, 0.04, 0.03, 0.005], method=method)
    np.testing.assert_allclose(adjusted[[0, 2, 3, 4]], without_nan)


def test_adjust_pvalues_edge_inputs():
    assert adjust_pvalues([]).shape == (0,)
    assert np.isnan(adjust_pvalues([math.nan, math.nan])).all()


def test_adjust_pvalues_rejects_unknown_method():
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.01, 0.02], method="bonferroni")


@pytest.mark.parametrize("p_values", [[0.01, 1.2], [-0.01, 0.5], [[0.1, 0.2]], ["x"]])
def test_adjust_pvalues_rejects_bad_pvalues(p_values):
    with pytest.raises(ValueError, match="p_values"):
        adjust_pvalues(p_values)


def test_srm_detects_600_vs_400_on_even_split():
    result = srm_check([600, 400], [0.5, 0.5])
    assert result["chi2"] == pytest.approx(40.0, abs=5e-5)
    assert result["p_value"] == pytest.approx(2.54e-10, rel=1e-3)
    assert result["mismatch"]
    assert result["expected"] == [500.0, 500.0]
    assert result["df"] == 1


def test_srm_accepts_balanced_split():
    result = srm_check([5030, 4970], [0.5, 0.5])
    assert not result["mismatch"]
    assert result["p_value"] > 0.5


def test_srm_three_arms_uneven_split():
    result = srm_check([2000, 1000, 1000], [0.5, 0.25, 0.25])
    assert result["chi2"] == pytest.approx(0.0)
    assert result["expected"] == [2000.0, 1000.0, 1000.0]


@pytest.mark.parametrize(
    ("counts", "shares", "name"),
    [
        ([600, -400], [0.5, 0.5], "counts"),
        ([600.5, 400], [0.5, 0.5], "counts"),
        ([0, 0], [0.5, 0.5], "counts"),
        ([600], [1.0], "counts"),
        ([600, 400], [0.6, 0.5], "expected_shares"),
        ([600, 400], [0.5, 0.25, 0.25], "expected_shares"),
        ([600, 400], [1.0, 0.0], "expected_shares"),
    ],
)
def test_srm_rejects_bad_input(counts, shares, name):
    with pytest.raises(ValueError, match=name):
        srm_check(counts, shares)


def test_srm_tolerates_shares_within_tolerance():
    result = srm_check([600, 400], [0.5 + 4e-7, 0.5])
    assert result["chi2"] == pytest.approx(40.0, abs=1e-3)


def test_srm_rejects_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        srm_check([600, 400], [0.5, 0.5], threshold=0)


def test_sample_size_for_90_vs_92_percent():
    assert sample_size_per_arm(0.90, 0.92) == 3205
    assert sample_size_per_arm(0.92, 0.90) == 3205


def test_sample_size_grows_with_power_and_stricter_alpha():
    base = sample_size_per_arm(0.90, 0.92)
    assert sample_size_per_arm(0.90, 0.92, power=0.9) > base
    assert sample_size_per_arm(0.90, 0.92, alpha=0.01) > base


def test_sample_size_for_huge_effect_is_the_minimum():
    assert sample_size_per_arm(0.0, 1.0) == 2


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"p_control": -0.1, "p_treatment": 0.5}, "p_control"),
        ({"p_control": 0.5, "p_treatment": 1.1}, "p_treatment"),
        ({"p_control": 0.5, "p_treatment": 0.5}, "p_treatment"),
        ({"p_control": 0.5, "p_treatment": 0.6, "alpha": 0}, "alpha"),
        ({"p_control": 0.5, "p_treatment": 0.6, "power": 1}, "power"),
    ],
)
def test_sample_size_rejects_bad_input(arguments, name):
    with pytest.raises(ValueError, match=name):
        sample_size_per_arm(**arguments)


# Holm's levels for the intervals.


def test_holm_levels_by_hand():
    # Sorted: 0.005 < 0.05/4 and 0.01 < 0.05/3 are rejected; 0.03 >= 0.05/2 stops the steps,
    # so it and 0.04 get 0.025. Holm-adjusted: 0.03, 0.06, 0.06, 0.02.
    levels = holm_levels([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(levels, [0.05 / 3, 0.025, 0.025, 0.0125])
    adjusted = adjust_pvalues([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_array_equal(np.array([0.01, 0.04, 0.03, 0.005]) < levels, adjusted < 0.05)


def test_holm_levels_when_all_or_none_are_rejected():
    np.testing.assert_allclose(
        holm_levels([0.001, 0.002, 0.003, 0.004]), [0.0125, 0.05 / 3, 0.025, 0.05]
    )
    np.testing.assert_allclose(holm_levels([0.5, 0.9, 0.2, 0.7]), [0.0125] * 4)
    levels = holm_levels([0.001, math.nan, 0.5])
    assert math.isnan(levels[1]) and levels[0] == 0.025 and levels[2] == 0.05


def test_intervals_at_holm_levels_agree_with_holm_significance():
    rng = np.random.default_rng(17)
    for _ in range(25):  # statsmodels' Holm collects garbage on every call: keep them few
        family = [tuple(map(int, counts)) for counts in random_counts(rng, 4)]
        p_values = [compare_proportions(*counts)["p_value"] for counts in family]
        significant = adjust_pvalues(p_values) < 0.05
        for counts, level, verdict in zip(family, holm_levels(p_values), significant, strict=True):
            assert excludes_zero(compare_proportions(*counts, alpha=level)) == verdict


# Always-valid inference: asymptotic confidence sequences (Waudby-Smith et al. 2024).


def test_mixture_rho_by_hand():
    # rho² = (-2 log 0.05 + log(-2 log 0.05 + 1)) / 10,000 = (5.9915 + 1.9447) / 10,000.
    assert mixture_rho(10_000) == pytest.approx(math.sqrt(7.93613e-4), rel=1e-5)
    assert mixture_rho(10_000) == pytest.approx(0.028171, abs=5e-7)


def test_mixture_rho_makes_the_sequence_narrowest_at_the_planned_size():
    planned = 10_000
    best = optimize.minimize_scalar(
        lambda rho: sequence_radius_factor(planned, 0.05, rho), bounds=(1e-4, 1), method="bounded"
    )
    assert sequence_radius_factor(planned, 0.05, mixture_rho(planned)) == pytest.approx(
        best.fun, rel=1e-3
    )


def test_the_sequence_is_wider_than_the_fixed_interval_at_every_size():
    rho = mixture_rho(10_000)
    sizes = np.array([10, 100, 1_000, 10_000, 100_000, 10_000_000])
    factors = sequence_radius_factor(sizes, 0.05, rho)
    assert np.all(factors > stats.norm.ppf(0.975))
    assert factors[3] == pytest.approx(3.0352, abs=5e-5)  # at the planned size, by hand below
    # (1 + 1/7.936) (log 8.936 + 2 log 20) = 1.12601 * (2.19013 + 5.99146) = 9.2125; sqrt 3.0352


def test_sequential_proportions_worked_example():
    # EXP-005's automation rate: 1,729 of 4,211 control and 1,851 of 4,213 treatment alerts.
    result = sequential_proportions(1729, 4211, 1851, 4213, planned_total=10_000)
    control, treatment = 1729 / 4211, 1851 / 4213
    se = math.sqrt(control * (1 - control) / 4211 + treatment * (1 - treatment) / 4213)
    mixed = 8424 * mixture_rho(10_000) ** 2
    factor = math.sqrt((mixed + 1) / mixed * (math.log(mixed + 1) + 2 * math.log(20)))
    assert result["difference"] == pytest.approx(treatment - control)
    assert result["ci_low"] == pytest.approx(treatment - control - factor * se)
    assert result["ci_high"] == pytest.approx(treatment - control + factor * se)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((-0.00395, 0.06148), abs=5e-5)
    z = (treatment - control) / se
    assert result["p_value"] == pytest.approx(
        math.sqrt(mixed + 1) * math.exp(-(z**2) * mixed / (2 * (mixed + 1)))
    )
    # Significant at the fixed horizon (p = 0.0076), not yet at every look.
    assert not result["significant"] and result["p_value"] == pytest.approx(0.1244, abs=5e-5)
    assert compare_proportions(1729, 4211, 1851, 4213)["significant"]


def test_sequential_means_worked_example():
    result = sequential_means(SLEEP_GROUP_2, SLEEP_GROUP_1, planned_total=20)
    se = math.sqrt(np.var(SLEEP_GROUP_1, ddof=1) / 10 + np.var(SLEEP_GROUP_2, ddof=1) / 10)
    factor = sequence_radius_factor(20, 0.05, mixture_rho(20))
    assert result["difference"] == pytest.approx(0.75 - 2.33)
    assert result["ci_high"] - result["ci_low"] == pytest.approx(2 * factor * se)
    assert result["control_value"] == pytest.approx(2.33)
    assert result["n_control"] == 10 and not result["significant"]


def test_always_valid_p_value_is_below_alpha_exactly_when_the_sequence_excludes_zero():
    rng = np.random.default_rng(18)
    rho = mixture_rho(5_000)
    for counts in random_counts(rng, 300):
        for alpha in (0.05, 0.0125):
            result = sequential_proportions(*map(int, counts), alpha=alpha, rho=rho)
            assert excludes_zero(result) == result["significant"], counts
            if counts[0] > 0:
                relative = result["relative_ci_low"] > 0 or result["relative_ci_high"] < 0
                assert relative == result["significant"], counts
    result = sequential_proportions(1729, 4211, 1851, 4213, rho=rho)
    at_p = sequential_proportions(1729, 4211, 1851, 4213, alpha=result["p_value"], rho=rho)
    assert at_p["ci_low"] == pytest.approx(0, abs=1e-12)


def test_sequential_edge_cases():
    nothing = sequential_proportions(0, 40, 0, 60)
    assert nothing["p_value"] == 1.0 and not nothing["significant"]
    assert math.isnan(nothing["relative_lift"])
    constant = sequential_means([3.0, 3.0], [4.0, 4.0])
    assert constant["p_value"] == 0.0 and constant["ci_low"] == constant["ci_high"] == 1.0
    assert always_valid_p_value(math.nan, 100, 0.1) == 1.0
    with pytest.raises(ValueError, match="planned_total"):
        sequential_proportions(1, 10, 2, 10, planned_total=0)
    with pytest.raises(ValueError, match="rho"):
        sequential_proportions(1, 10, 2, 10, rho=-1.0)
    with pytest.raises(ValueError, match="n_treatment"):
        sequential_proportions(1, 10, 2, 0)


# Peeking: 2,000 A/A experiments with a look after every batch of alerts.

EXPERIMENTS, LOOKS, BATCH = 2_000, 60, 100  # alerts per arm per batch
MONTE_CARLO_MARGIN = 3 * math.sqrt(0.05 * 0.95 / EXPERIMENTS)  # three standard errors


def looks_at_rates(rng, control_rate, treatment_rate):
    """Cumulative successes per arm at each look, (experiments, looks), and the arm size."""
    control = rng.binomial(BATCH, control_rate, (EXPERIMENTS, LOOKS)).cumsum(axis=1)
    treatment = rng.binomial(BATCH, treatment_rate, (EXPERIMENTS, LOOKS)).cumsum(axis=1)
    return control, treatment, BATCH * np.arange(1, LOOKS + 1)


def ever_significant(control, treatment, n):
    """Share of experiments called significant at some look: (always valid, fixed horizon)."""
    control_rate, treatment_rate = control / n, treatment / n
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(
            control_rate * (1 - control_rate) / n + treatment_rate * (1 - treatment_rate) / n
        )
        z_unpooled = (treatment_rate - control_rate) / se
        pooled = (control + treatment) / (2 * n)
        z_pooled = (treatment_rate - control_rate) / np.sqrt(pooled * (1 - pooled) * 2 / n)
    always_valid = always_valid_p_value(z_unpooled, 2 * n, mixture_rho(2 * BATCH * LOOKS))
    fixed = np.nan_to_num(2 * stats.norm.sf(np.abs(z_pooled)), nan=1.0)
    return (always_valid < 0.05).any(axis=1).mean(), (fixed < 0.05).any(axis=1).mean()


def test_the_vectorised_looks_are_the_library_functions():
    rng = np.random.default_rng(19)
    control, treatment, n = looks_at_rates(rng, 0.4, 0.42)
    rho = mixture_rho(2 * BATCH * LOOKS)
    for experiment, look in ((0, 0), (7, 30), (1999, 59)):
        counts = (
            int(control[experiment, look]),
            int(n[look]),
            int(treatment[experiment, look]),
            int(n[look]),
        )
        shown = sequential_proportions(*counts, rho=rho)
        rate_c, rate_t = counts[0] / counts[1], counts[2] / counts[3]
        se = math.sqrt(rate_c * (1 - rate_c) / counts[1] + rate_t * (1 - rate_t) / counts[3])
        assert shown["p_value"] == pytest.approx(
            always_valid_p_value((rate_t - rate_c) / se, 2 * n[look], rho)
        )
        _z, p_value = proportions_ztest([counts[2], counts[0]], [counts[3], counts[1]])
        assert compare_proportions(*counts)["p_value"] == pytest.approx(p_value)


@pytest.mark.parametrize("rate", [0.05, 0.45, 0.9])
def test_peeking_at_an_aa_experiment_keeps_the_always_valid_false_positive_rate(rate):
    rng = np.random.default_rng(int(rate * 100))
    always_valid, fixed = ever_significant(*looks_at_rates(rng, rate, rate))
    assert always_valid <= 0.05 + MONTE_CARLO_MARGIN
    # Re-testing with the fixed-horizon test at every look calls several times as many.
    assert fixed >= 0.2


def test_peeking_with_a_real_difference_the_always_valid_test_detects_it():
    rng = np.random.default_rng(20)
    # Automation rate 45% -> 49%: by the last look (6,000 alerts per arm).
    always_valid, _fixed = ever_significant(*looks_at_rates(rng, 0.45, 0.49))
    assert always_valid >= 0.9


def test_peeking_at_mean_response_times():
    rng = np.random.default_rng(21)
    looks, batch = 50, 40
    n = batch * np.arange(1, looks + 1)

    def shares(shift: float) -> tuple[float, float]:
        control = rng.lognormal(1.8, 0.6, (EXPERIMENTS, looks * batch))
        treatment = rng.lognormal(1.8 + shift, 0.6, (EXPERIMENTS, looks * batch))
        z = []
        for sample in (control, treatment):
            sums = sample.cumsum(axis=1)[:, batch - 1 :: batch]
            squares = (sample**2).cumsum(axis=1)[:, batch - 1 :: batch]
            mean = sums / n
            z.append((mean, (squares - n * mean**2) / (n - 1)))
        (mean_c, var_c), (mean_t, var_t) = z
        statistic = (mean_t - mean_c) / np.sqrt(var_c / n + var_t / n)
        always_valid = always_valid_p_value(statistic, 2 * n, mixture_rho(2 * batch * looks))
        fixed = 2 * stats.t.sf(np.abs(statistic), 2 * n - 2)
        return (always_valid < 0.05).any(axis=1).mean(), (fixed < 0.05).any(axis=1).mean()

    always_valid, fixed = shares(0.0)
    assert always_valid <= 0.05 + MONTE_CARLO_MARGIN and fixed >= 0.2
    detected, _ = shares(-0.1)  # response about 10% faster
    assert detected >= 0.9


# Minimum detectable effect.


def test_detectable_effect_at_the_fixed_horizon_is_statsmodels_power_solution():
    sd = math.sqrt(0.45 * 0.55)
    effect = NormalIndPower().solve_power(nobs1=1000, ratio=4.0, alpha=0.0125, power=0.8)
    assert minimum_detectable_effect(sd, 4000, 1000, alpha=0.0125) == pytest.approx(effect * sd)
    # By hand: (z_0.99375 + z_0.8) sd sqrt(1/4000 + 1/1000) = (2.4977 + 0.8416) * 0.4975 * 0.03536
    assert minimum_detectable_effect(sd, 4000, 1000, alpha=0.0125) == pytest.approx(
        0.0587, abs=1e-4
    )


def test_detectable_effect_of_the_always_valid_test_uses_the_sequence_width():
    rho = mixture_rho(8_000)
    factor = sequence_radius_factor(5000, 0.0125, rho)
    expected = (factor + stats.norm.ppf(0.8)) * 0.5 * math.sqrt(1 / 4000 + 1 / 1000)
    assert minimum_detectable_effect(0.5, 4000, 1000, alpha=0.0125, rho=rho) == pytest.approx(
        expected
    )
    assert expected > minimum_detectable_effect(0.5, 4000, 1000, alpha=0.0125)


def test_detectable_effect_shrinks_with_the_square_root_of_the_size():
    small = minimum_detectable_effect(1.0, 1000, 1000)
    assert minimum_detectable_effect(1.0, 4000, 4000) == pytest.approx(small / 2, rel=1e-3)
    assert math.isnan(minimum_detectable_effect(0.0, 1000, 1000))
    assert math.isnan(minimum_detectable_effect(1.0, 1, 1000))
