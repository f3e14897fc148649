"""The query layer's SOC and GPU aggregates computed from rollup cells (dashboard.data.rollups).

Each function gives the same frame as the raw aggregation in `queries` for the same rows:
means are sums over counts, peaks are maxima of maxima, distinct minutes add up over bins.
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.filters import ALL_MODELS
from dashboard.data.rollups import ANY, BUSY_CODES, IDLE, model_code


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def _kpis(sums: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alerts": sums["alerts"],
            "automation_rate": _ratio(sums["automated"], sums["alerts"]),
            "false_positive_rate": _ratio(sums["false_positive"], sums["alerts"]),
            "response_min": _ratio(sums["response_sum"], sums["responded"]),
        }
    )


ALERT_SUMS = ["alerts", "automated", "false_positive", "responded", "response_sum"]


def alert_kpis(cells: pd.DataFrame, bucket: str, by_version: bool = False) -> pd.DataFrame:
    """Per bucket (and model version): alerts, automation_rate, false_positive_rate and
    response_min, as `queries.alert_trends` and `queries.version_trends` give them."""
    keys = [cells["bin"].dt.floor(bucket).rename("bucket")]
    if by_version:
        keys.append(cells["model_version"])
    sums = cells.groupby(keys, observed=True)[ALERT_SUMS].sum()
    return _kpis(sums).reset_index()


def alert_levels(cells: pd.DataFrame) -> pd.Series:
    """automation_rate, false_positive_rate and response_min over all `cells`."""
    sums = cells[ALERT_SUMS].sum().to_frame().T
    return _kpis(sums).drop(columns="alerts").iloc[0]


def _codes(model: str, busy: bool) -> list[int]:
    if model != ALL_MODELS:
        return [model_code(model)]
    return list(BUSY_CODES) if busy else [ANY]


def fleet_trends(cells: pd.DataFrame, model: str, bucket: str) -> pd.DataFrame:
    """`queries.fleet_trends` from fleet cells."""
    buckets = cells["bin"].dt.floor(bucket).rename("bucket")
    overall_rows = cells["code"].isin(_codes(model, busy=False))
    training_rows = cells["code"].isin(_codes(model, busy=True))
    overall = (
        cells[overall_rows].groupby(buckets[overall_rows])[["rows", "util_sum", "minutes"]].sum()
    )
    grouped = cells[training_rows].groupby(buckets[training_rows])
    sums = grouped[["rows", "util_sum", "mem_sum", "host_sum"]].sum()
    peaks = grouped[["mem_max", "host_max"]].max()
    training = pd.DataFrame(
        {
            "gpu_util_training": _ratio(sums["util_sum"], sums["rows"]),
            "gpu_mem_training_gb": _ratio(sums["mem_sum"], sums["rows"]),
            "gpu_mem_peak_gb": peaks["mem_max"],
            "host_mem_training_gb": _ratio(sums["host_sum"], sums["rows"]),
            "host_mem_peak_gb": peaks["host_max"],
            "busy_gpu_minutes": sums["rows"],
        }
    )
    trends = pd.DataFrame({"gpu_util_all": _ratio(overall["util_sum"], overall["rows"])})
    trends = trends.join(training, how="left")
    trends["gpus_busy"] = trends["busy_gpu_minutes"].fillna(0) / overall["minutes"]
    return trends.drop(columns="busy_gpu_minutes").rename_axis("bucket").reset_index()


def gpu_trends(cells: pd.DataFrame, model: str, bucket: str) -> pd.DataFrame:
    """`queries.resource_trends` from GPU cells: per bucket and GPU, mean utilisation and the
    share of rows with a session."""
    if model != ALL_MODELS:
        cells = cells[cells["code"] == model_code(model)]
    busy_rows = cells["rows"].where(cells["code"] != IDLE, 0)
    keys = [cells["bin"].dt.floor(bucket).rename("bucket"), cells["gpu_id"]]
    sums = cells.assign(busy=busy_rows).groupby(keys)[["rows", "util_sum", "busy"]].sum()
    trends = pd.DataFrame(
        {
            "gpu_util_mean": _ratio(sums["util_sum"], sums["rows"]),
            "busy_share": _ratio(sums["busy"], sums["rows"]),
        }
    )
    return trends.reset_index()


def resource_summary(fleet: pd.DataFrame, gpus: pd.DataFrame, model: str) -> pd.Series:
    """`queries.resource_summary` from fleet and GPU cells of the window."""
    overall = fleet[fleet["code"].isin(_codes(model, busy=False))]
    busy = fleet[fleet["code"].isin(_codes(model, busy=True))]
    if model != ALL_MODELS:
        gpus = gpus[gpus["code"] == model_code(model)]
    rows, busy_rows = overall["rows"].sum(), busy["rows"].sum()
    nothing = float("nan")
    return pd.Series(
        {
            "gpus": gpus.loc[gpus["rows"] > 0, "gpu_id"].nunique(),
            "gpu_util_training": busy["util_sum"].sum() / busy_rows if busy_rows else nothing,
            "gpu_mem_peak_gb": busy["mem_max"].max(),
            "gpu_mem_total_gb": overall["total_max"].max(),
            "host_mem_peak_gb": busy["host_max"].max(),
            "busy_share": busy_rows / rows if rows else nothing,
        },
        dtype="float64",
    )
