"""Trends read from the ingest's rollup cells equal the aggregation of the raw rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.response_time import response_time_estimate
from dashboard.data import aggregates, queries
from dashboard.data.filters import Window
from dashboard.domain import TIME_RANGES
from tests.helpers import stored_table

pytestmark = pytest.mark.usefixtures("app_context")


def _in(frame: pd.DataFrame, range_key: str) -> pd.DataFrame:
    span = queries.window(range_key)
    times = frame["timestamp"]
    inside = times < span.end
    if span.start is not None:
        inside &= times >= span.start
    return frame[inside.to_numpy()]


@pytest.mark.parametrize("range_key", list(TIME_RANGES))
@pytest.mark.parametrize("model", ["all", "incident_classification"])
def test_alert_trends_equal_the_raw_aggregation(range_key, model):
    alerts = _in(stored_table("alerts"), range_key)
    if model != "all":
        alerts = alerts[alerts["model_type"] == model]
    bucket = alerts["timestamp"].dt.floor(queries.TREND_BUCKETS[range_key]).rename("bucket")
    grouped = alerts.groupby(bucket)
    raw = pd.DataFrame(
        {
            "alerts": grouped["alert_id"].count(),
            "automation_rate": grouped["automated"].mean(),
            "false_positive_rate": grouped["false_positive"].mean(),
            "response_min": grouped["response_time_min"].mean(),
        }
    ).reset_index()
    trends = queries.alert_trends(range_key, model)
    answered = trends["open"] == 0
    raw["open"] = grouped["response_time_min"].apply(lambda r: r.isna().sum()).to_numpy()
    pd.testing.assert_frame_equal(
        trends[answered.to_numpy()].reset_index(drop=True),
        raw[answered.to_numpy()].reset_index(drop=True),
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
    )
    # Buckets with open alerts: every figure but the response time is the raw one; the
    # response time counts the open alerts as waiting since their timestamp (Kaplan-Meier).
    waiting = trends[~answered].reset_index(drop=True)
    expected = raw[~answered.to_numpy()].reset_index(drop=True)
    columns = ["bucket", "alerts", "automation_rate", "false_positive_rate", "open"]
    pd.testing.assert_frame_equal(waiting[columns], expected[columns], check_dtype=False)
    for row in waiting.itertuples():
        rows = alerts[bucket == row.bucket]
        still_open = rows["response_time_min"].isna()
        waited = (queries.as_of() - rows["timestamp"]).dt.total_seconds() / 60.0
        durations = rows["response_time_min"].where(~still_open, waited)
        estimate = response_time_estimate(durations.to_numpy(), (~still_open).to_numpy())
        assert row.response_min == pytest.approx(estimate["restricted_mean"])


def _usage_with_models() -> pd.DataFrame:
    usage = stored_table("resource_usage")
    models = stored_table("training_sessions").set_index("session_id")["model_type"]
    return usage.assign(model=usage["session_id"].map(models).astype("string"))


@pytest.mark.parametrize("points", [queries.TREND_POINTS, 500])
@pytest.mark.parametrize("range_key", ["24h", "7d", "30d"])
def test_fleet_trends_equal_the_raw_aggregation(range_key, points):
    usage = _in(_usage_with_models(), range_key)
    width = queries.fleet_trend_bucket(range_key, points)
    if points == queries.TREND_POINTS:
        assert width == pd.Timedelta(queries.RESOURCE_BUCKETS[range_key])
    else:  # a chart of 500 px: wider buckets, from raw rows (24h) or stored cells (30d)
        assert width > pd.Timedelta(queries.RESOURCE_BUCKETS[range_key])
    bucket = usage["timestamp"].dt.floor(width).rename("bucket")
    busy = usage["session_id"].notna()
    minutes = usage.groupby(bucket)["timestamp"].nunique()
    raw = pd.DataFrame(
        {
            "gpu_util_all": usage.groupby(bucket)["gpu_util"].mean(),
            "gpu_util_training": usage[busy].groupby(bucket[busy])["gpu_util"].mean(),
            "gpu_mem_peak_gb": usage[busy].groupby(bucket[busy])["gpu_mem_used_gb"].max(),
            "gpus_busy": busy.groupby(bucket).sum() / minutes,
        }
    )
    trends = queries.fleet_trends(range_key, "all", points).set_index("bucket")
    assert len(trends) <= points
    for column in raw.columns:
        pd.testing.assert_series_equal(
            trends[column],
            raw[column],
            check_dtype=False,
            check_exact=False,
            rtol=1e-6,
            check_names=False,
            obj=column,
        )


@pytest.mark.parametrize("model", ["all", "threat_detection"])
def test_per_gpu_trends_equal_the_raw_aggregation(model):
    usage = _in(_usage_with_models(), "7d")
    bucket = usage["timestamp"].dt.floor(queries.RESOURCE_BUCKETS["7d"]).rename("bucket")
    keys = [bucket, usage["gpu_id"]]
    counted = usage if model == "all" else usage[usage["model"] == model]
    busy = usage["session_id"].notna() if model == "all" else usage["model"] == model
    raw = pd.DataFrame(
        {
            "gpu_util_mean": counted.groupby([bucket[counted.index], counted["gpu_id"]])[
                "gpu_util"
            ].mean(),
            "busy_share": busy.groupby(keys).sum() / usage.groupby(keys)["timestamp"].count(),
        }
    )
    trends = queries.resource_trends("7d", model).set_index(["bucket", "gpu_id"])
    pd.testing.assert_series_equal(
        trends["busy_share"],
        raw["busy_share"],
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
        check_names=False,
    )
    shared = raw["gpu_util_mean"].dropna().index
    pd.testing.assert_series_equal(
        trends.loc[shared, "gpu_util_mean"],
        raw.loc[shared, "gpu_util_mean"],
        check_dtype=False,
        check_exact=False,
        rtol=1e-6,
        check_names=False,
    )


def _raw_resource_summary(usage: pd.DataFrame, model: str) -> pd.Series:
    """The headline resource figures aggregated from the raw telemetry rows of a window."""
    busy = usage[usage["session_id"].notna() if model == "all" else usage["model"] == model]
    gpus = usage if model == "all" else busy
    telemetry = ["gpu_util", "gpu_mem_used_gb", "gpu_mem_total_gb", "host_mem_used_gb"]
    every, busy = usage[telemetry].astype("float64"), busy[telemetry].astype("float64")
    return pd.Series(
        {
            "gpus": float(gpus["gpu_id"].nunique()),
            "gpu_util_training": busy["gpu_util"].mean(),
            "gpu_mem_peak_gb": busy["gpu_mem_used_gb"].max(),
            "gpu_mem_total_gb": every["gpu_mem_total_gb"].max(),
            "host_mem_peak_gb": busy["host_mem_used_gb"].max(),
            "busy_share": len(busy) / len(every) if len(every) else np.nan,
        }
    )


# The charts' points a Resources view passes: the default (downsampling off) and a 1366 px
# window's, whose 24h and 7d buckets are not whole half hours (cells from raw rows).
@pytest.mark.parametrize("points", [queries.TREND_POINTS, 500])
@pytest.mark.parametrize("model", ["all", "threat_detection"])
@pytest.mark.parametrize("range_key", list(TIME_RANGES))
def test_the_resource_summary_totals_the_raw_rows_of_the_window(range_key, model, points):
    expected = _raw_resource_summary(_in(_usage_with_models(), range_key), model)
    summary = queries.resource_summary(range_key, model, points)
    pd.testing.assert_series_equal(summary, expected, check_exact=False, rtol=1e-9)


def test_an_empty_window_has_no_resource_figures_but_its_gpus():
    after = queries.as_of() + pd.Timedelta(days=1)
    nothing = Window(after, after + pd.Timedelta(hours=6))
    sums = queries._bucketed_fleet_sums(nothing, "all", pd.Timedelta("10min"))
    assert sums.empty
    summary = aggregates.resource_summary(aggregates.fleet_totals(sums), 0)
    assert summary["gpus"] == 0.0
    assert summary.drop("gpus").isna().all()


def test_window_totals_add_the_sums_and_take_the_maximum_of_the_maxima():
    buckets = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-11-26 10:00", "2026-11-26 11:00"], utc=True),
            "busy_rows": [3, 4],
            "busy_util": [1.5, np.nan],
            "mem_max": [np.nan, 7.0],
            "host_max": [np.nan, np.nan],
        }
    )
    totals = aggregates.fleet_totals(buckets)
    expected = pd.Series({"busy_rows": 7.0, "busy_util": 1.5, "mem_max": 7.0, "host_max": np.nan})
    pd.testing.assert_series_equal(totals, expected)
