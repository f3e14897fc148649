"""The query layer: validated, cached, filtered DataFrames for the pages.

Public functions validate their arguments (ValueError for anything outside the allowed set),
then call a memoised function keyed on the snapshot's version and the normalised arguments,
so equal requests share one cache entry and a data refresh never serves stale results.
"""

from __future__ import annotations

import bisect

import pandas as pd
from flask import current_app

from dashboard.data import aggregates
from dashboard.data.cache import cache
from dashboard.data.filters import (
    ALL_MODELS,
    Window,
    validate_model,
    validate_range,
    window_for,
)
from dashboard.data.rollups import (
    RESOURCE_STEP,
    Rollups,
    alert_cells,
    cells_in,
    model_code,
    resource_cells,
    resource_models,
    rollups_for,
    split_window,
)
from dashboard.data.sources import Snapshot
from dashboard.data.store import store

# Bucket widths that keep every trend at a few hundred to ~1,500 points per series.
TREND_BUCKETS = {"24h": "1h", "7d": "6h", "30d": "1D", "90d": "1D", "all": "1D"}
RESOURCE_BUCKETS = {"24h": "1min", "7d": "10min", "30d": "30min", "90d": "2h", "all": "3h"}
# Start and current levels of a KPI compare the first and last of these periods of the range.
COMPARISON_PERIODS = {
    "24h": pd.Timedelta(hours=3),
    "7d": pd.Timedelta(days=1),
    "30d": pd.Timedelta(days=7),
    "90d": pd.Timedelta(days=7),
    "all": pd.Timedelta(days=7),
}


def snapshot() -> Snapshot:
    return store.snapshot()


def rollups() -> Rollups | None:
    """The current snapshot's rollups, or None when the ROLLUPS setting is off."""
    if not current_app.config.get("ROLLUPS", True):
        return None
    return rollups_for(snapshot())


def prepare() -> None:
    """Load the data and build its rollups now (gunicorn's master, before the workers fork)."""
    snapshot()
    rollups()


