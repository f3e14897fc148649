"""Experiment queries (per-arm aggregates equal the raw rows), and the interval, guardrail and
sample-size helpers of dashboard.analysis.ab that the A/B page adds."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import ab
from dashboard.data import experiments, queries
from dashboard.data.cache import cache
from dashboard.data.experiments import CONTROL, RATE_COLUMNS, TREATMENT
from simulator.schema import MODEL_TYPES
from tests.helpers import stored_table

pytestmark = pytest.mark.usefixtures("app_context")

EXPERIMENT_IDS = ["EXP-001", "EXP-002", "EXP-003", "EXP-004", "EXP-005", "EXP-006"]


def raw_alerts() -> pd.DataFrame:
    return stored_table("experiment_alerts")


def raw_arm_counts(rows: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """The per-arm figures of `rows` by a plain full scan, for comparison."""
    grouped = rows.groupby(arm_of)
    counts = pd.DataFrame(
        {
            "alerts": grouped.size(),
            **{metric: grouped[column].sum() for metric, column in RATE_COLUMNS.items()},
            "responded": grouped["response_time_min"].count(),
            "response_mean": grouped["response_time_min"].mean(),
            "response_sd": grouped["response_time_min"].std(),
        }
    )
    return counts.reindex([CONTROL, TREATMENT])


def assert_summary_equals(summary: pd.DataFrame, expected: pd.DataFrame) -> None:
    for column in ["alerts", *RATE_COLUMNS, "responded"]:
        assert summary[column].tolist() == expected[column].astype("int64").tolist(), column
    for column in ("response_mean", "response_sd"):
        np.testing.assert_allclose(summary[column], expected[column], rtol=1e-12)


def test_experiments_are_listed_newest_first_and_the_latest_is_the_running_canary():
    listed = experiments.experiment_list()
    assert listed["experiment_id"].tolist() == EXPERIMENT_IDS[::-1]
    assert experiments.latest_experiment_id() == "EXP-006"
    canary = experiments.experiment_comparison("EXP-006")
    assert (canary.control, canary.treatment, canary.treatment_share) == ("v5.2.1", "v5.3.0", 0.2)
    assert canary.ended_at is None and canary.randomised


@pytest.mark.parametrize("experiment_id", EXPERIMENT_IDS)
def test_arm_counts_equal_the_raw_counts_of_the_experiment(experiment_id):
    comparison = experiments.experiment_comparison(experiment_id)
    rows = raw_alerts()[raw_alerts()["experiment_id"] == experiment_id]
    summary = experiments.arm_summary(comparison, "all")
    assert_summary_equals(summary, raw_arm_counts(rows, rows["arm"]))
    assert summary["version"].tolist() == [comparison.control, comparison.treatment]


@pytest.mark.parametrize("model", MODEL_TYPES)
def test_the_model_filter_keeps_that_model_types_alerts(model):
    comparison = experiments.experiment_comparison("EXP-005")
    rows = raw_alerts()
    rows = rows[(rows["experiment_id"] == "EXP-005") & (rows["model_type"] == model)]
    summary = experiments.arm_summary(comparison, model)
    assert_summary_equals(summary, raw_arm_counts(rows, rows["arm"]))
    samples = experiments.response_samples(comparison, model)
    assert len(samples) == summary["responded"].sum()


def test_model_types_partition_an_experiments_arms():
    comparison = experiments.experiment_comparison("EXP-003")
    total = experiments.arm_summary(comparison, "all")["alerts"]
    parts = sum(experiments.arm_summary(comparison, model)["alerts"] for model in MODEL_TYPES)
    assert parts.tolist() == total.tolist()


def test_two_versions_are_compared_on_every_pilot_alert_each_handled():
    comparison = experiments.version_comparison("v5.1.0", "v5.3.0")
    assert not comparison.randomised
    rows = raw_alerts()[raw_alerts()["model_version"].isin(["v5.1.0", "v5.3.0"])]
    arm_of = rows["model_version"].map({"v5.1.0": CONTROL, "v5.3.0": TREATMENT})
    summary = experiments.arm_summary(comparison, "all")
    assert_summary_equals(summary, raw_arm_counts(rows, arm_of))
    # v5.1.0 was the treatment of EXP-004 and the control of EXP-005: both count.
    experiment_ids = set(rows.loc[rows["model_version"] == "v5.1.0", "experiment_id"])
    assert experiment_ids == {"EXP-004", "EXP-005"}


@pytest.mark.parametrize("experiment_id", ["EXP-002", "EXP-006"])
def test_cumulative_counts_grow_to_the_arm_totals(experiment_id):
    comparison = experiments.experiment_comparison(experiment_id)
    counts = experiments.cumulative_counts(comparison, "all")
    summary = experiments.arm_summary(comparison, "all")
    for arm in (CONTROL, TREATMENT):
        per_day = counts[counts["arm"] == arm]
        assert per_day["day"].is_monotonic_increasing
        for column in ["alerts", *RATE_COLUMNS, "responded"]:
            assert per_day[column].is_monotonic_increasing, column
            assert per_day[column].iloc[-1] == summary.at[arm, column], column


def test_response_samples_leave_out_open_alerts():
    comparison = experiments.experiment_comparison("EXP-006")
    samples = experiments.response_samples(comparison, "all")
    assert samples["response_time_min"].notna().all()
    summary = experiments.arm_summary(comparison, "all")
    assert samples.groupby("arm").size().reindex([CONTROL, TREATMENT]).tolist() == (
        summary["responded"].tolist()
    )


def test_version_summary_adds_the_response_spread_to_the_version_table():
    summary = experiments.version_summary("all")
    table = queries.version_table("all")
    pd.testing.assert_frame_equal(summary.drop(columns="response_sd"), table)
    rows = raw_alerts()
    treated = rows[(rows["experiment_id"] == "EXP-005") & (rows["arm"] == TREATMENT)]
    spread = summary.set_index("experiment_id").at["EXP-005", "response_sd"]
    assert spread == pytest.approx(treated["response_time_min"].std())


def test_equal_requests_share_one_cache_entry():
    cache.clear()  # other tests may have asked for the same comparisons
    comparison = experiments.experiment_comparison("EXP-004")
    experiments.arm_summary(comparison, "incident_classification")
    with mock.patch.object(experiments, "_rows", wraps=experiments._rows) as spy:
        experiments.arm_summary(comparison, "incident_classification")
        assert spy.call_count == 0, "the second equal request was computed again"
        experiments.arm_summary(comparison, "threat_detection")
        assert spy.call_count == 1


@pytest.mark.parametrize(
    "forged", ["EXP-999", "exp-001", "", "<script>alert(1)</script>", "x" * 10_000, None, 7, ["a"]]
)
def test_an_unknown_experiment_is_a_clear_value_error(forged):
    with pytest.raises(ValueError, match="unknown experiment"):
        experiments.experiment_comparison(forged)


@pytest.mark.parametrize(
    ("control", "treatment", "message"),
    [
        ("v9.9.9", "v5.3.0", "unknown control version"),
        ("v5.2.1", None, "unknown treatment version"),
        (["v5.2.1"], "v5.3.0", "unknown control version"),
        ("v5.2.1", "v5.2.1", "different versions"),
    ],
)
def test_versions_must_be_two_different_known_ones(control, treatment, message):
    with pytest.raises(ValueError, match=message):
        experiments.version_comparison(control, treatment)


def test_unknown_model_type_is_a_clear_value_error():
    comparison = experiments.experiment_comparison("EXP-001")
    with pytest.raises(ValueError, match="unknown model type"):
        experiments.arm_summary(comparison, "malware")


# The helpers added to dashboard.analysis.ab for the page.


def test_wilson_interval_matches_newcombe_1998():
    low, high = ab.rate_interval(81, 263)
    assert float(low) == pytest.approx(0.2553, abs=5e-5)
    assert float(high) == pytest.approx(0.3662, abs=5e-5)


def test_rate_interval_is_vectorised_and_nan_without_trials():
    low, high = ab.rate_interval([0, 5, 10], [10, 10, 0])
    assert low[0] == 0 and 0 < low[1] < 0.5 < high[1] and np.isnan(low[2]) and np.isnan(high[2])


def test_mean_interval_is_the_student_t_interval():
    low, high = ab.mean_interval(2.0, 1.5, 10)
    expected = stats.t.interval(0.95, 9, loc=2.0, scale=1.5 / np.sqrt(10))
    assert (float(low), float(high)) == pytest.approx(expected)
    assert np.isnan(ab.mean_interval(2.0, 1.5, 1)[0])


@pytest.mark.parametrize(
    ("ci_low", "ci_high", "status"),
    [
        (-0.03, 0.005, ab.NON_INFERIOR),
        (-0.03, 0.02, ab.INCONCLUSIVE),
        (0.015, 0.04, ab.INFERIOR),
    ],
)
def test_non_inferiority_against_a_one_point_margin(ci_low, ci_high, status):
    result = ab.non_inferiority(ci_low, ci_high, 0.01)
    assert result["status"] == status
    assert result["worst_case"] == ci_high


def test_non_inferiority_reads_the_other_side_when_higher_is_better():
    result = ab.non_inferiority(-0.005, 0.03, 0.01, lower_is_better=False)
    assert result["status"] == ab.NON_INFERIOR and result["worst_case"] == 0.005
    assert ab.non_inferiority(-0.04, -0.02, 0.01, lower_is_better=False)["status"] == ab.INFERIOR


def test_non_inferiority_with_a_zero_margin_needs_a_proven_improvement():
    assert ab.non_inferiority(-0.03, -0.001, 0.0)["status"] == ab.NON_INFERIOR
    assert ab.non_inferiority(-0.03, 0.001, 0.0)["status"] == ab.INCONCLUSIVE


@pytest.mark.parametrize("margin", [-0.01, float("nan"), "1", True, None])
def test_non_inferiority_rejects_a_bad_margin(margin):
    with pytest.raises(ValueError, match="margin"):
        ab.non_inferiority(-0.01, 0.01, margin)
