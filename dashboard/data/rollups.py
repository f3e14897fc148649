"""Rollups: the big time-sorted tables pre-aggregated into fixed bins, for long ranges.

A rollup holds, per bin and key, the sums, counts and maxima from which a query's means and
peaks follow exactly: alerts per hour, model type and version; GPU telemetry per half hour and
model type (fleet) and per half hour, GPU and model type (heatmap). A query over a window reads
the whole bins inside it from the rollup and aggregates only the partial bins at its edges (and
the newest rows, not rolled up yet) from raw rows into the same cells, so its result equals
the raw aggregation.

Rollups are built once per history, not per snapshot (dashboard.data.history): a source that
promises that rows before `Snapshot.sealed_before` stay the same for every snapshot of one
`Snapshot.history` (the simulator does, for a UTC day) gets them built once for all its
snapshots, in gunicorn's master before the workers fork. Other sources get them per snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.data.filters import Window
from dashboard.data.history import derived
from dashboard.data.sources import MissingTable, Snapshot
from simulator.schema import MODEL_TYPES

ALERT_STEP = pd.Timedelta(hours=1)
RESOURCE_STEP = pd.Timedelta(minutes=30)
# Model codes of resource rows: 0..3 the model types, then rows with no session (idle), rows of
# a session the sessions table lacks (busy, model unknown), and the pseudo-code of every row.
IDLE = len(MODEL_TYPES)
UNKNOWN = IDLE + 1
ANY = IDLE + 2
BUSY_CODES = (*range(len(MODEL_TYPES)), UNKNOWN)
ALERT_MEASURES = ("alerts", "automated", "false_positive", "responded", "response_sum")
FLEET_SUMS = ("rows", "util_sum", "mem_sum", "host_sum", "minutes")
FLEET_MAXES = ("mem_max", "host_max", "total_max")
US = pd.Timedelta(microseconds=1)


def model_code(model: str) -> int:
    return MODEL_TYPES.index(model)


@dataclass(frozen=True)
class Rollup:
    """Cells of `step`-wide bins from `start` to `end` (exclusive), sorted by `bin`."""

    step: pd.Timedelta
    start: pd.Timestamp
    end: pd.Timestamp
    cells: pd.DataFrame

    def between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        bins = self.cells["bin"]
        return self.cells.iloc[bins.searchsorted(start, "left") : bins.searchsorted(end, "left")]


def _ticks(times: pd.Series) -> np.ndarray:
    return times.array.asi8


def _floor(moment: pd.Timestamp, step: pd.Timedelta) -> pd.Timestamp:
    return moment.floor(step)


def _ceil(moment: pd.Timestamp, step: pd.Timedelta) -> pd.Timestamp:
    return moment.ceil(step)


def _dense_groups(
    codes: list[np.ndarray],
    levels: list[int],
    sums: dict[str, np.ndarray],
    maxes: dict[str, np.ndarray] | None = None,
) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Per non-empty combination of integer `codes` (each in range(levels[i])): the sums and
    maxima of the measures, the first measure of `sums` being a count that marks non-empty."""
    size = int(np.prod(levels, dtype=np.int64))
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code, level in zip(codes, levels, strict=True):
        key = key * level + code
    totals = {name: np.bincount(key, values, minlength=size) for name, values in sums.items()}
    for name, values in (maxes or {}).items():
        peak = np.full(size, -np.inf, dtype=values.dtype)
        np.maximum.at(peak, key, values)
        totals[name] = peak
    present = np.flatnonzero(totals[next(iter(sums))] > 0)
    parts = []
    rest = present
    for level in reversed(levels):
        parts.append(rest % level)
        rest = rest // level
    return parts[::-1], {name: values[present] for name, values in totals.items()}


def _bins(times: pd.Series, step: pd.Timedelta) -> tuple[np.ndarray, int]:
    """Bin index of each time from the first row's bin, and that bin's start in ticks."""
    ticks = _ticks(times)
    width = step // US
    first = ticks[0] // width * width
    return (ticks - first) // width, first


