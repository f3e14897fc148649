"""GPU telemetry: one row per GPU per minute of a day, busy while a session runs on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, US_PER_MINUTE, utc_times
from simulator.rows import Rows
from simulator.schema import conform
from simulator.sessions import MINUTES_PER_DAY, SessionPlan
from simulator.strings import fixed_width_strings

GPU_MEMORY_GB = 40.0
TRAINING_UTIL = (0.705, 0.945)
TRAINING_MEMORY_GB = (8.05, 15.95)
IDLE_UTIL_MAX = 0.05
IDLE_GPU_MEMORY_GB = (0.3, 1.0)
IDLE_HOST_MEMORY_GB = (2.0, 4.0)
CHECKPOINT_EVERY_MIN = 30


def simulate_usage(
    rng: np.random.Generator, plan: SessionPlan, session_ids: np.ndarray, n_gpus: int
) -> tuple[Rows, np.ndarray, np.ndarray]:
    """The day's resource_usage rows and each session's mean GPU util and peak GPU memory."""
    day_start_us = plan.day * US_PER_DAY
    n_minutes = MINUTES_PER_DAY
    grid = (n_gpus, n_minutes)
    cells = n_gpus * n_minutes
    # Lane-major layout (gpu, minute) first: there each session is one contiguous run of cells.
    first = (plan.start_us - day_start_us) // US_PER_MINUTE
    last = np.minimum(n_minutes, -(-(plan.end_us - day_start_us) // US_PER_MINUTE))
    order = np.lexsort((first, plan.lane))
    begin = plan.lane[order].astype(np.int64) * n_minutes + first[order]
    end = plan.lane[order].astype(np.int64) * n_minutes + last[order]
    idle = begin - np.concatenate([[0], end[:-1]])
    runs = np.column_stack([idle, end - begin]).ravel()
    owners = np.column_stack([np.full(order.size, -1), order]).ravel()
    occupant = np.repeat(
        np.append(owners, -1).astype(np.int32), np.append(runs, cells - end[-1])
    )  # session index, -1 while idle
    busy = occupant >= 0
    session = np.where(busy, occupant, 0)

    sessions = plan.size
    util_level = rng.normal(0.83, 0.02, sessions).clip(0.79, 0.87).astype(np.float32)
    memory_level = rng.uniform(9.5, 14.5, sessions) - 0.8 * (plan.model_type == 3)
    memory_level = memory_level.astype(np.float32)
    host_level = rng.uniform(9.5, 14.0, sessions).astype(np.float32)

    # Checkpoints every half hour and the first two minutes of data loading dip the
    # utilisation within the training band; a faint daily cycle rides on top.
    since_start = (
        np.arange(n_minutes, dtype=np.int32)[None, :]
        - first.astype(np.int32)[session.reshape(grid)]
    )
    since_start = since_start.ravel()
    dips = np.where(
        busy & (since_start % CHECKPOINT_EVERY_MIN == CHECKPOINT_EVERY_MIN - 1),
        np.float32(0.06),
        np.float32(0),
    )
    dips[busy & (since_start < 2)] = 0.05
    del since_start
    minute_of_day = (day_start_us // US_PER_MINUTE + np.arange(n_minutes)) % MINUTES_PER_DAY
    daily = (0.008 * np.sin(2 * np.pi * minute_of_day / MINUTES_PER_DAY)).astype(np.float32)
    dips -= np.broadcast_to(daily, grid).ravel()

    noise = rng.standard_normal((3, cells), dtype=np.float32)
    util = np.where(
        busy,
        (util_level[session] + 0.022 * noise[0] - dips).clip(*TRAINING_UTIL),
        (0.012 * np.abs(noise[0])).clip(0, IDLE_UTIL_MAX),
    )
    gpu_memory = np.where(
        busy,
        (memory_level[session] + 0.2 * noise[1]).clip(*TRAINING_MEMORY_GB),
        (0.55 + 0.12 * noise[1]).clip(*IDLE_GPU_MEMORY_GB),
    )
    host_memory = np.where(
        busy,
        (host_level[session] + 0.3 * noise[2]).clip(*TRAINING_MEMORY_GB),
        (2.8 + 0.3 * noise[2]).clip(*IDLE_HOST_MEMORY_GB),
    )
    del noise, dips, session, busy

    util_mean = np.empty(sessions)
    memory_peak = np.empty(sessions)
    util_mean[order] = _segment_reduce(np.add, util, begin, end) / (end - begin)
    memory_peak[order] = _segment_reduce(np.maximum, gpu_memory, begin, end)

    def minute_major(values: np.ndarray) -> np.ndarray:
        return values.reshape(grid).T.ravel()

    occupant = minute_major(occupant)
    minute_us = day_start_us + np.arange(n_minutes, dtype=np.int64) * US_PER_MINUTE
    rows = {
        "timestamp": np.repeat(minute_us, n_gpus),
        "gpu_id": np.tile(np.arange(n_gpus, dtype=np.int64), n_minutes),
        "session_id": session_ids[np.maximum(occupant, 0)],
        "busy": occupant >= 0,
        "gpu_util": minute_major(util),
        "gpu_mem_used_gb": minute_major(gpu_memory),
        "host_mem_used_gb": minute_major(host_memory),
    }
    return rows, util_mean, memory_peak


def usage_frame(rows: Rows) -> pd.DataFrame:
    """The resource_usage table, ordered by (timestamp, gpu_id)."""
    frame = pd.DataFrame(
        {
            "timestamp": utc_times(rows["timestamp"]),
            "gpu_id": rows["gpu_id"],
            "session_id": fixed_width_strings(rows["session_id"], valid=rows["busy"]),
            "gpu_util": rows["gpu_util"],
            "gpu_mem_used_gb": rows["gpu_mem_used_gb"],
            "gpu_mem_total_gb": np.full(rows["gpu_id"].size, GPU_MEMORY_GB, dtype=np.float32),
            "host_mem_used_gb": rows["host_mem_used_gb"],
        }
    )
    return conform("resource_usage", frame)


def _segment_reduce(
    ufunc: np.ufunc, values: np.ndarray, begin: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """`ufunc` reduced (in float64) over values[begin[i]:end[i]]: sorted, disjoint, non-empty."""
    bounds = np.column_stack([begin, end]).ravel()
    if bounds[-1] == values.size:
        bounds = bounds[:-1]  # reduceat runs the last segment to the end of the array
    return ufunc.reduceat(values, bounds, dtype=np.float64)[::2]


def usage_until(
    frame_util: np.ndarray,
    frame_memory: np.ndarray,
    n_gpus: int,
    lanes: np.ndarray,
    first_minutes: np.ndarray,
    last_minutes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean utilisation and peak memory of GPU `lanes[i]` over minutes first..last inclusive.

    Reads the minute-major table columns, for the few sessions still running at `now`.
    """
    counts = np.maximum(last_minutes - first_minutes + 1, 0)
    group = np.repeat(np.arange(lanes.size), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    minutes = first_minutes[group] + np.arange(counts.sum()) - starts[group]
    rows = minutes * n_gpus + lanes[group]
    util = np.bincount(group, frame_util[rows], minlength=lanes.size)
    mean = np.where(counts > 0, util / np.maximum(counts, 1), np.nan)
    peak = np.full(lanes.size, np.nan)
    np.fmax.at(peak, group, frame_memory[rows].astype(np.float64))
    return mean, peak
