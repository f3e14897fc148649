"""Seeded, vectorised simulator of the dashboard's contract tables.

`simulate()` returns every table as of `now`: the same seed, scale and `now` give identical
tables, and rows for past moments stay put as `now` moves on within a UTC day.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from simulator.clock import as_utc
from simulator.generate import (
    DEFAULT_SEED,
    HISTORY_DAYS,
    TABLE_NAMES,
    DayPlan,
    as_of,
    clear_plan_cache,
    day_plan,
)


def simulate(
    seed: int = DEFAULT_SEED, scale: int = 1, now: pd.Timestamp | datetime | str | None = None
) -> dict[str, pd.DataFrame]:
    """All contract tables as of `now` (default: the current UTC time), keyed by table name."""
    moment = as_utc(now)
    return as_of(day_plan(seed, scale, moment), moment)


__all__ = [
    "DEFAULT_SEED",
    "HISTORY_DAYS",
    "TABLE_NAMES",
    "DayPlan",
    "as_of",
    "clear_plan_cache",
    "day_plan",
    "simulate",
]
