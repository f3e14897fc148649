"""Day plans and their views as of a moment.

A plan holds the whole history up to the end of one UTC day, so it is generated once a day;
`as_of` cuts it at `now`, so data for a past moment never changes while the day goes on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from simulator.alerts import simulate_alerts
from simulator.clock import US_PER_DAY, US_PER_MINUTE, as_utc, to_micros
from simulator.experiments import experiments_table, plan_experiments, simulate_experiment_alerts
from simulator.features import simulate_features
from simulator.metrics import (
    METRICS,
    MetricPoints,
    metrics_table,
    points_logged,
    simulate_points,
)
from simulator.quality import simulate_quality
from simulator.resources import simulate_usage, usage_until
from simulator.schema import TABLES, TIME_COLUMNS, conform
from simulator.sessions import GPUS_PER_NODE, SessionPlan, plan_sessions, sessions_table
from simulator.timeline import model_versions_table

DEFAULT_SEED = 20261126
HISTORY_DAYS = 180
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
_STREAMS = (
    "training_sessions",
    "training_metrics",
    "resource_usage",
    "alerts",
    "experiment_alerts",
    "data_quality",
    "feature_samples",
)


@dataclass(frozen=True, eq=False)
class DayPlan:
    """Every table as of the end of one UTC day, with what `as_of` needs to cut it."""

    seed: int
    scale: int
    day_start_us: int
    history_start_us: int
    n_gpus: int
    tables: dict[str, pd.DataFrame]
    sessions: SessionPlan
    points: MetricPoints
    alert_done_us: np.ndarray
    pilot_done_us: np.ndarray

    @property
    def day_end_us(self) -> int:
        return self.day_start_us + US_PER_DAY

    def times_us(self, name: str) -> np.ndarray:
        """The table's sorted time column as epoch microseconds (a view, not a copy)."""
        return self.tables[name][TIME_COLUMNS[name]].array.asi8


def day_plan(seed: int, scale: int, day: pd.Timestamp | datetime | str) -> DayPlan:
    """The (cached) plan of the UTC day containing `day`."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer, not {scale!r}")
    day_start = as_utc(day).floor("D")
    return _day_plan(int(seed), int(scale), to_micros(day_start))


@functools.lru_cache(maxsize=2)
def _day_plan(seed: int, scale: int, day_start_us: int) -> DayPlan:
    day_end_us = day_start_us + US_PER_DAY
    history_start_us = day_end_us - HISTORY_DAYS * US_PER_DAY
    children = np.random.SeedSequence([seed, scale, day_start_us // US_PER_DAY]).spawn(
        len(_STREAMS)
    )
    rng = {
        stream: np.random.default_rng(child)
        for stream, child in zip(_STREAMS, children, strict=True)
    }
    n_gpus = GPUS_PER_NODE * scale

    sessions = plan_sessions(rng["training_sessions"], history_start_us, day_end_us, n_gpus)
    session_ids = sessions.ids()
    points = simulate_points(rng["training_metrics"], sessions)
    usage, util_mean, memory_peak = simulate_usage(
        rng["resource_usage"],
        sessions,
        session_ids,
        history_start_us,
        HISTORY_DAYS * US_PER_DAY // US_PER_MINUTE,
        n_gpus,
    )
    last_point = points.offsets[1:] - 1
    alerts, alert_done_us = simulate_alerts(rng["alerts"], history_start_us, day_end_us, scale)
    experiments = plan_experiments(day_end_us)
    pilot_alerts, pilot_done_us = simulate_experiment_alerts(
        rng["experiment_alerts"], experiments, day_end_us, scale
    )
    tables = {
        "model_versions": model_versions_table(day_end_us),
        "training_sessions": sessions_table(
            sessions,
            points.last_values(last_point),
            points.step[last_point],
            util_mean,
            memory_peak,
        ),
        "training_metrics": metrics_table(points, session_ids),
        "resource_usage": usage,
        "alerts": alerts,
        "experiments": experiments_table(experiments),
        "experiment_alerts": pilot_alerts,
        "data_quality": simulate_quality(rng["data_quality"], day_start_us, HISTORY_DAYS),
        "feature_samples": simulate_features(
            rng["feature_samples"], day_start_us, HISTORY_DAYS, scale
        ),
    }
    return DayPlan(
        seed=seed,
        scale=scale,
        day_start_us=day_start_us,
        history_start_us=history_start_us,
        n_gpus=n_gpus,
        tables=tables,
        sessions=sessions,
        points=points,
        alert_done_us=alert_done_us,
        pilot_done_us=pilot_done_us,
    )


def clear_plan_cache() -> None:
    """Forget the cached day plans (they are rebuilt on the next call)."""
    _day_plan.cache_clear()


def as_of(plan: DayPlan, now: pd.Timestamp | datetime | str) -> dict[str, pd.DataFrame]:
    """Every table as it looks at `now`, which must fall on the plan's day."""
    now_us = to_micros(as_utc(now))
    if not plan.day_start_us <= now_us < plan.day_end_us:
        raise ValueError("now is not on the plan's day")
    tables = {
        name: _rows_until(plan, name, now_us)
        for name in ("model_versions", "experiments", "data_quality", "feature_samples")
    }
    minutes = (now_us - plan.history_start_us) // US_PER_MINUTE + 1
    tables["resource_usage"] = plan.tables["resource_usage"].iloc[: minutes * plan.n_gpus]
    tables["alerts"] = _open_responses(
        _rows_until(plan, "alerts", now_us), plan.alert_done_us, now_us
    )
    tables["experiment_alerts"] = _open_responses(
        _rows_until(plan, "experiment_alerts", now_us), plan.pilot_done_us, now_us
    )
    tables["training_sessions"], tables["training_metrics"] = _training_until(plan, now_us)
    return {name: conform(name, tables[name]) for name in TABLE_NAMES}


