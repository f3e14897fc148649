"""Seeded, vectorised simulator of the dashboard's contract tables.

The past never changes: every row timestamped in a UTC day is a pure function of (seed,
scale, day), generated day by day, and once SETTLE_TIME has passed since a row's timestamp it
looks the same whatever `now` is. Releases, experiments and KPI trends run on an absolute
timeline (simulator.timeline) anchored at the calibration day 2026-11-26, and go on after it.

- `day_rows(seed, scale, day, now=None)`: the event tables' rows of one UTC day (EVENT_TABLES),
  as they were at `now`, or settled. A day at scale 100 fits in a few hundred MB.
- `reference_tables(seed, scale, now)`: model_versions and experiments as of `now`.
- `simulate(seed, scale, now)`: every contract table as of `now`: the last HISTORY_DAYS days
  of `day_rows` (today's included) and the reference tables that reach into them.
"""

from __future__ import annotations

from simulator.generate import DEFAULT_SEED, EVENT_TABLES, SETTLE_TIME
from simulator.history import (
    HISTORY_DAYS,
    REFERENCE_TABLES,
    TABLE_NAMES,
    clear_caches,
    day_rows,
    reference_tables,
    simulate,
)

__all__ = [
    "DEFAULT_SEED",
    "EVENT_TABLES",
    "HISTORY_DAYS",
    "REFERENCE_TABLES",
    "SETTLE_TIME",
    "TABLE_NAMES",
    "clear_caches",
    "day_rows",
    "reference_tables",
    "simulate",
]
