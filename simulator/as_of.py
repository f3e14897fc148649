"""A day plan as it looked at a moment: rows after it left out, the unfinished shown unfinished.

Alerts whose response is not done yet have no response time; sessions still running are
active, with the samples, last metric values and GPU figures they have reached so far, and
only the metric points and telemetry minutes logged by then.
"""

from __future__ import annotations

import numpy as np

from simulator.clock import US_PER_MINUTE
from simulator.generate import DayPlan
from simulator.metrics import LAST_VALUE_METRICS
from simulator.resources import usage_until
from simulator.rows import Rows, take_rows
from simulator.sessions import ACTIVE


def as_of(plan: DayPlan, now_us: int | None) -> dict[str, Rows]:
    """The plan's rows of every event table as of `now_us` (None: settled)."""
    if now_us is None or now_us >= plan.settled_us:
        return plan.rows
    if now_us < plan.start_us:
        return {name: take_rows(rows, slice(0, 0)) for name, rows in plan.rows.items()}
    minutes = min(plan.minutes, (now_us - plan.start_us) // US_PER_MINUTE + 1)
    sessions, metrics = _training(plan, now_us)
    return {
        "training_sessions": sessions,
        "training_metrics": metrics,
        "resource_usage": take_rows(plan.rows["resource_usage"], slice(minutes * plan.n_gpus)),
        "alerts": _responses(plan.rows["alerts"], now_us),
        "experiment_alerts": _responses(plan.rows["experiment_alerts"], now_us),
        # Dated at midnight: the whole day's figures from its start.
        "data_quality": plan.rows["data_quality"],
        "feature_samples": plan.rows["feature_samples"],
    }


def _responses(rows: Rows, now_us: int) -> Rows:
    """Alerts raised by `now_us`; those whose response is not done yet have none."""
    raised = int(np.searchsorted(rows["timestamp"], now_us, side="right"))
    cut = take_rows(rows, slice(raised))
    cut["response_time_min"] = np.where(cut["done_us"] > now_us, np.nan, cut["response_time_min"])
    return cut


def _training(plan: DayPlan, now_us: int) -> tuple[Rows, Rows]:
    """Sessions started by `now_us`, those still running made active; points logged by then."""
    sessions, points = plan.sessions, plan.points
    started = int(np.searchsorted(sessions.start_us, now_us, side="right"))
    running = np.flatnonzero(sessions.end_us[:started] > now_us)
    logged = points.time_us <= now_us
    metrics = take_rows(plan.rows["training_metrics"], np.flatnonzero(logged))

    rows = take_rows(plan.rows["training_sessions"], slice(started))
    rows = {name: column.copy() for name, column in rows.items()}
    count = np.bincount(points.session[logged], minlength=sessions.size)[running]
    last_point = np.where(count > 0, points.offsets[running] + count - 1, -1)
    elapsed = (now_us - sessions.start_us[running]) / (
        sessions.end_us[running] - sessions.start_us[running]
    )
    usage = plan.rows["resource_usage"]
    util_mean, memory_peak = usage_until(
        usage["gpu_util"],
        usage["gpu_mem_used_gb"],
        plan.n_gpus,
        sessions.lane[running].astype(np.int64),
        (sessions.start_us[running] - plan.start_us) // US_PER_MINUTE,
        np.full(running.size, (now_us - plan.start_us) // US_PER_MINUTE),
    )
    last_values = points.last_values(last_point)
    rows["status"][running] = ACTIVE
    rows["failure"][running] = -1
    rows["samples"][running] = np.rint(sessions.samples[running] * elapsed).astype(np.int64)
    for name in LAST_VALUE_METRICS:
        rows[name][running] = last_values[name]
    rows["gpu_util_mean"][running] = util_mean
    rows["gpu_mem_peak_gb"][running] = memory_peak
    return rows, metrics
