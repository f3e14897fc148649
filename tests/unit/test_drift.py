"""Drift tests against worked values, test selection at its boundaries, and bad input."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.drift import (
    column_drift,
    dataset_drift,
    population_stability_index,
    psi_band,
    psi_for_samples,
)

REFERENCE = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
CURRENT = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def labels(counts: dict[str, int]) -> list[str]:
    return [label for label, count in counts.items() for _ in range(count)]


def test_ks_worked_example_is_not_drifted():
    result = column_drift(REFERENCE, CURRENT)
    assert result["test"] == "ks"
    assert result["kind"] == "numeric"
    assert result["statistic"] == pytest.approx(0.4000, abs=5e-5)
    assert result["p_value"] == pytest.approx(0.4175, abs=5e-5)
    assert result["threshold"] == 0.05
    assert result["drifted"] is False
    assert (result["n_reference"], result["n_current"]) == (10, 10)


def test_wasserstein_worked_example_is_normalised_by_reference_std():
    result = column_drift(REFERENCE, CURRENT, method="wasserstein")
    # raw distance 1.5800 over the population std 1.6973
    assert result["statistic"] == pytest.approx(0.9309, abs=5e-5)
    assert result["statistic"] * np.std(REFERENCE) == pytest.approx(1.5800, abs=5e-5)
    assert result["p_value"] is None
    assert result["threshold"] == 0.1
    assert result["drifted"] is True


def test_wasserstein_std_is_floored_for_a_constant_reference():
    result = column_drift([1.0] * 10, [1.0] * 9 + [1.01], method="wasserstein")
    # distance 0.01 / 10 over the floor 0.001, not over a zero std
    assert result["statistic"] == pytest.approx(1.0)


def test_psi_worked_example_is_stable():
    psi = population_stability_index([0.40, 0.30, 0.30], [0.35, 0.25, 0.40])
    assert psi == pytest.approx(0.0446, abs=5e-5)
    assert psi_band(psi) == "stable"


def test_psi_replaces_empty_bins():
    psi = population_stability_index([0.5, 0.5, 0.0], [0.5, 0.4, 0.1])
    expected = -0.1 * math.log(0.4 / 0.5) + (0.1 - 0.0001) * math.log(0.1 / 0.0001)
    assert psi == pytest.approx(expected)


@pytest.mark.parametrize(
    ("psi", "band"),
    [
        (0.0, "stable"),
        (0.0999, "stable"),
        (0.1, "moderate"),
        (0.25, "moderate"),
        (0.2501, "significant"),
    ],
)
def test_psi_band_boundaries(psi, band):
    assert psi_band(psi) == band


def test_chisquare_worked_example_is_drifted():
    reference = labels({"phishing": 400, "malware": 300, "benign": 300})
    current = labels({"phishing": 350, "malware": 250, "benign": 400})
    result = column_drift(reference, current)
    assert result["test"] == "chisquare"
    assert result["kind"] == "categorical"
    assert result["statistic"] == pytest.approx(47.9167, abs=5e-5)
    assert result["p_value"] < 1e-10
    assert result["drifted"] is True


def test_chisquare_accepts_reference_categories_missing_from_current():
    reference = labels({"a": 5, "b": 3, "c": 2})
    result = column_drift(reference, labels({"a": 6, "b": 4}))
    assert result["test"] == "chisquare"
    # expected 5/3/2 against observed 6/4/0
    assert result["statistic"] == pytest.approx(1 / 5 + 1 / 3 + 4 / 2)


def test_numeric_test_switches_to_wasserstein_above_1000_reference_values():
    rng = np.random.default_rng(7)
    current = rng.normal(size=200)
    assert column_drift(rng.normal(size=1000), current)["test"] == "ks"
    assert column_drift(rng.normal(size=1001), current)["test"] == "wasserstein"


def test_categorical_test_switches_to_jensenshannon_above_1000_reference_values():
    current = labels({"a": 30, "b": 30, "c": 40})
    assert column_drift(labels({"a": 400, "b": 300, "c": 300}), current)["test"] == "chisquare"
    large = column_drift(labels({"a": 401, "b": 300, "c": 300}), current)
    assert large["test"] == "jensenshannon"
    assert large["p_value"] is None


def test_jensenshannon_uses_natural_log_and_adds_new_categories():
    reference = labels({"a": 1001})
    result = column_drift(reference, labels({"b": 10}))
    # disjoint supports: the natural-log distance reaches its maximum sqrt(ln 2)
    assert result["statistic"] == pytest.approx(math.sqrt(math.log(2)))
    assert result["drifted"] is True


def test_numeric_with_five_unique_values_gets_chisquare_and_six_gets_ks():
    five = [1, 2, 3, 4, 5] * 4
    six = [1, 2, 3, 4, 5, 6] * 4
    assert column_drift(five, five)["test"] == "chisquare"
    assert column_drift(six, six)["test"] == "ks"


def test_numeric_with_few_unique_values_gets_jensenshannon_when_large():
    reference = [1, 2, 3, 4, 5] * 201
    assert column_drift(reference, [1, 2, 3])["test"] == "jensenshannon"


def test_two_categories_get_the_z_test():
    reference = labels({"escalated": 60, "closed": 40})
    current = labels({"escalated": 40, "closed": 60})
    result = column_drift(reference, current)
    assert result["test"] == "z"
    # pooled share 0.5: z = -0.2 / sqrt(0.25 * 0.02)
    assert result["statistic"] == pytest.approx(-0.2 / math.sqrt(0.005))
    assert result["p_value"] == pytest.approx(0.004677735, rel=1e-6)
    assert result["drifted"] is True


def test_z_test_on_one_identical_category_is_not_drifted():
    result = column_drift(["closed"] * 20, ["closed"] * 5)
    assert result["test"] == "z"
    assert (result["statistic"], result["p_value"], result["drifted"]) == (0.0, 1.0, False)


def test_bool_dtype_is_categorical_and_kind_can_force_numeric():
    flags = pd.Series([True, False] * 10)
    assert column_drift(flags, flags)["test"] == "z"
    ranks = pd.Series([str(value) for value in range(20)])
    forced = column_drift(ranks, ranks, kind="numeric")
    assert (forced["kind"], forced["test"]) == ("numeric", "ks")


def test_kind_can_force_categorical_on_numbers():
    values = list(range(20))
    result = column_drift(values, values, kind="categorical")
    assert (result["kind"], result["test"]) == ("categorical", "chisquare")


def test_unused_declared_categories_are_ignored():
    declared = ["a", "b", "c", "unused"]
    reference = pd.Categorical(labels({"a": 5, "b": 3, "c": 2}), categories=declared)
    current = pd.Categorical(labels({"a": 6, "b": 4}), categories=declared)
    result = column_drift(pd.Series(reference), pd.Series(current))
    assert result["statistic"] == pytest.approx(1 / 5 + 1 / 3 + 4 / 2)


def test_nan_is_dropped_before_counting():
    result = column_drift([*REFERENCE, float("nan")], pd.Series([*CURRENT, None]))
    assert (result["n_reference"], result["n_current"]) == (10, 10)
    assert result["p_value"] == pytest.approx(0.4175, abs=5e-5)


def test_results_serialise_to_json():
    json.dumps(column_drift(REFERENCE, CURRENT))
    json.dumps(psi_for_samples(np.arange(100), np.arange(100)))


def test_psi_for_samples_bins_on_reference_deciles():
    reference = np.arange(1, 101, dtype=float)
    result = psi_for_samples(reference, reference)
    assert len(result["cut_points"]) == 9
    assert result["reference_shares"] == pytest.approx([0.1] * 10)
    assert result["psi"] == pytest.approx(0.0)
    assert result["band"] == "stable"


def test_psi_for_samples_counts_current_values_outside_the_reference_range():
    reference = np.arange(1, 101, dtype=float)
    result = psi_for_samples(reference, reference + 1000)
    assert result["current_shares"][-1] == pytest.approx(1.0)
    assert result["band"] == "significant"


def test_psi_for_samples_merges_tied_quantiles():
    result = psi_for_samples([0.0] * 10, [0.0] * 5 + [1.0] * 5)
    assert result["cut_points"] == [0.0]
    assert result["current_shares"] == [0.5, 0.5]


def test_psi_for_samples_handles_categories():
    reference = labels({"a": 40, "b": 30, "c": 30})
    current = labels({"a": 35, "b": 25, "c": 40})
    result = psi_for_samples(reference, current)
    assert result["categories"][0] == "a"
    assert sorted(result["categories"]) == ["a", "b", "c"]
    assert result["psi"] == pytest.approx(0.0446, abs=5e-5)


def test_dataset_drift_at_exactly_half_is_drifted():
    results = {"a": {"drifted": True}, "b": {"drifted": False}}
    verdict = dataset_drift(results)
    assert verdict == {
        "n_features": 2,
        "n_drifted": 1,
        "share": 0.5,
        "drift_share": 0.5,
        "drifted": True,
    }


def test_dataset_drift_below_half_is_not_drifted():
    verdict = dataset_drift([{"drifted": True}, {"drifted": False}, {"drifted": False}])
    assert verdict["share"] == pytest.approx(1 / 3)
    assert verdict["drifted"] is False


@pytest.mark.parametrize(
    ("reference", "current", "argument"),
    [
        ([], [1.0, 2.0], "reference"),
        ([1.0, 2.0], [], "current"),
        ([float("nan")] * 3, [1.0, 2.0], "reference"),
        ([1.0, 2.0], [None, float("nan")], "current"),
        ([1.0, 2.0], ["x", "y"], "current"),
        ([1.0, math.inf], [1.0, 2.0], "reference"),
    ],
)
def test_column_drift_rejects_bad_samples_naming_the_argument(reference, current, argument):
    with pytest.raises(ValueError, match=argument):
        column_drift(reference, current)


def test_chisquare_rejects_categories_absent_from_reference():
    reference = labels({"a": 5, "b": 3, "c": 2})
    with pytest.raises(ValueError, match="current has categories absent from reference: d"):
        column_drift(reference, labels({"a": 5, "d": 1}))


def test_z_test_rejects_categories_absent_from_reference():
    with pytest.raises(ValueError, match="current has categories absent from reference"):
        column_drift(labels({"a": 5, "b": 5}), labels({"a": 5, "c": 1}))


def test_column_drift_rejects_unknown_kind_and_method():
    with pytest.raises(ValueError, match="kind"):
        column_drift(REFERENCE, CURRENT, kind="ordinal")
    with pytest.raises(ValueError, match="method"):
        column_drift(REFERENCE, CURRENT, method="psi")
    with pytest.raises(ValueError, match="reference is categorical"):
        column_drift(["a", "b"], ["a", "b"], method="ks")


@pytest.mark.parametrize(
    ("reference_shares", "current_shares", "argument"),
    [
        ([0.5, 0.5], [0.3, 0.3, 0.4], "current_shares"),
        ([-0.1, 1.1], [0.5, 0.5], "reference_shares"),
        ([0.5, 0.5], [-0.1, 1.1], "current_shares"),
        ([0.5, 0.4], [0.5, 0.5], "reference_shares"),
        ([0.5, 0.5], [0.6, 0.6], "current_shares"),
        ([], [], "reference_shares"),
        ([0.5, float("nan")], [0.5, 0.5], "reference_shares"),
    ],
)
def test_psi_rejects_bad_shares_naming_the_argument(reference_shares, current_shares, argument):
    with pytest.raises(ValueError, match=argument):
        population_stability_index(reference_shares, current_shares)


def test_psi_accepts_rounded_shares():
    assert population_stability_index([0.333] * 3, [0.333] * 3) == pytest.approx(0.0)


def test_psi_helpers_reject_bad_arguments():
    with pytest.raises(ValueError, match="psi"):
        psi_band(float("nan"))
    with pytest.raises(ValueError, match="bins"):
        psi_for_samples(REFERENCE, CURRENT, bins=1)
    with pytest.raises(ValueError, match="current"):
        psi_for_samples(REFERENCE, [])


def test_dataset_drift_rejects_bad_results():
    with pytest.raises(ValueError, match="results"):
        dataset_drift([])
    with pytest.raises(ValueError, match="results"):
        dataset_drift(column_drift(REFERENCE, CURRENT))
    with pytest.raises(ValueError, match="drift_share"):
        dataset_drift([{"drifted": True}], drift_share=0)
