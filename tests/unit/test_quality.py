"""Data-quality thresholds and statuses at their boundaries, the composite, overrides, and the
cards' rule over model types."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.drift import compared_shares
from dashboard.analysis.quality import (
    COMPOSITE_WEIGHTS,
    DEFAULT_THRESHOLDS,
    FAILING,
    NO_DATA,
    OK,
    WARNING,
    Threshold,
    composite_score,
    flagged_days,
    indicator_summary,
    quality_thresholds,
    status,
    status_counts,
    statuses,
)
from simulator.schema import QUALITY_INDICATORS

HIGHER = Threshold(0.90, 0.85)
LOWER = Threshold(4.0, 7.0, lower_is_better=True)


def test_every_indicator_has_a_default_threshold_and_only_freshness_is_lower_is_better():
    assert set(DEFAULT_THRESHOLDS) == set(QUALITY_INDICATORS)
    assert {name for name, t in DEFAULT_THRESHOLDS.items() if t.lower_is_better} == {
        "freshness_days"
    }
    for threshold in DEFAULT_THRESHOLDS.values():
        worse = threshold.failing >= threshold.warning
        assert worse if threshold.lower_is_better else threshold.failing <= threshold.warning


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.95, OK),
        (0.90, OK),  # equal to the warning threshold is still on its good side
        (0.8999, WARNING),
        (0.85, WARNING),
        (0.8499, FAILING),
        (0.0, FAILING),
        (float("nan"), NO_DATA),
        (None, NO_DATA),
    ],
)
def test_higher_is_better_boundaries(value, expected):
    assert status(value, HIGHER) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, OK),
        (4.0, OK),
        (4.01, WARNING),
        (7.0, WARNING),
        (7.01, FAILING),
        (float("inf"), NO_DATA),
    ],
)
def test_lower_is_better_boundaries(value, expected):
    assert status(value, LOWER) == expected


def test_statuses_of_a_frame_match_the_status_of_each_value():
    values = pd.DataFrame(
        {
            "quality_score": [0.95, 0.88, 0.87, 0.84, np.nan],
            "freshness_days": [2.0, 4.0, 4.5, 7.5, 3.0],
        }
    )
    result = statuses(values, DEFAULT_THRESHOLDS)
    for indicator in values.columns:
        expected = [status(v, DEFAULT_THRESHOLDS[indicator]) for v in values[indicator]]
        assert result[indicator].tolist() == expected
    assert result["quality_score"].tolist() == [OK, OK, WARNING, FAILING, NO_DATA]
    assert flagged_days(result).tolist() == [False, False, True, True, False]


def test_status_counts_count_days_per_status():
    day_statuses = pd.DataFrame({"completeness": [OK, OK, WARNING, FAILING, NO_DATA]})
    counts = status_counts(day_statuses).loc["completeness"]
    assert counts.to_dict() == {OK: 2, WARNING: 1, FAILING: 1, NO_DATA: 1}


def test_overrides_replace_only_the_indicators_they_name():
    thresholds = quality_thresholds({"quality_score": [0.93, 0.9], "freshness_days": [2, 3.5]})
    assert thresholds["quality_score"] == Threshold(0.93, 0.9)
    assert thresholds["freshness_days"] == Threshold(2.0, 3.5, lower_is_better=True)
    assert thresholds["completeness"] == DEFAULT_THRESHOLDS["completeness"]
    assert quality_thresholds(None) == DEFAULT_THRESHOLDS
    assert quality_thresholds({}) == DEFAULT_THRESHOLDS


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"accuracy": [0.9, 0.8]}, "unknown indicator 'accuracy'"),
        ({"quality_score": 0.9}, "needs [warning, failing]"),
        ({"quality_score": [0.9]}, "needs [warning, failing]"),
        ({"quality_score": [0.9, 0.8, 0.7]}, "needs [warning, failing]"),
        ({"quality_score": ["0.9", 0.8]}, "finite numbers"),
        ({"quality_score": [True, 0.8]}, "finite numbers"),
        ({"quality_score": [float("nan"), 0.8]}, "finite numbers"),
        ({"quality_score": [0.8, 0.9]}, "at most its warning"),
        ({"quality_score": [90, 85]}, "fractions in 0..1"),
        ({"freshness_days": [5, 3]}, "at least its warning"),
        ({"freshness_days": [-1, 3]}, "must not be negative"),
        (["quality_score"], "must be a JSON object"),
    ],
)
def test_bad_overrides_are_refused_naming_the_setting(overrides, message):
    with pytest.raises(ValueError, match="DASHBOARD_QUALITY_THRESHOLDS") as error:
        quality_thresholds(overrides)
    assert message in str(error.value)


def test_composite_weights_cover_the_fraction_indicators_and_sum_to_one():
    assert math.isclose(sum(COMPOSITE_WEIGHTS.values()), 1.0)
    assert set(COMPOSITE_WEIGHTS) == set(QUALITY_INDICATORS) - {"quality_score", "freshness_days"}


def test_composite_is_the_weighted_mean_per_row_and_missing_parts_give_nan():
    row = pd.Series({name: 0.9 for name in COMPOSITE_WEIGHTS} | {"quality_score": 0.1})
    assert composite_score(row) == pytest.approx(0.9)
    frame = pd.DataFrame([row, row.replace(0.9, 0.6)])
    assert composite_score(frame).tolist() == pytest.approx([0.9, 0.6])
    assert math.isnan(composite_score(row.drop("diversity")))


def test_compared_shares_put_both_numeric_samples_on_common_bins():
    result = compared_shares([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0], bins=5)
    assert result["edges"][0] == 1.0 and result["edges"][-1] == 6.0 and len(result["edges"]) == 6
    assert sum(result["reference_shares"]) == pytest.approx(1.0)
    assert sum(result["current_shares"]) == pytest.approx(1.0)
    assert result["reference_shares"][-1] == 0.0 and result["current_shares"][0] == 0.0
    assert (result["n_reference"], result["n_current"], result["categories"]) == (4, 4, None)


def test_compared_shares_of_categories_list_new_values_after_the_references():
    result = compared_shares([1, 1, 2], [2, 3], kind="categorical")
    assert result["categories"] == [1, 2, 3]
    assert result["reference_shares"] == pytest.approx([2 / 3, 1 / 3, 0.0])
    assert result["current_shares"] == pytest.approx([0.0, 0.5, 0.5])
    assert result["edges"] is None


def test_compared_shares_of_a_constant_sample_use_one_bin():
    result = compared_shares([2.0, 2.0], [2.0], bins=10)
    assert result["reference_shares"] == [1.0] and result["current_shares"] == [1.0]


@pytest.mark.parametrize("bins", [0, -3, 2.5, True, "10"])
def test_compared_shares_refuse_bad_bins(bins):
    with pytest.raises(ValueError, match="bins"):
        compared_shares([1.0, 2.0], [1.0, 2.0], bins=bins)


# The cards' rule over model types (indicator_summary).

DAYS = pd.to_datetime(["2026-11-24", "2026-11-25", "2026-11-26"], utc=True)


def daily_per_model_type(**columns) -> pd.DataFrame:
    """Three days of two model types: threat detection, then the false-positive filter."""
    return pd.DataFrame(
        {
            "date": DAYS.repeat(2),
            "model_type": ["threat_detection", "false_positive_filter"] * 3,
            **columns,
        }
    )


def test_card_rule_worked_example():
    daily = daily_per_model_type(
        quality_score=[0.90, 0.95, 0.86, 0.95, 0.91, 0.84],
        freshness_days=[1.0, 2.0, 3.0, 5.0, 2.0, 1.0],
        samples=[100, 300, 100, 300, 0, 0],
    )
    summary = indicator_summary(daily, DEFAULT_THRESHOLDS)
    assert list(summary.index) == ["quality_score", "freshness_days"]
    score = summary.loc["quality_score"]
    # Latest day: 0.91 (ok) and 0.84 (< 0.85, failing): the card shows the worst model type.
    assert (score["status"], score["worst_model_type"]) == (FAILING, "false_positive_filter")
    assert score["latest_date"] == DAYS[-1]
    # Below the 0.88 warning threshold: 0.86 on the 25th, 0.84 on the 26th.
    assert (score["days_below"], score["days"]) == (2, 3)
    # All Models, weighted by samples: (0.90*100 + 0.95*300) / 400 = 0.9375, then 0.9275, and
    # on the 26th, without samples, equal weights: 0.875. Their mean: 0.91333.
    assert score["all_models"] == pytest.approx((0.9375 + 0.9275 + 0.875) / 3)
    assert score["all_models_latest"] == pytest.approx(0.875)
    fresh = summary.loc["freshness_days"]
    # Freshness is the oldest model type's: 2, 5 and 2 days; above 4 only on the 25th.
    assert fresh["all_models"] == pytest.approx(3.0) and fresh["all_models_latest"] == 2.0
    assert (fresh["status"], fresh["worst_model_type"]) == (OK, "threat_detection")
    assert fresh["days_below"] == 1


def test_card_rule_without_samples_weighs_model_types_equally():
    summary = indicator_summary(
        daily_per_model_type(label_accuracy=[0.90, 0.96, 0.93, 0.95, 0.94, 0.92]),
        DEFAULT_THRESHOLDS,
    )
    row = summary.loc["label_accuracy"]
    assert row["all_models"] == pytest.approx(np.mean([0.90, 0.96, 0.93, 0.95, 0.94, 0.92]))
    # 0.92 is on the warning threshold, its good side; 0.90 on the 24th is below it.
    assert (row["status"], row["worst_model_type"]) == (OK, "false_positive_filter")
    assert row["days_below"] == 1


def test_card_rule_with_gaps():
    daily = daily_per_model_type(
        completeness=[0.90, math.nan, math.nan, 0.70, math.nan, math.nan],
        diversity=[math.nan] * 6,
        samples=[10, 10, 10, 10, 10, 10],
    )
    summary = indicator_summary(daily, DEFAULT_THRESHOLDS)
    # Nobody reported completeness on the latest day: no status, though earlier days count.
    completeness = summary.loc["completeness"]
    assert completeness["status"] == NO_DATA and completeness["worst_model_type"] is None
    assert (completeness["days_below"], completeness["days"]) == (1, 2)
    assert completeness["all_models"] == pytest.approx(0.80)
    assert math.isnan(completeness["all_models_latest"])
    diversity = summary.loc["diversity"]
    assert diversity["status"] == NO_DATA and diversity["days"] == 0
    assert math.isnan(diversity["all_models"])


def test_card_rule_needs_dates_and_model_types():
    with pytest.raises(ValueError, match="model_type"):
        indicator_summary(pd.DataFrame({"date": DAYS, "quality_score": 0.9}), DEFAULT_THRESHOLDS)
    empty = indicator_summary(daily_per_model_type().iloc[0:0], DEFAULT_THRESHOLDS)
    assert empty.empty