def _bin_times(index: np.ndarray, first: int, step: pd.Timedelta) -> pd.DatetimeIndex:
    ticks = first + index * (step // US)
    return pd.DatetimeIndex(ticks.astype("datetime64[us]")).tz_localize("UTC")


# Alerts


def alert_cells(alerts: pd.DataFrame, step: pd.Timedelta = ALERT_STEP) -> pd.DataFrame:
    """Per bin, model type and model version: alerts, automated, false_positive, responded
    (alerts with a response time) and response_sum (minutes)."""
    if alerts.empty:
        return _empty_alert_cells()
    bins, first = _bins(alerts["timestamp"], step)
    models = alerts["model_type"].cat.codes.to_numpy().astype(np.int64)
    versions, names = pd.factorize(alerts["model_version"], use_na_sentinel=False)
    response = alerts["response_time_min"].to_numpy(dtype="float64", na_value=np.nan)
    responded = ~np.isnan(response)
    (bin_index, model, version), totals = _dense_groups(
        [bins, models + 1, versions],
        [int(bins[-1]) + 1, len(MODEL_TYPES) + 1, max(len(names), 1)],
        {
            "alerts": np.ones(len(alerts)),
            "automated": alerts["automated"].to_numpy(dtype="float64"),
            "false_positive": alerts["false_positive"].to_numpy(dtype="float64"),
            "responded": responded.astype("float64"),
            "response_sum": np.where(responded, response, 0.0),
        },
    )
    counts = ("alerts", "automated", "false_positive", "responded")
    return pd.DataFrame(
        {
            "bin": _bin_times(bin_index, first, step),
            "model": (model - 1).astype(np.int8),
            "model_version": pd.array(np.asarray(names, dtype=object)[version], dtype="string"),
            **{name: totals[name].astype(np.int64) for name in counts},
            "response_sum": totals["response_sum"],
        }
    )


def _empty_alert_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin": pd.Series(dtype="datetime64[us, UTC]"),
            "model": pd.Series(dtype="int8"),
            "model_version": pd.Series(dtype="string"),
            **{name: pd.Series(dtype="int64") for name in ALERT_MEASURES[:-1]},
            "response_sum": pd.Series(dtype="float64"),
        }
    )


# GPU telemetry


def resource_models(rows: pd.DataFrame, sessions: pd.DataFrame) -> np.ndarray:
    """Each resource row's model code: its session's model type, IDLE, or UNKNOWN."""
    position = _positions(rows["session_id"], sessions["session_id"])
    session_codes = sessions["model_type"].cat.codes.to_numpy().astype(np.int64)
    session_codes = np.append(np.where(session_codes < 0, UNKNOWN, session_codes), UNKNOWN)
    codes = session_codes[np.where(position < 0, len(sessions), position)]
    return np.where(rows["session_id"].isna().to_numpy(), IDLE, codes)


def _positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Where each of `values` is in `keys` (-1: nowhere), in one vectorised pass."""
    try:
        found = pc.index_in(pa.array(values), value_set=pa.array(keys))
    except (pa.ArrowException, TypeError):
        return pd.Index(keys).get_indexer(values)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def resource_cells(
    rows: pd.DataFrame, sessions: pd.DataFrame, step: pd.Timedelta = RESOURCE_STEP
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fleet cells per (bin, model code, ANY included) and GPU cells per (bin, gpu, model code).

    Fleet: rows, util_sum, mem_sum, host_sum, minutes (distinct timestamps), and mem_max,
    host_max, total_max. GPU: rows, util_sum.
    """
    if rows.empty:
        return _empty_fleet_cells(), _empty_gpu_cells()
    bins, first = _bins(rows["timestamp"], step)
    codes = resource_models(rows, sessions)
    n_bins, n_codes = int(bins[-1]) + 1, ANY + 1
    measures = {
        "util": rows["gpu_util"].to_numpy(),
        "mem": rows["gpu_mem_used_gb"].to_numpy(),
        "host": rows["host_mem_used_gb"].to_numpy(),
        "total": rows["gpu_mem_total_gb"].to_numpy(),
    }
    # Distinct timestamps per (bin, code): rows are time-sorted, so equal times are adjacent.
    ticks = _ticks(rows["timestamp"])
    new_moment = np.concatenate([[True], ticks[1:] != ticks[:-1]])
    moment = np.cumsum(new_moment) - 1
    seen = np.zeros((int(moment[-1]) + 1) * n_codes, dtype=bool)
    seen[moment * n_codes + codes] = True
    pairs = np.flatnonzero(seen)
    moment_bins = bins[new_moment]
    minutes = np.bincount(
        moment_bins[pairs // n_codes] * n_codes + pairs % n_codes, minlength=n_bins * n_codes
    )
    every = np.bincount(moment_bins, minlength=n_bins)
    del seen, pairs, moment, new_moment

    def fleet_of(keys: list[np.ndarray], levels: list[int]) -> pd.DataFrame:
        (bin_index, *code), totals = _dense_groups(
            keys,
            levels,
            {
                "rows": np.ones(len(bins)),
                "util_sum": measures["util"],
                "mem_sum": measures["mem"],
                "host_sum": measures["host"],
            },
            {
                "mem_max": measures["mem"],
                "host_max": measures["host"],
                "total_max": measures["total"],
            },
        )
        code = code[0] if code else np.full(len(bin_index), ANY)
        distinct = np.where(code == ANY, every[bin_index], minutes[bin_index * n_codes + code])
        return pd.DataFrame(
            {
                "bin": _bin_times(bin_index, first, step),
                "code": code.astype(np.int8),
                "rows": totals["rows"].astype(np.int64),
                "util_sum": totals["util_sum"],
                "mem_sum": totals["mem_sum"],
                "host_sum": totals["host_sum"],
                "minutes": distinct.astype(np.int64),
                **{name: totals[name].astype(np.float64) for name in FLEET_MAXES},
            }
        )

    fleet = pd.concat([fleet_of([bins, codes], [n_bins, ANY]), fleet_of([bins], [n_bins])])
    fleet = fleet.sort_values(["bin", "code"], kind="stable", ignore_index=True)
    gpu_ids = rows["gpu_id"].to_numpy(dtype=np.int64)
    (bin_index, gpu, code), totals = _dense_groups(
        [bins, gpu_ids, codes],
        [n_bins, int(gpu_ids.max()) + 1, ANY],
        {"rows": np.ones(len(codes)), "util_sum": measures["util"].astype(np.float64)},
    )
    gpus = pd.DataFrame(
        {
            "bin": _bin_times(bin_index, first, step),
            "gpu_id": gpu,
            "code": code.astype(np.int8),
            "rows": totals["rows"].astype(np.int64),
            "util_sum": totals["util_sum"],
        }
    )
    return fleet, gpus


def _empty_fleet_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin": pd.Series(dtype="datetime64[us, UTC]"),
            "code": pd.Series(dtype="int8"),
            **{name: pd.Series(dtype="int64") for name in ("rows",)},
            **{name: pd.Series(dtype="float64") for name in ("util_sum", "mem_sum", "host_sum")},
            "minutes": pd.Series(dtype="int64"),
            **{name: pd.Series(dtype="float64") for name in FLEET_MAXES},
        }
    )


