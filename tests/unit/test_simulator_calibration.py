"""The simulator reproduces the brief's figures (BRIEF.md) within stated tolerances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator import DEFAULT_SEED, simulate

NOW = pd.Timestamp("2026-11-26 13:30", tz="UTC")
DAY = pd.Timedelta(days=1)

# Brief: version -> accuracy, automation rate, false-positive rate, response minutes.
VERSION_TABLE = {
    "v4.0.0": (0.80, 0.25, 0.80, 9.6),  # the first control; not in the brief's table
    "v4.1.0": (0.82, 0.28, 0.78, 9.2),
    "v4.2.0": (0.85, 0.32, 0.75, 8.8),
    "v5.0.0": (0.87, 0.38, 0.72, 8.1),
    "v5.1.0": (0.89, 0.41, 0.69, 7.6),
    "v5.2.1": (0.90, 0.44, 0.66, 7.2),
}
# Brief: indicator -> (latest 7 days, change on the 7 days before).
QUALITY = {
    "quality_score": (0.942, 0.021),
    "label_accuracy": (0.968, 0.015),
    "completeness": (0.913, 0.032),
    "feature_coverage": (0.897, 0.028),
    "freshness_days": (2.3, -0.5),
    "outlier_detection": (0.874, 0.041),
    "diversity": (0.921, 0.018),
    "class_balance": (0.889, 0.023),
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(seed=DEFAULT_SEED, now=NOW)


@pytest.fixture(scope="module")
def completed(tables) -> pd.DataFrame:
    sessions = tables["training_sessions"]
    return sessions[sessions["status"] == "completed"]


@pytest.fixture(scope="module")
def training_rows(tables) -> pd.DataFrame:
    usage = tables["resource_usage"]
    return usage[usage["session_id"].notna()]


def test_completed_sessions_end_with_the_briefs_training_figures(completed):
    accuracy, validation = completed["train_accuracy"], completed["val_accuracy"]
    assert accuracy.between(0.70, 0.80).all(), "training accuracy 75% +- 5"
    assert abs(accuracy.mean() - 0.75) < 0.01, f"mean training accuracy {accuracy.mean():.3f}"
    assert ((validation - accuracy).abs() <= 0.02).all(), "validation within 2 points"
    assert completed["train_loss"].between(0.10, 0.30).all(), "training loss 0.10-0.30"
    assert completed["val_loss"].between(0.12, 0.35).all(), "validation loss 0.12-0.35"


def test_session_durations_span_45_to_180_minutes(completed):
    minutes = (completed["ended_at"] - completed["started_at"]).dt.total_seconds() / 60
    assert minutes.between(45, 180).all(), "completed sessions take 45-180 min"
    assert minutes.quantile(0.05) < 65 and minutes.quantile(0.95) > 160, "spread over the range"


def test_a_few_percent_of_sessions_fail(tables):
    share = (tables["training_sessions"]["status"] == "failed").mean()
    assert 0.02 < share < 0.04, f"failure share {share:.3f}, expected ~3%"


def test_gpu_utilisation_while_training_is_70_to_95_percent(training_rows):
    util = training_rows["gpu_util"]
    assert util.between(0.70, 0.95).all(), "70-95% while training"
    assert abs(util.mean() - 0.83) < 0.02, f"mean {util.mean():.3f}, expected ~0.83 +- 0.02"


def test_memory_while_training_is_8_to_16_gb(training_rows):
    assert training_rows["gpu_mem_used_gb"].between(8, 16).all(), "GPU memory 8-16 GB"
    assert training_rows["host_mem_used_gb"].between(8, 16).all(), "host memory 8-16 GB"


def test_samples_of_the_last_30_days_match_the_brief(tables):
    sessions = tables["training_sessions"]
    total = sessions.loc[sessions["started_at"] > NOW - 30 * DAY, "samples"].sum()
    assert abs(total / 127_842_828_389 - 1) < 0.10, f"{total:,} samples, brief 127.8e9 +- 10%"


def test_live_kpis_move_from_the_briefs_start_to_current_levels(tables):
    alerts = tables["alerts"]
    start = NOW - 90 * DAY
    first_week = alerts[(alerts["timestamp"] > start) & (alerts["timestamp"] <= start + 7 * DAY)]
    last_week = alerts[alerts["timestamp"] > NOW - 7 * DAY]
    for week, (automation, false_positive, response) in [
        (first_week, (0.35, 0.85, 12.0)),
        (last_week, (0.50, 0.70, 8.0)),
    ]:
        assert abs(week["automated"].mean() - automation) < 0.02, "automation +- 2 points"
        assert abs(week["false_positive"].mean() - false_positive) < 0.02, "FP +- 2 points"
        assert abs(week["response_time_min"].mean() - response) < 0.5, "response +- 0.5 min"


def test_live_kpis_are_flat_before_the_last_90_days(tables):
    alerts = tables["alerts"]
    before = alerts[alerts["timestamp"] <= NOW - 90 * DAY]
    assert abs(before["automated"].mean() - 0.35) < 0.02, "automation ~35% +- 2 points"
    assert abs(before["false_positive"].mean() - 0.85) < 0.02, "FP ~85% +- 2 points"


def test_model_types_differ_so_the_filter_matters(tables):
    alerts = tables["alerts"]
    last_week = alerts[alerts["timestamp"] > NOW - 7 * DAY]
    by_type = last_week.groupby("model_type", observed=True)[["automated", "false_positive"]]
    spread = by_type.mean().max() - by_type.mean().min()
    assert (spread > 0.05).all(), f"per-type spread {spread.to_dict()}, expected > 5 points"
    shares = alerts["model_type"].value_counts(normalize=True)
    expected = {
        "threat_detection": 0.40,
        "false_positive_filter": 0.25,
        "incident_classification": 0.20,
        "response_automation": 0.15,
    }
    for model_type, share in expected.items():
        assert abs(shares[model_type] - share) < 0.01, f"{model_type} share +- 1 point"


def test_alert_volume_has_a_weekly_cycle(tables):
    alerts = tables["alerts"]
    complete_days = alerts[alerts["timestamp"] < NOW.normalize()]
    per_day = complete_days.groupby(complete_days["timestamp"].dt.floor("D")).size()
    assert abs(per_day.mean() / 3000 - 1) < 0.05, f"{per_day.mean():.0f}/day, expected ~3000"
    weekend = per_day.index.day_of_week >= 5
    ratio = per_day[weekend].mean() / per_day[~weekend].mean()
    assert 0.55 < ratio < 0.65, f"weekend/weekday volume {ratio:.2f}, expected ~0.6"


def arm_rates(tables: dict[str, pd.DataFrame], version: str, arm: str) -> pd.Series:
    experiments = tables["experiments"]
    version_column = "treatment_version" if arm == "treatment" else "control_version"
    experiment_id = experiments.loc[experiments[version_column] == version, "experiment_id"]
    pilot = tables["experiment_alerts"]
    rows = pilot[(pilot["experiment_id"] == experiment_id.iloc[0]) & (pilot["arm"] == arm)]
    assert (rows["model_version"] == version).all()
    return rows[["correct", "automated", "false_positive", "response_time_min"]].mean()


@pytest.mark.parametrize("version", ["v4.1.0", "v4.2.0", "v5.0.0", "v5.1.0", "v5.2.1"])
def test_treatment_arms_match_the_briefs_version_table(tables, version):
    rates = arm_rates(tables, version, "treatment")
    accuracy, automation, false_positive, response = VERSION_TABLE[version]
    assert abs(rates["correct"] - accuracy) < 0.02, "accuracy +- 2 points"
    assert abs(rates["automated"] - automation) < 0.02, "automation +- 2 points"
    assert abs(rates["false_positive"] - false_positive) < 0.02, "FP +- 2 points"
    assert abs(rates["response_time_min"] - response) < 0.4, "response +- 0.4 min"


def test_control_arm_uses_the_control_versions_figures(tables):
    rates = arm_rates(tables, "v4.0.0", "control")
    np.testing.assert_allclose(rates.to_numpy(), VERSION_TABLE["v4.0.0"], atol=0.02)


def test_experiment_windows_are_the_14_days_before_each_release(tables):
    experiments = tables["experiments"].set_index("treatment_version")
    releases = tables["model_versions"].set_index("version")["released_at"]
    finished = experiments[experiments["ended_at"].notna()]
    assert (finished["ended_at"] == releases[finished.index]).all()
    assert ((finished["ended_at"] - finished["started_at"]) == 14 * DAY).all()
    assert (finished["treatment_share"] == 0.5).all()
    canary = experiments.loc["v5.3.0"]
    assert pd.isna(canary["ended_at"]) and canary["treatment_share"] == 0.2
    pilot = tables["experiment_alerts"].merge(
        tables["experiments"][["experiment_id", "started_at", "ended_at"]], on="experiment_id"
    )
    assert (pilot["timestamp"] >= pilot["started_at"]).all()
    assert (pilot["ended_at"].isna() | (pilot["timestamp"] < pilot["ended_at"])).all()


def test_canary_is_slightly_better_but_not_significant(tables):
    canary = arm_rates(tables, "v5.3.0", "treatment")
    pilot = tables["experiment_alerts"]
    rows = pilot[pilot["experiment_id"] == pilot["experiment_id"].max()]
    counts = pd.crosstab(rows["arm"], rows["correct"])
    p_value = stats.chi2_contingency(counts).pvalue
    assert p_value > 0.05, f"canary accuracy difference p={p_value:.3f}, expected > 0.05"
    assert abs(canary["correct"] - 0.904) < 0.03, "canary accuracy ~90.4%"


def test_one_experiment_shows_a_sample_ratio_mismatch(tables):
    pilot = tables["experiment_alerts"].merge(tables["experiments"], on="experiment_id")
    halves = pilot[pilot["treatment_share"] == 0.5]
    for treatment, rows in halves.groupby("treatment_version"):
        counts = rows["arm"].value_counts()[["control", "treatment"]].to_numpy()
        p_value = stats.chisquare(counts).pvalue
        if treatment == "v4.2.0":
            assert p_value < 0.001, f"SRM for {treatment} should be flagged, p={p_value:.2g}"
        else:
            assert p_value > 0.05, f"{treatment} should split 50/50, p={p_value:.2g}"


def weekly_quality(quality: pd.DataFrame, newest_age: int) -> pd.Series:
    """Mean over model types and the 7 days ending `newest_age` days before today; freshness:
    the mean of each day's oldest model type (data are as fresh as their stalest part)."""
    today = quality["date"].max()
    ages = (today - quality["date"]) / DAY
    window = quality[(ages >= newest_age) & (ages < newest_age + 7)]
    means = window.drop(columns=["date", "model_type"]).mean()
    means["freshness_days"] = window.groupby("date")["freshness_days"].max().mean()
    return means