def _rows_until(plan: DayPlan, name: str, now_us: int) -> pd.DataFrame:
    count = np.searchsorted(plan.times_us(name), now_us, side="right")
    return plan.tables[name].iloc[:count]


def _open_responses(frame: pd.DataFrame, done_us: np.ndarray, now_us: int) -> pd.DataFrame:
    """Alerts whose response is not done by `now` have no response time yet."""
    still_open = done_us[: len(frame)] > now_us
    response = frame["response_time_min"].to_numpy(copy=True)
    response[still_open] = np.nan
    return frame.assign(response_time_min=response)


def _training_until(plan: DayPlan, now_us: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions started by `now`, those still running made active, metrics logged by `now`."""
    sessions, points = plan.sessions, plan.points
    started = int(np.searchsorted(sessions.start_us, now_us, side="right"))
    running = np.flatnonzero(sessions.end_us[:started] > now_us)
    logged = points_logged(sessions, points, running, now_us)

    frame = plan.tables["training_sessions"].iloc[:started].copy()
    elapsed = (now_us - sessions.start_us[running]) / (
        sessions.end_us[running] - sessions.start_us[running]
    )
    util_mean, memory_peak = usage_until(
        plan.tables["resource_usage"]["gpu_util"].to_numpy(),
        plan.tables["resource_usage"]["gpu_mem_used_gb"].to_numpy(),
        plan.n_gpus,
        sessions.lane[running].astype(np.int64),
        (sessions.start_us[running] - plan.history_start_us) // US_PER_MINUTE,
        np.full(running.size, (now_us - plan.history_start_us) // US_PER_MINUTE),
    )
    updates = {
        "status": "active",
        "ended_at": pd.NaT,
        "failure_reason": pd.NA,
        "samples": np.rint(sessions.samples[running] * elapsed).astype(np.int64),
        **points.last_values(np.where(logged > 0, points.offsets[running] + logged - 1, -1)),
        "gpu_util_mean": util_mean,
        "gpu_mem_peak_gb": memory_peak,
    }
    for column, values in updates.items():
        frame.loc[running, column] = values

    metrics = plan.tables["training_metrics"]
    per_point = len(METRICS)
    # Keep everything up to the last started session except the points still to come of
    # running sessions: a few slices, so the bulk is not copied row by row.
    order = np.argsort(points.offsets[running])
    gap_starts = (points.offsets[running] + logged)[order] * per_point
    gap_ends = points.offsets[running + 1][order] * per_point
    piece_starts = np.concatenate([[0], gap_ends])
    piece_ends = np.concatenate([gap_starts, [points.offsets[started] * per_point]])
    pieces = [
        metrics.iloc[start:end]
        for start, end in zip(piece_starts, piece_ends, strict=True)
        if end > start
    ]
    return frame, pd.concat(pieces, ignore_index=True) if pieces else metrics.iloc[:0]
