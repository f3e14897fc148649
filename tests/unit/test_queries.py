"""The query layer: filters, validation, time slicing by bisection, caching, calibration."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest

from dashboard.data import quality, queries
from dashboard.data.cache import cache
from dashboard.data.filters import Window, window_for
from dashboard.domain import MODEL_LABELS, TIME_RANGES
from simulator.schema import MODEL_TYPES
from tests.helpers import stored_table

pytestmark = pytest.mark.usefixtures("app_context")


def as_of() -> pd.Timestamp:
    return queries.as_of()


@pytest.mark.parametrize("range_key", list(TIME_RANGES))
def test_sessions_in_range_start_inside_the_window(range_key):
    sessions = queries.sessions_in_range(range_key, "all")
    span = window_for(range_key, as_of())
    assert not sessions.empty
    assert (sessions["started_at"] < span.end).all()
    if span.start is not None:
        assert (sessions["started_at"] >= span.start).all()


def test_longer_ranges_hold_more_sessions():
    counts = [
        len(queries.sessions_in_range(key, "all")) for key in ("24h", "7d", "30d", "90d", "all")
    ]
    assert counts == sorted(counts) and counts[0] < counts[-1]


@pytest.mark.parametrize("model", MODEL_TYPES)
def test_model_filter_keeps_only_that_model_type(model):
    sessions = queries.sessions_in_range("30d", model)
    alerts = queries.alerts_in_range("7d", model)
    assert not sessions.empty and set(sessions["model_type"]) == {model}
    assert not alerts.empty and set(alerts["model_type"].astype(str)) == {model}


def test_model_filters_partition_all_models():
    total = len(queries.sessions_in_range("90d", "all"))
    assert sum(len(queries.sessions_in_range("90d", model)) for model in MODEL_TYPES) == total


@pytest.mark.parametrize("bad", ["365d", "", "ALL", None, 30, ["30d"], {"range": "30d"}])
def test_unknown_range_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="unknown time range"):
        queries.sessions_in_range(bad, "all")


@pytest.mark.parametrize("bad", ["malware", "<script>", None, 1, ["all"]])
def test_unknown_model_type_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="unknown model type"):
        queries.alert_trends("30d", bad)


def test_unknown_session_is_a_clear_value_error():
    with pytest.raises(ValueError, match="unknown training session"):
        queries.session_metrics("TS-does-not-exist")


def test_time_slice_equals_a_full_scan():
    alerts = stored_table("alerts")
    span = Window(as_of() - pd.Timedelta(days=3), as_of() - pd.Timedelta(days=1))
    sliced = queries.time_slice(alerts, "timestamp", span)
    scanned = alerts[(alerts["timestamp"] >= span.start) & (alerts["timestamp"] < span.end)]
    pd.testing.assert_frame_equal(sliced, scanned)


def test_equal_requests_share_one_cache_entry():
    with mock.patch.object(queries, "fetch", wraps=queries.fetch) as spy:
        first = queries.sessions_in_range("7d", "threat_detection")
        calls = spy.call_count
        again = queries.sessions_in_range("7d", "threat_detection")
        assert spy.call_count == calls, "the second equal request was computed again"
        queries.sessions_in_range("7d", "response_automation")
        assert spy.call_count > calls, "a different request must not hit the same entry"
    pd.testing.assert_frame_equal(first, again)


def test_session_metrics_are_that_sessions_rows_in_step_order():
    session_id = queries.sessions_in_range("7d", "all")["session_id"].iloc[0]
    metrics = queries.session_metrics(session_id)
    assert set(metrics["session_id"]) == {session_id}
    assert metrics.groupby("metric")["step"].apply(lambda s: s.is_monotonic_increasing).all()


def test_an_active_session_has_progress_between_zero_and_one():
    active = queries.active_sessions("all")
    assert len(active) >= 1
    assert active["progress"].between(0, 1).all()
    assert active["ended_at"].isna().all()


def test_live_kpis_over_90_days_match_the_brief():
    change = queries.alert_kpi_change("90d", "all")
    assert change.loc["automation_rate", "start"] == pytest.approx(0.35, abs=0.02)
    assert change.loc["automation_rate", "current"] == pytest.approx(0.50, abs=0.02)
    assert change.loc["false_positive_rate", "start"] == pytest.approx(0.85, abs=0.02)
    assert change.loc["false_positive_rate", "current"] == pytest.approx(0.70, abs=0.02)
    assert change.loc["response_min", "start"] == pytest.approx(12.0, abs=0.5)
    assert change.loc["response_min", "current"] == pytest.approx(8.0, abs=0.5)


def test_alert_trends_count_every_alert_in_the_range():
    trends = queries.alert_trends("30d", "all")
    assert trends["alerts"].sum() == len(queries.alerts_in_range("30d", "all"))


def test_quality_last_week_matches_the_brief_with_its_deltas():
    summary = quality.quality_summary("7d", "all")
    expected = {
        "quality_score": (0.942, 0.021),
        "label_accuracy": (0.968, 0.015),
        "completeness": (0.913, 0.032),
        "feature_coverage": (0.897, 0.028),
        "outlier_detection": (0.874, 0.041),
        "diversity": (0.921, 0.018),
        "class_balance": (0.889, 0.023),
    }
    for indicator, (level, delta) in expected.items():
        assert summary.loc[indicator, "current"] == pytest.approx(level, abs=0.005), indicator
        assert summary.loc[indicator, "change"] == pytest.approx(delta, abs=0.005), indicator
    assert summary.loc["freshness_days", "current"] == pytest.approx(2.3, abs=0.2)
    assert summary.loc["freshness_days", "change"] == pytest.approx(-0.5, abs=0.2)


def test_quality_for_all_time_has_no_previous_period():
    summary = quality.quality_summary("all", "all")
    assert summary["previous"].isna().all() and summary["current"].notna().all()


def test_version_table_matches_the_brief():
    table = queries.version_table("all").set_index("version")
    brief = {
        "v4.1.0": (0.82, 0.28, 0.78, 9.2),
        "v4.2.0": (0.85, 0.32, 0.75, 8.8),
        "v5.0.0": (0.87, 0.38, 0.72, 8.1),
        "v5.1.0": (0.89, 0.41, 0.69, 7.6),
        "v5.2.1": (0.90, 0.44, 0.66, 7.2),
    }
    for version, (accuracy, automation, false_positive, response) in brief.items():
        row = table.loc[version]
        assert row["accuracy"] == pytest.approx(accuracy, abs=0.02), version
        assert row["automation_rate"] == pytest.approx(automation, abs=0.02), version
        assert row["false_positive_rate"] == pytest.approx(false_positive, abs=0.02), version
        assert row["response_min"] == pytest.approx(response, abs=0.4), version


def test_total_samples_in_the_last_30_days_is_of_the_briefs_order():
    total = queries.sessions_in_range("30d", "all")["samples"].sum()
    assert total == pytest.approx(1.28e11, rel=0.10)


def test_resource_trends_cover_every_gpu_and_respect_the_model_filter():
    trends = queries.resource_trends("24h", "all")
    assert set(trends["gpu_id"]) == set(stored_table("resource_usage")["gpu_id"])
    busy = queries.resource_summary("7d", "threat_detection")
    assert 0.70 <= busy["gpu_util_training"] <= 0.95


def test_busy_share_of_a_model_is_its_share_of_all_fleet_gpu_minutes():
    span = queries.window("7d")
    usage = stored_table("resource_usage")
    usage = usage[(usage["timestamp"] >= span.start) & (usage["timestamp"] < span.end)]
    sessions = stored_table("training_sessions").set_index("session_id")["model_type"]
    models = usage["session_id"].map(sessions)
    shares = {}
    for model in MODEL_TYPES:
        expected = (models == model).sum() / len(usage)
        shares[model] = queries.resource_summary("7d", model)["busy_share"]
        assert shares[model] == pytest.approx(expected)
        assert shares[model] < 1.0
    everything = queries.resource_summary("7d", "all")["busy_share"]
    assert sum(shares.values()) == pytest.approx(everything)


def test_the_current_version_is_the_latest_stable_release():
    assert queries.current_version()["version"] == "v5.2.1"


def test_every_model_label_is_accepted():
    for model in MODEL_LABELS:
        queries.alert_trends("24h", model)


@pytest.mark.parametrize(("range_key", "period"), [("24h", "1D"), ("7d", "7D")])
def test_short_ranges_compare_whole_days_against_the_period_before(range_key, period):
    length = pd.Timedelta(period)
    change = queries.alert_kpi_change(range_key, "all")
    end = queries.window(range_key).end
    alerts = stored_table("alerts")

    def level(start, stop, column):
        rows = alerts[(alerts["timestamp"] >= start) & (alerts["timestamp"] < stop)]
        return rows[column].mean()

    assert change.attrs["compared_with"] == queries.PREVIOUS
    for kpi, column in (
        ("automation_rate", "automated"),
        ("false_positive_rate", "false_positive"),
    ):
        assert change.loc[kpi, "start"] == pytest.approx(
            level(end - 2 * length, end - length, column)
        )
        assert change.loc[kpi, "current"] == pytest.approx(level(end - length, end, column))


def test_open_alerts_count_as_waiting_in_the_current_response_time():
    change = queries.alert_kpi_change("24h", "all")
    assert change.attrs["open"] > 0, "the simulated now has alerts still open"
    end = queries.window("24h").end
    alerts = stored_table("alerts")
    rows = alerts[alerts["timestamp"] >= end - pd.Timedelta(days=1)]
    answered = rows["response_time_min"].notna()
    assert int((~answered).sum()) == change.attrs["open"]
    waited = (queries.as_of() - rows["timestamp"]).dt.total_seconds() / 60.0
    durations = rows["response_time_min"].where(answered, waited)
    # Checked against statsmodels' Kaplan-Meier curve directly: the area under it.
    from statsmodels.duration.survfunc import SurvfuncRight

    curve = SurvfuncRight(durations.to_numpy(), answered.to_numpy().astype(int))
    times = np.concatenate([[0.0], curve.surv_times, [durations.max()]])
    levels = np.concatenate([[1.0], curve.surv_prob])
    area = float(np.sum(np.diff(np.minimum(times, durations.max())) * levels))
    assert change.loc["response_min", "current"] == pytest.approx(area)


def test_a_fleet_too_large_for_its_buckets_gets_whole_half_hours_that_fit_the_chart():
    fine = queries.resource_trends("7d", "all")
    gpus = fine["gpu_id"].nunique()
    cache.clear()
    try:
        with mock.patch.object(queries, "GPU_TREND_CELLS", gpus * 100):
            bucket = queries.gpu_trend_bucket("7d")
            coarse = queries.resource_trends("7d", "all")
    finally:
        cache.clear()
    assert queries.gpu_trend_bucket("7d") == pd.Timedelta("10min")  # the range's own
    assert bucket % pd.Timedelta("30min") == pd.Timedelta(0) and bucket > pd.Timedelta("1h")
    assert len(coarse) <= gpus * 100 < len(fine)
    assert set(coarse["gpu_id"]) == set(fine["gpu_id"])
    # the same GPU-minutes, summed into wider buckets
    gap = coarse["bucket"].drop_duplicates().diff().dropna()
    assert (gap % bucket == pd.Timedelta(0)).all()