def test_data_quality_matches_the_briefs_levels_and_changes(tables):
    latest = weekly_quality(tables["data_quality"], 0)
    previous = weekly_quality(tables["data_quality"], 7)
    for indicator, (level, change) in QUALITY.items():
        days = indicator == "freshness_days"
        tolerance = 0.2 if days else 0.005  # 0.2 days, or 0.5 points
        assert abs(latest[indicator] - level) < tolerance, f"{indicator} level"
        delta = latest[indicator] - previous[indicator]
        assert abs(delta - change) < tolerance, f"{indicator} change {delta:+.4f} vs {change:+}"


def test_data_quality_has_one_incident_about_45_days_ago(tables):
    quality = tables["data_quality"]
    daily = quality.groupby("date")[["completeness", "quality_score"]].mean()
    ages = (daily.index.max() - daily.index) / DAY
    baseline = daily[(ages >= 14)].median()
    dropped = daily[(daily < baseline - 0.06).all(axis=1)]
    dropped_ages = (daily.index.max() - dropped.index) / DAY
    assert 3 <= len(dropped) <= 4, f"{len(dropped)} incident days, expected 3-4"
    assert all(40 <= age <= 50 for age in dropped_ages), "incident ~45 days before"
    numeric = quality.drop(columns=["date", "model_type", "freshness_days"])
    assert (numeric <= 1).all().all() and (numeric >= 0).all().all(), "percentages in 0..1"


