"""Seeded, vectorised simulator of the dashboard's contract tables.

The past never changes: every row timestamped in a UTC day is a pure function of (seed,
scale, day), generated day by day (simulator.generate), and once SETTLE_TIME has passed since
a row's timestamp it looks the same whatever `now` is. Before that, an alert's response may
still be open and a session (a row keyed by its start) still running.

Releases, experiments and trends run on an absolute timeline anchored at the end of
2026-11-26, the day the calibration tests pin: up to it the data is the brief's. After it a
new version goes out as the canary every 35 days, piloted on 20% of the pilot cohort against
the stable version, which it replaces at the next release (simulator.timeline,
simulator.experiments); live KPIs keep improving slowly and level off (simulator.alerts); data
quality holds with an ingestion outage now and then (simulator.quality).

- `day_rows(seed, scale, day, now=None)`: the event tables' rows of one UTC day (EVENT_TABLES),
  as they were at `now`, or settled. A day at scale 100 fits in a few hundred MB.
- `reference_tables(seed, scale, now)`: model_versions and experiments as of `now`.
- `simulate(seed, scale, now)`: every contract table as of `now`: the last HISTORY_DAYS days
  of `day_rows` (today's included) and the reference tables that reach into them.

Tables are sorted by their time column (simulator.schema.TIME_COLUMNS); training_metrics by
(session_id, step, metric), which is also day order because session ids carry their day.
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
