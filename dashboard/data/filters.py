"""The global filters as time windows over the data (their values: dashboard.domain)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.domain import TIME_RANGES, validate_range

# The recent windows the alerting figures are computed over (dashboard.data.health), up to
# the data's as_of; not a filter of the pages.
RECENT_PERIODS: dict[str, pd.Timedelta] = {
    "1h": pd.Timedelta(hours=1),
    "1d": pd.Timedelta(hours=24),
}


def validate_period(period: object) -> str:
    """Return `period` if it is one of RECENT_PERIODS, else raise ValueError."""
    if not isinstance(period, str) or period not in RECENT_PERIODS:
        raise ValueError(
            f"unknown period {str(period)[:40]!r}; allowed: {', '.join(RECENT_PERIODS)}"
        )
    return period


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end); `start` is None for all time."""

    start: pd.Timestamp | None
    end: pd.Timestamp

    @property
    def length(self) -> pd.Timedelta | None:
        return None if self.start is None else self.end - self.start

    def previous(self) -> Window | None:
        """The window of equal length just before this one (None for all time)."""
        if self.start is None:
            return None
        return Window(self.start - (self.end - self.start), self.start)


def window_for(range_key: str, as_of: pd.Timestamp) -> Window:
    """The window a time range covers when the data ends at `as_of` (end inclusive of as_of)."""
    length = TIME_RANGES[validate_range(range_key)][1]
    end = as_of + pd.Timedelta(microseconds=1)
    return Window(None if length is None else end - length, end)