def feature_window(tables, feature: str, oldest_age: int, newest_age: int) -> pd.Series:
    """Values of `feature` dated between oldest_age (exclusive) and newest_age days ago."""
    samples = tables["feature_samples"]
    samples = samples[samples["feature"] == feature]
    ages = (samples["date"].max() - samples["date"]) / DAY
    return samples.loc[(ages < oldest_age) & (ages >= newest_age), "value"]


def test_bytes_out_drift_is_detectable(tables):
    recent = feature_window(tables, "bytes_out_log", 14, 0)
    reference = feature_window(tables, "bytes_out_log", 60, 30)
    assert stats.ks_2samp(recent, reference).pvalue < 0.01, "drift in the last 21 days"
    earlier = feature_window(tables, "bytes_out_log", 60, 45)
    later = feature_window(tables, "bytes_out_log", 45, 30)
    assert stats.ks_2samp(earlier, later).pvalue > 0.05, "no drift before the shift"


@pytest.mark.parametrize(
    "feature", ["event_rate", "unique_dest_ports", "asset_criticality", "dwell_time_log"]
)
def test_stable_features_do_not_drift(tables, feature):
    recent = feature_window(tables, feature, 14, 0)
    reference = feature_window(tables, feature, 60, 30)
    assert stats.ks_2samp(recent, reference).pvalue > 0.01, f"{feature} is stable"


def test_severity_mix_shifts_mildly(tables):
    recent = feature_window(tables, "severity", 14, 0).value_counts().sort_index()
    reference = feature_window(tables, "severity", 60, 30).value_counts().sort_index()
    assert stats.chi2_contingency(np.vstack([recent, reference])).pvalue < 0.01
    assert abs(recent.loc[5.0] / recent.sum() - reference.loc[5.0] / reference.sum()) < 0.05