def _empty_gpu_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bin": pd.Series(dtype="datetime64[us, UTC]"),
            "gpu_id": pd.Series(dtype="int64"),
            "code": pd.Series(dtype="int8"),
            "rows": pd.Series(dtype="int64"),
            "util_sum": pd.Series(dtype="float64"),
        }
    )


# Rollups of a snapshot


@dataclass(frozen=True)
class Rollups:
    """The rollups of one history (None where the source lacks the table)."""

    alerts: Rollup | None
    fleet: Rollup | None
    gpus: Rollup | None


def _sealed_rows(table: pd.DataFrame, column: str, end: pd.Timestamp) -> pd.DataFrame:
    return table.iloc[: table[column].searchsorted(end, "left")]


def build_rollups(snapshot: Snapshot) -> Rollups:
    """Roll up every bin that ends by the snapshot's sealed time (or its as_of)."""
    sealed = snapshot.sealed_before if snapshot.sealed_before is not None else snapshot.as_of
    alerts = fleet = gpus = None
    try:
        table = snapshot.table("alerts")
    except MissingTable:
        table = None
    if table is not None and not table.empty:
        end = _floor(sealed, ALERT_STEP)
        start = _floor(table["timestamp"].iloc[0], ALERT_STEP)
        rows = _sealed_rows(table, "timestamp", end)
        alerts = Rollup(ALERT_STEP, start, max(start, end), alert_cells(rows))
    try:
        table, sessions = snapshot.table("resource_usage"), snapshot.table("training_sessions")
    except MissingTable:
        table = None
    if table is not None and not table.empty:
        end = _floor(sealed, RESOURCE_STEP)
        start = _floor(table["timestamp"].iloc[0], RESOURCE_STEP)
        fleet_cells, gpu_cells = resource_cells(_sealed_rows(table, "timestamp", end), sessions)
        fleet = Rollup(RESOURCE_STEP, start, max(start, end), fleet_cells)
        gpus = Rollup(RESOURCE_STEP, start, max(start, end), gpu_cells)
    return Rollups(alerts, fleet, gpus)


def rollups_for(snapshot: Snapshot) -> Rollups:
    """The snapshot's rollups, built once for its history."""
    return derived.get(snapshot, "rollups", lambda: build_rollups(snapshot))


def split_window(
    table: pd.DataFrame, column: str, window: Window, rollup: Rollup | None
) -> tuple[tuple[pd.Timestamp, pd.Timestamp] | None, list[pd.DataFrame]]:
    """Where the rows of `table` in `window` come from: the whole bins [low, high) to read
    from `rollup` (None: nothing), and the raw rows outside them (the partial bins at the
    edges, and those after the rollup's end)."""
    rows = _window_rows(table, column, window.start, window.end)
    if rollup is None or rollup.cells.empty:
        return None, [rows]
    low = rollup.start if window.start is None else _ceil(window.start, rollup.step)
    low = max(low, rollup.start)
    high = min(_floor(window.end, rollup.step), rollup.end)
    if high <= low:
        return None, [rows]
    head = _window_rows(rows, column, None, low)
    tail = _window_rows(rows, column, high, None)
    return (low, high), [part for part in (head, tail) if not part.empty]


def cells_in(
    table: pd.DataFrame,
    column: str,
    window: Window,
    rollup: Rollup | None,
    cells_of: Callable[[pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """The cells of the rows of `table` in `window`: whole bins from the rollup, the rest
    aggregated from raw rows into the same cells."""
    body, raw = split_window(table, column, window, rollup)
    parts = [cells_of(part) for part in raw]
    if body is not None:
        parts.insert(0, rollup.between(*body))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _window_rows(
    frame: pd.DataFrame, column: str, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    values = frame[column]
    first = 0 if start is None else values.searchsorted(start, "left")
    last = len(frame) if end is None else values.searchsorted(end, "left")
    return frame.iloc[first:last]
