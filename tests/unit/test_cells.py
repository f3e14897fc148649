"""Trends read from the ingest's rollup cells equal the aggregation of the raw rows."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.analysis.response_time import response_time_estimate
from dashboard.data import queries
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
