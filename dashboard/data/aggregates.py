"""The query layer's SOC and GPU figures from sums over rollup cells (dashboard.data.cells).

The engine sums the cells per bucket (dashboard.data.queries); these turn the sums into the
figures the pages show: means are sums over counts, peaks maxima of maxima, shares of counts.
Each gives the same frame as aggregating the raw rows would.
"""

from __future__ import annotations

import pandas as pd


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    numerator = pd.to_numeric(numerator, errors="coerce").astype("float64")
    denominator = pd.to_numeric(denominator, errors="coerce").astype("float64")
    return (numerator / denominator.where(denominator > 0)).astype("float64")


def alert_kpis(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per key (bucket, and model version): alerts, automation_rate, false_positive_rate and
    response_min (mean minutes over the alerts answered)."""
    return pd.DataFrame(
        {
            **{name: sums[name] for name in keys},
            "alerts": sums["alerts"].fillna(0).astype("int64"),
            "automation_rate": _ratio(sums["automated"], sums["alerts"]),
            "false_positive_rate": _ratio(sums["false_positive"], sums["alerts"]),
            "response_min": _ratio(sums["response_sum"], sums["responded"]),
        }
    )


def alert_levels(sums: pd.DataFrame) -> pd.Series:
    """automation_rate, false_positive_rate and response_min of one row of sums."""
    return alert_kpis(sums, []).drop(columns="alerts").iloc[0]


def gpu_trends(sums: pd.DataFrame) -> pd.DataFrame:
    """Per bucket and GPU: mean utilisation and the share of its minutes that were busy."""
    return pd.DataFrame(
        {
            "bucket": sums["bucket"],
            "gpu_id": sums["gpu_id"].astype("int64"),
            "gpu_util_mean": _ratio(sums["util_sum"], sums["util_rows"]),
            "busy_share": _ratio(_float(sums["busy"]).fillna(0.0), sums["rows"]),
        }
    )


def _float(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def fleet_trends(sums: pd.DataFrame) -> pd.DataFrame:
    """Per bucket: utilisation of the whole fleet and while training, memory while training,
    and how many GPUs were busy on average."""
    return pd.DataFrame(
        {
            "bucket": sums["bucket"],
            "gpu_util_all": _ratio(sums["all_util"], sums["all_rows"]),
            "gpu_util_training": _ratio(sums["busy_util"], sums["busy_rows"]),
            "gpu_mem_training_gb": _ratio(sums["busy_mem"], sums["busy_rows"]),
            "gpu_mem_peak_gb": _float(sums["mem_max"]),
            "host_mem_training_gb": _ratio(sums["busy_host"], sums["busy_rows"]),
            "host_mem_peak_gb": _float(sums["host_max"]),
            "gpus_busy": _float(sums["busy_rows"]).fillna(0.0)
            / _float(sums["all_minutes"]).where(_float(sums["all_minutes"]) > 0),
        }
    )


# Of the fleet sums, the maxima: a window's is the maximum of its buckets', the rest add up.
FLEET_MAXIMA = ("total_max", "mem_max", "host_max")


def fleet_totals(sums: pd.DataFrame) -> pd.Series:
    """The fleet sums of a whole window from those of its buckets, as one sum over the window
    gives them: NaN (SQL's NULL) for a measure no cell had, an empty window's included."""
    measures = [column for column in sums.columns if column != "bucket"]
    return pd.Series(
        {
            column: _float(sums[column]).max()
            if column in FLEET_MAXIMA
            else _float(sums[column]).sum(min_count=1)
            for column in measures
        },
        dtype="float64",
    )


def resource_summary(sums: pd.Series, gpus: int) -> pd.Series:
    """Headline figures over a window from one row of fleet sums and the GPUs counted."""
    frame = sums.to_frame().T
    return pd.Series(
        {
            "gpus": float(gpus),
            "gpu_util_training": _ratio(frame["busy_util"], frame["busy_rows"]).iloc[0],
            "gpu_mem_peak_gb": _float(frame["mem_max"]).iloc[0],
            "gpu_mem_total_gb": _float(frame["total_max"]).iloc[0],
            "host_mem_peak_gb": _float(frame["host_max"]).iloc[0],
            "busy_share": _ratio(frame["busy_rows"], frame["all_rows"]).iloc[0],
        },
        dtype="float64",
    )
