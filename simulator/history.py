"""The simulated history as of a moment: one day's rows, the reference tables, or all of it.

`simulate(now)` is the last HISTORY_DAYS UTC days of `day_rows` (today's included) with the
reference tables: the days settled by `now` come from a cache of settled days (built once per
process and day), the one or two still settling from their cached day plans, cut at `now`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from simulator.as_of import as_of
from simulator.clock import NAT_US, US_PER_DAY, as_utc, day_of, to_micros
from simulator.experiments import experiments_table
from simulator.frames import frame_length, table_frame
from simulator.generate import (
    DEFAULT_SEED,
    EVENT_TABLES,
    SETTLE_US,
    check_arguments,
    clear_plan_cache,
    day_plan,
    generate_day,
)
from simulator.rows import concat_rows
from simulator.schema import TABLES
from simulator.timeline import model_versions_table, stable_version_codes

HISTORY_DAYS = 180
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
REFERENCE_TABLES: tuple[str, ...] = ("model_versions", "experiments")

Moment = pd.Timestamp | datetime | str


def day_rows(
    seed: int, scale: int, day: Moment, now: Moment | None = None
) -> dict[str, pd.DataFrame]:
    """The event tables' rows timestamped in the UTC day holding `day`, as they were at `now`.

    `now=None` gives them settled (final): they no longer change once `now` is SETTLE_TIME
    past the day's end. Keys are EVENT_TABLES; each frame is conformed to the contract and
    sorted as `simulate` sorts it.
    """
    check_arguments(seed, scale)
    now_us = None if now is None else to_micros(as_utc(now))
    rows = as_of(day_plan(seed, scale, day_of(to_micros(as_utc(day)))), now_us)
    return {name: table_frame(name, rows[name]) for name in EVENT_TABLES}


def reference_tables(seed: int, scale: int, now: Moment) -> dict[str, pd.DataFrame]:
    """model_versions and experiments as of `now`: everything released or started by then.

    The timeline is the same for every seed and scale (simulator.timeline).
    """
    check_arguments(seed, scale)
    return _reference_tables(to_micros(as_utc(now)))


def _reference_tables(now_us: int) -> dict[str, pd.DataFrame]:
    return {
        "model_versions": model_versions_table(now_us),
        "experiments": experiments_table(now_us),
    }


def simulate(
    seed: int = DEFAULT_SEED, scale: int = 1, now: Moment | None = None
) -> dict[str, pd.DataFrame]:
    """All contract tables as of `now` (default: the current UTC time), keyed by table name.

    The event tables hold the last HISTORY_DAYS UTC days up to `now`, today included; the
    reference tables the versions in use and the experiments run in those days.
    """
    check_arguments(seed, scale)
    now_us = to_micros(as_utc(now))
    today = day_of(now_us)
    if today < HISTORY_DAYS:
        raise ValueError("now must be at least HISTORY_DAYS after 1970-01-01")
    first = today - HISTORY_DAYS + 1
    last_settled = day_of(now_us - SETTLE_US) - 1
    settled = _settled_days(int(seed), int(scale), last_settled)
    settling = [
        as_of(day_plan(seed, scale, day), now_us) for day in range(last_settled + 1, today + 1)
    ]
    tables = {
        name: pd.concat(
            [
                settled.since(name, first),
                table_frame(name, concat_rows([rows[name] for rows in settling])),
            ],
            ignore_index=True,
        )
        for name in EVENT_TABLES
    }
    reference = _reference_tables(now_us)
    first_us = first * US_PER_DAY
    # Release numbers index model_versions: keep the version stable on the first day and later.
    in_use = int(stable_version_codes(np.array([first_us]))[0])
    tables["model_versions"] = reference["model_versions"].iloc[in_use:].reset_index(drop=True)
    experiments = reference["experiments"]
    ended = experiments["ended_at"].array.asi8
    ran = (ended == NAT_US) | (ended > first_us)
    tables["experiments"] = experiments[ran].reset_index(drop=True)
    return {name: tables[name] for name in TABLE_NAMES}


@dataclass(frozen=True, eq=False)
class SettledDays:
    """The frames of consecutive settled days, and where each day's rows begin."""

    first_day: int
    frames: dict[str, pd.DataFrame]
    starts: dict[str, np.ndarray]  # per table: the first row of each day, then the row count

    def since(self, name: str, day: int) -> pd.DataFrame:
        """The rows of `name` from UTC day `day` on (it must be one of these days or after)."""
        index = min(max(day - self.first_day, 0), self.starts[name].size - 1)
        return self.frames[name].iloc[int(self.starts[name][index]) :]


@functools.lru_cache(maxsize=1)
def _settled_days(seed: int, scale: int, last_day: int) -> SettledDays:
    """Days last_day - HISTORY_DAYS + 1 .. last_day, settled."""
    first_day = max(0, last_day - HISTORY_DAYS + 1)
    parts: dict[str, list] = {name: [] for name in EVENT_TABLES}
    for day in range(first_day, last_day + 1):  # a loop over days, each vectorised
        rows = generate_day(seed, scale, day).rows
        for name in EVENT_TABLES:
            parts[name].append(rows[name])
    frames, starts = {}, {}
    for name in EVENT_TABLES:
        starts[name] = np.concatenate(
            [[0], np.cumsum([frame_length(name, rows) for rows in parts[name]])]
        )
        frames[name] = table_frame(name, concat_rows(parts[name]))
        parts[name] = []  # let the days' rows go as soon as their table is built
    return SettledDays(first_day, frames, starts)


def clear_caches() -> None:
    """Forget the cached settled days and day plans (they are generated again when asked for)."""
    _settled_days.cache_clear()
    clear_plan_cache()
