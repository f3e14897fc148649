"""The built-in simulator as a source: live data that ends at `now`, read a day at a time.

The simulator's past never changes (see the simulator package): rows older than its settle
time are final. So after the first read the ingest asks only for the rows since the last
settled moment, and the simulator generates only the days those rows fall on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot
from simulator import HISTORY_DAYS, SETTLE_TIME, day_rows, reference_tables
from simulator.incidents import Incident, apply_incidents, incidents_setting
from simulator.schema import TABLES, TIME_COLUMNS

ONE_DAY = pd.Timedelta(days=1)
# A history slice holds about as many rows as this many days at scale 1 (a day at scale 30).
SLICE_SCALE_DAYS = 30
SLICED_FROM_SCALE = 10


class SimulatorSource(ReadingSource):
    """The built-in simulator: live data that ends at `now`, the last HISTORY_DAYS days, with
    the incidents set injected (simulator.incidents)."""

    def __init__(self, seed: int, scale: int = 1, incidents: tuple[Incident, ...] = ()) -> None:
        self.seed = seed
        self.scale = scale
        self.incidents = tuple(incidents)
        # Incidents are part of the name: their store never mixes with the plain simulator's.
        suffix = f", incident={incidents_setting(self.incidents)}" if self.incidents else ""
        self.name = f"simulator(seed={seed}, scale={scale}{suffix})"

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        now = pd.Timestamp(now).tz_convert("UTC").as_unit("us")
        start = history_start(now)
        if since is not None and since <= start:
            since = None
        first = (start if since is None else since).floor("D")
        return self._snapshot(now, pd.date_range(first, now.floor("D"), freq="D"), since)

    def read_history(self, now: pd.Timestamp) -> Iterator[Snapshot] | None:
        """From scale SLICED_FROM_SCALE on, the whole kept history a slice of whole UTC days
        at a time, oldest first (`since` the slice's first midnight): about SLICE_SCALE_DAYS
        days of scale-1 rows a slice, so a first read never holds more than that, whatever the
        scale. Below it None: one read is faster (each day stored apart, then joined into its
        month, costs more than it saves) and holds at most about a gigabyte."""
        if self.scale < SLICED_FROM_SCALE:
            return None
        return self._history(pd.Timestamp(now).tz_convert("UTC").as_unit("us"))

    def _history(self, now: pd.Timestamp) -> Iterator[Snapshot]:
        days = pd.date_range(history_start(now), now.floor("D"), freq="D")
        step = max(1, SLICE_SCALE_DAYS // self.scale)
        for first in range(0, len(days), step):
            chosen = days[first : first + step]
            yield self._snapshot(now, chosen, chosen[0].as_unit("us"))

    def _snapshot(self, now: pd.Timestamp, days: object, since: pd.Timestamp | None) -> Snapshot:
        start = history_start(now)
        parts: dict[str, list[pd.DataFrame]] = {}
        for day in days:
            rows_of_day = apply_incidents(self.incidents, day_rows(self.seed, self.scale, day, now))
            for name, rows in rows_of_day.items():
                parts.setdefault(name, []).append(rows)
        tables = dict(reference_tables(self.seed, self.scale, now))
        low = start if since is None else since
        for name, frames in parts.items():
            rows = pd.concat(frames, ignore_index=True)
            times = rows[TIME_COLUMNS[name] or "timestamp"]
            tables[name] = rows[(times >= low).to_numpy()].reset_index(drop=True)
        return Snapshot(
            {name: tables[name] for name in TABLES},
            now,
            self.name,
            token=now.isoformat(),
            since=since,
            settled_before=max(now - SETTLE_TIME, start),
            kept_from=start,
        )


def history_start(now: pd.Timestamp) -> pd.Timestamp:
    """Where the simulator's kept history begins for `now` (whole UTC days)."""
    return now.floor("D") - (HISTORY_DAYS - 1) * ONE_DAY
