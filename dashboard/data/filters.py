"""The global filters: the one place that knows their allowed values and what they mean."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simulator.schema import MODEL_TYPES

# range key -> (label, length); None means all time.
TIME_RANGES: dict[str, tuple[str, pd.Timedelta | None]] = {
    "24h": ("Last 24 Hours", pd.Timedelta(hours=24)),
    "7d": ("Last 7 Days", pd.Timedelta(days=7)),
    "30d": ("Last 30 Days", pd.Timedelta(days=30)),
    "90d": ("Last 90 Days", pd.Timedelta(days=90)),
    "all": ("All Time", None),
}
DEFAULT_RANGE = "30d"
# The recent windows the alerting figures are computed over (dashboard.data.health), up to
# the data's as_of; not a filter of the pages.
RECENT_PERIODS: dict[str, pd.Timedelta] = {
    "1h": pd.Timedelta(hours=1),
    "1d": pd.Timedelta(hours=24),
}

ALL_MODELS = "all"
MODEL_LABELS: dict[str, str] = {
    ALL_MODELS: "All Models",
    **{model_type: model_type.replace("_", " ").title() for model_type in MODEL_TYPES},
}
DEFAULT_MODEL = ALL_MODELS


def validate_range(range_key: object) -> str:
    """Return `range_key` if it is an allowed time range, else raise ValueError."""
    if not isinstance(range_key, str) or range_key not in TIME_RANGES:
        raise ValueError(
            f"unknown time range {str(range_key)[:40]!r}; allowed: {', '.join(TIME_RANGES)}"
        )
    return range_key


def validate_period(period: object) -> str:
    """Return `period` if it is one of RECENT_PERIODS, else raise ValueError."""
    if not isinstance(period, str) or period not in RECENT_PERIODS:
        raise ValueError(
            f"unknown period {str(period)[:40]!r}; allowed: {', '.join(RECENT_PERIODS)}"
        )
    return period


def validate_model(model: object) -> str:
    """Return `model` if it is an allowed model type (or 'all'), else raise ValueError."""
    if not isinstance(model, str) or model not in MODEL_LABELS:
        raise ValueError(
            f"unknown model type {str(model)[:40]!r}; allowed: {', '.join(MODEL_LABELS)}"
        )
    return model


def range_label(range_key: str) -> str:
    return TIME_RANGES[range_key][0]


def model_label(model: str) -> str:
    return MODEL_LABELS[model]


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


def filters_from_query(query: dict[str, object]) -> tuple[str, str]:
    """Read (range, model) from URL query arguments, falling back to defaults for bad values."""
    range_key = query.get("range", DEFAULT_RANGE)
    model = query.get("model", DEFAULT_MODEL)
    return (
        range_key if isinstance(range_key, str) and range_key in TIME_RANGES else DEFAULT_RANGE,
        model if isinstance(model, str) and model in MODEL_LABELS else DEFAULT_MODEL,
    )
