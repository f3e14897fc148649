"""The global filters as time windows over the data (their values: dashboard.domain)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.domain import TIME_RANGES, validate_range


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
