import math

import numpy as np
import pytest

from dashboard.analysis.ab import (
    additional_sample_needed,
    adjust_pvalues,
    compare_means,
    compare_proportions,
    sample_size_per_arm,
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


def test_newcombe_interval_matches_fagerland_2015():
    result = compare_proportions(x_control=1, n_control=34, x_treatment=7, n_treatment=34)
    assert result["difference"] == pytest.approx(6 / 34)
    assert result["ci_low"] == pytest.approx(0.0189, abs=5e-5)
    assert result["ci_high"] == pytest.approx(0.3404, abs=5e-5)


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


def test_additional_sample_for_underpowered_test():
    result = additional_sample_needed(900, 1000, 1104, 1200)
    assert result["required_per_arm"] == 3205
    assert result["additional_control"] == 2205
    assert result["additional_treatment"] == 2005


def test_additional_sample_never_negative():
    result = additional_sample_needed(100, 1000, 200, 1000)
    assert result["additional_control"] == 0
    assert result["additional_treatment"] == 0


def test_additional_sample_undefined_without_observed_difference():
    result = additional_sample_needed(50, 1000, 100, 2000)
    assert result == {
        "required_per_arm": None,
        "additional_control": None,
        "additional_treatment": None,
    }


def test_additional_sample_rejects_bad_counts():
    with pytest.raises(ValueError, match="n_treatment"):
        additional_sample_needed(5, 10, 5, 0)