def time_slice(frame: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    """Rows of `frame` (sorted by `column`) inside `window`, found by bisection, not a scan."""
    values = frame[column]
    start = 0 if window.start is None else values.searchsorted(window.start, side="left")
    stop = values.searchsorted(window.end, side="left")
    return frame.iloc[start:stop]


def of_model(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    return frame if model == ALL_MODELS else frame[frame["model_type"] == model]


def window(range_key: str) -> Window:
    return window_for(validate_range(range_key), snapshot().as_of)


def data_start() -> pd.Timestamp:
    """The earliest time any alert or session exists: where 'All Time' begins."""
    tables = snapshot().tables
    firsts = [tables["alerts"]["timestamp"].min(), tables["training_sessions"]["started_at"].min()]
    return min(first for first in firsts if pd.notna(first))


# Sessions


def sessions_in_range(range_key: str, model: str) -> pd.DataFrame:
    """Training sessions started in the range, oldest first."""
    return _sessions_in_range(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _sessions_in_range(version: str, range_key: str, model: str) -> pd.DataFrame:
    sessions = time_slice(snapshot().table("training_sessions"), "started_at", window(range_key))
    sessions = of_model(sessions, model).copy()
    sessions["duration_min"] = _duration_minutes(sessions, snapshot().as_of)
    return sessions.reset_index(drop=True)


def _duration_minutes(sessions: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    ended = sessions["ended_at"].fillna(as_of)
    return (ended - sessions["started_at"]).dt.total_seconds() / 60.0


def session_trends(range_key: str, model: str) -> pd.DataFrame:
    """Completed sessions per time bucket: count and mean final accuracy and loss."""
    return _session_trends(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _session_trends(version: str, range_key: str, model: str) -> pd.DataFrame:
    sessions = sessions_in_range(range_key, model)
    completed = sessions[sessions["status"] == "completed"]
    bucket = completed["started_at"].dt.floor(TREND_BUCKETS[range_key]).rename("bucket")
    columns = ["train_accuracy", "val_accuracy", "train_loss", "val_loss"]
    trends = completed.groupby(bucket)[columns].mean()
    trends["sessions"] = completed.groupby(bucket)["session_id"].count()
    return trends.reset_index()


def active_sessions(model: str = ALL_MODELS) -> pd.DataFrame:
    """Sessions running now (independent of the time range), newest first."""
    return _active_sessions(snapshot().version, validate_model(model))


@cache.memoize()
def _active_sessions(version: str, model: str) -> pd.DataFrame:
    sessions = snapshot().table("training_sessions")
    active = of_model(sessions[sessions["status"] == "active"], model).copy()
    active["duration_min"] = _duration_minutes(active, snapshot().as_of)
    progress = session_progress(active["session_id"].tolist())
    active = active.merge(progress, on="session_id", how="left")
    return active.sort_values("started_at", ascending=False).reset_index(drop=True)


class _Bisectable:
    """A column's values as a sequence that `bisect` can search (one element at a time)."""

    def __init__(self, values: pd.api.extensions.ExtensionArray | object) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, position: int) -> object:
        return self.values[position]


def session_span(ids: pd.Series, session_id: str) -> tuple[int, int]:
    """Where one session's rows are in a table sorted by session_id (training_metrics): found
    by bisection, a few dozen lookups instead of comparing every row."""
    values = _Bisectable(ids.array)
    return bisect.bisect_left(values, session_id), bisect.bisect_right(values, session_id)


def session_progress(session_ids: list[str]) -> pd.DataFrame:
    """Per session: the last logged epoch as a share of its planned epochs."""
    metrics = snapshot().table("training_metrics")
    rows = [metrics.iloc[slice(*session_span(metrics["session_id"], sid))] for sid in session_ids]
    rows = pd.concat(rows) if rows else metrics.iloc[:0]
    epochs = rows[rows["metric"] == "epoch"]
    last_epoch = epochs.groupby("session_id", observed=True)["value"].max().rename("epoch")
    planned = snapshot().table("training_sessions").set_index("session_id")["epochs"]
    frame = last_epoch.to_frame()
    frame["progress"] = (frame["epoch"] / planned.reindex(frame.index)).clip(upper=1.0)
    return frame.reset_index()


def session_exists(session_id: object) -> bool:
    if not isinstance(session_id, str) or len(session_id) > 64:
        return False
    return bool((snapshot().table("training_sessions")["session_id"] == session_id).any())


def session_summary(session_id: str) -> pd.Series:
    """The training_sessions row of one session."""
    if not session_exists(session_id):
        raise ValueError(f"unknown training session {str(session_id)[:64]!r}")
    sessions = snapshot().table("training_sessions")
    return sessions[sessions["session_id"] == session_id].iloc[0]


def session_metrics(session_id: str) -> pd.DataFrame:
    """The metric history of one session: columns step, timestamp, metric, value."""
    if not session_exists(session_id):
        raise ValueError(f"unknown training session {str(session_id)[:64]!r}")
    return _session_metrics(snapshot().version, session_id)


@cache.memoize()
def _session_metrics(version: str, session_id: str) -> pd.DataFrame:
    metrics = snapshot().table("training_metrics")
    # training_metrics is sorted by session_id, so one session's rows are one contiguous run.
    start, stop = session_span(metrics["session_id"], session_id)
    return metrics.iloc[start:stop].reset_index(drop=True)


def session_resources(session_id: str) -> pd.DataFrame:
    """Per-minute GPU rows of one session (timestamp, gpu_id, utilisation and memory)."""
    if not session_exists(session_id):
        raise ValueError(f"unknown training session {str(session_id)[:64]!r}")
    return _session_resources(snapshot().version, session_id)


@cache.memoize()
def _session_resources(version: str, session_id: str) -> pd.DataFrame:
    session = session_summary(session_id)
    started, ended = session["started_at"], session["ended_at"]
    end = snapshot().as_of if pd.isna(ended) else ended
    rows = time_slice(snapshot().table("resource_usage"), "timestamp", Window(started, end))
    return rows[rows["session_id"] == session_id].reset_index(drop=True)


# Versions and live SOC alerts


def model_versions() -> pd.DataFrame:
    return snapshot().table("model_versions")


def current_version() -> pd.Series | None:
    """The latest stable release, or None when there is none."""
    versions = model_versions()
    stable = versions[versions["status"] == "stable"]
    return None if stable.empty else stable.iloc[-1]


def alerts_in_range(range_key: str, model: str) -> pd.DataFrame:
    alerts = time_slice(snapshot().table("alerts"), "timestamp", window(validate_range(range_key)))
    return of_model(alerts, validate_model(model))


def alert_trends(range_key: str, model: str) -> pd.DataFrame:
    """SOC KPIs per time bucket: alerts, automation_rate, false_positive_rate, response_min."""
    return _alert_trends(snapshot().version, validate_range(range_key), validate_model(model))


def _kpi_aggregate(alerts: pd.DataFrame, keys: list[object]) -> pd.DataFrame:
    grouped = alerts.groupby(keys, observed=True)
    return pd.DataFrame(
        {
            "alerts": grouped["alert_id"].count(),
            "automation_rate": grouped["automated"].mean(),
            "false_positive_rate": grouped["false_positive"].mean(),
            "response_min": grouped["response_time_min"].mean(),
        }
    )


def _alert_cells(span: Window, model: str) -> pd.DataFrame | None:
    """Alert cells (dashboard.data.rollups) of the window and model, None without rollups."""
    rolled = rollups()
    if rolled is None:
        return None
    cells = cells_in(snapshot().table("alerts"), "timestamp", span, rolled.alerts, alert_cells)
    return cells if model == ALL_MODELS else cells[cells["model"] == model_code(model)]


@cache.memoize()
def _alert_trends(version: str, range_key: str, model: str) -> pd.DataFrame:
    cells = _alert_cells(window(range_key), model)
    if cells is not None:
        return aggregates.alert_kpis(cells, TREND_BUCKETS[range_key])
    alerts = alerts_in_range(range_key, model)
    bucket = alerts["timestamp"].dt.floor(TREND_BUCKETS[range_key]).rename("bucket")
    return _kpi_aggregate(alerts, [bucket]).reset_index()


def alert_kpi_change(range_key: str, model: str) -> pd.DataFrame:
    """Each KPI's level in the first and the last comparison period of the range, and change.

    Index: automation_rate, false_positive_rate, response_min; columns: start, current, change,
    plus `period` (a Timedelta) in `attrs`.
    """
    return _alert_kpi_change(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _alert_kpi_change(version: str, range_key: str, model: str) -> pd.DataFrame:
    period = COMPARISON_PERIODS[range_key]
    span = window(range_key)
    start = span.start if span.start is not None else data_start()
    first_span, last_span = Window(start, start + period), Window(span.end - period, span.end)
    first_cells = _alert_cells(first_span, model)
    if first_cells is not None:
        levels = pd.DataFrame(
            {
                "start": aggregates.alert_levels(first_cells),
                "current": aggregates.alert_levels(_alert_cells(last_span, model)),
            }
        ).rename_axis(columns="p")
    else:
        alerts = alerts_in_range(range_key, model)
        first = time_slice(alerts, "timestamp", first_span)
        last = time_slice(alerts, "timestamp", last_span)
        both = pd.concat([first.assign(p="start"), last.assign(p="current")])
        levels = _kpi_aggregate(both, ["p"])
        levels = levels.drop(columns="alerts").T.reindex(columns=["start", "current"])
    levels["change"] = levels["current"] - levels["start"]
    levels.attrs["period"] = period
    return levels


def version_trends(range_key: str, model: str) -> pd.DataFrame:
    """Live SOC KPIs per bucket and model version (each version's incremental learning)."""
    return _version_trends(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _version_trends(version: str, range_key: str, model: str) -> pd.DataFrame:
    cells = _alert_cells(window(range_key), model)
    if cells is not None:
        return aggregates.alert_kpis(cells, TREND_BUCKETS[range_key], by_version=True)
    alerts = alerts_in_range(range_key, model)
    bucket = alerts["timestamp"].dt.floor(TREND_BUCKETS[range_key]).rename("bucket")
    return _kpi_aggregate(alerts, [bucket, alerts["model_version"]]).reset_index()


# Experiments


def experiments() -> pd.DataFrame:
    return snapshot().table("experiments")


def version_table(model: str) -> pd.DataFrame:
    """Each version in the treatment arm of its release experiment, with n per metric."""
    return _version_table(snapshot().version, validate_model(model))


@cache.memoize()
def _version_table(version: str, model: str) -> pd.DataFrame:
    exp_alerts = of_model(snapshot().table("experiment_alerts"), model)
    treated = exp_alerts[exp_alerts["arm"] == "treatment"]
    grouped = treated.groupby(["experiment_id", "model_version"], observed=True)
    table = pd.DataFrame(
        {
            "alerts": grouped["alert_id"].count(),
            "accuracy": grouped["correct"].mean(),
            "automation_rate": grouped["automated"].mean(),
            "false_positive_rate": grouped["false_positive"].mean(),
            "response_min": grouped["response_time_min"].mean(),
            "responded": grouped["response_time_min"].count(),
        }
    ).reset_index()
    table = table.rename(columns={"model_version": "version"})
    versions = model_versions()[["version", "released_at", "status"]]
    table = table.merge(versions, on="version", how="left")
    return table.sort_values("released_at", na_position="last").reset_index(drop=True)


# Resources


def resource_trends(range_key: str, model: str) -> pd.DataFrame:
    """Per bucket and GPU: mean utilisation and the share of minutes a session ran.

    With a model type selected, only the minutes its sessions ran count.
    """
    return _resource_trends(snapshot().version, validate_range(range_key), validate_model(model))


def _resource_cells(span: Window) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Fleet and GPU cells (dashboard.data.rollups) of the window, None without rollups."""
    rolled = rollups()
    if rolled is None:
        return None
    table = snapshot().table("resource_usage")
    sessions = snapshot().table("training_sessions")
    body, raw = split_window(table, "timestamp", span, rolled.fleet)
    parts = [resource_cells(rows, sessions) for rows in raw]
    if body is not None:
        parts.insert(0, (rolled.fleet.between(*body), rolled.gpus.between(*body)))
    if len(parts) == 1:
        return parts[0]
    return tuple(pd.concat(cells, ignore_index=True) for cells in zip(*parts, strict=True))


def _rolled_bucket(range_key: str) -> bool:
    """Whether the range's resource buckets are whole rollup bins."""
    return pd.Timedelta(RESOURCE_BUCKETS[range_key]) % RESOURCE_STEP == pd.Timedelta(0)


@cache.memoize()
def _resource_trends(version: str, range_key: str, model: str) -> pd.DataFrame:
    cells = _resource_cells(window(range_key)) if _rolled_bucket(range_key) else None
    if cells is not None:
        return aggregates.gpu_trends(cells[1], model, RESOURCE_BUCKETS[range_key])
    rows = _resource_rows(range_key, model)
    bucket = rows["timestamp"].dt.floor(RESOURCE_BUCKETS[range_key]).rename("bucket")
    grouped = rows.groupby([bucket, rows["gpu_id"]], observed=True)
    trends = pd.DataFrame(
        {
            "gpu_util_mean": grouped["gpu_util"].mean(),
            "busy_share": grouped["session_id"].count() / grouped["timestamp"].count(),
        }
    )
    return trends.reset_index()


def fleet_trends(range_key: str, model: str) -> pd.DataFrame:
    """Per bucket over all GPUs: utilisation overall and while training, GPUs busy, memory."""
    return _fleet_trends(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _fleet_trends(version: str, range_key: str, model: str) -> pd.DataFrame:
    cells = _resource_cells(window(range_key)) if _rolled_bucket(range_key) else None
    if cells is not None:
        return aggregates.fleet_trends(cells[0], model, RESOURCE_BUCKETS[range_key])
    rows = _resource_rows(range_key, model)
    bucket = rows["timestamp"].dt.floor(RESOURCE_BUCKETS[range_key])
    busy = rows["session_id"].notna()
    minutes_per_bucket = rows.groupby(bucket)["timestamp"].nunique()
    overall = rows.groupby(bucket).agg(gpu_util_all=("gpu_util", "mean"))
    training = (
        rows[busy]
        .groupby(bucket[busy])
        .agg(
            gpu_util_training=("gpu_util", "mean"),
            gpu_mem_training_gb=("gpu_mem_used_gb", "mean"),
            gpu_mem_peak_gb=("gpu_mem_used_gb", "max"),
            host_mem_training_gb=("host_mem_used_gb", "mean"),
            host_mem_peak_gb=("host_mem_used_gb", "max"),
            busy_gpu_minutes=("gpu_id", "count"),
        )
    )
    trends = overall.join(training, how="left")
    trends["gpus_busy"] = trends["busy_gpu_minutes"].fillna(0) / minutes_per_bucket
    return trends.drop(columns="busy_gpu_minutes").rename_axis("bucket").reset_index()


def _resource_rows(range_key: str, model: str) -> pd.DataFrame:
    rows = time_slice(snapshot().table("resource_usage"), "timestamp", window(range_key))
    if model == ALL_MODELS:
        return rows
    models = resource_models(rows, snapshot().table("training_sessions"))
    return rows[models == model_code(model)]


def resource_summary(range_key: str, model: str) -> pd.Series:
    """Headline resource figures over the range: utilisation while training, memory, idle."""
    return _resource_summary(snapshot().version, validate_range(range_key), validate_model(model))


@cache.memoize()
def _resource_summary(version: str, range_key: str, model: str) -> pd.Series:
    cells = _resource_cells(window(range_key))
    if cells is not None:
        return aggregates.resource_summary(*cells, model)
    rows = _resource_rows(range_key, model)
    busy = rows[rows["session_id"].notna()]
    return pd.Series(
        {
            "gpus": rows["gpu_id"].nunique(),
            "gpu_util_training": busy["gpu_util"].mean(),
            "gpu_mem_peak_gb": busy["gpu_mem_used_gb"].max(),
            "gpu_mem_total_gb": rows["gpu_mem_total_gb"].max(),
            "host_mem_peak_gb": busy["host_mem_used_gb"].max(),
            "busy_share": len(busy) / len(rows) if len(rows) else float("nan"),
        },
        dtype="float64",
    )
