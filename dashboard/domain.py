"""The dashboard's vocabulary, shared by the data layer and the pictures: the global filters'
allowed values and labels, how a grid column sorts and filters, what an A/B comparison
compares, and how much of a series a chart draws. No I/O, no Dash: both sides import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from simulator.schema import MODEL_TYPES

# Global filters. range key -> (label, length); None means all time.
TIME_RANGES: dict[str, tuple[str, pd.Timedelta | None]] = {
    "24h": ("Last 24 Hours", pd.Timedelta(hours=24)),
    "7d": ("Last 7 Days", pd.Timedelta(days=7)),
    "30d": ("Last 30 Days", pd.Timedelta(days=30)),
    "90d": ("Last 90 Days", pd.Timedelta(days=90)),
    "all": ("All Time", None),
}
DEFAULT_RANGE = "30d"

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
class GridColumn:
    """How a grid column filters and sorts: on `source` of the frame, as text or number.

    `text` turns the source column into the text the grid shows (for text filters), when
    that is not the column itself. `also`: a column the cell stands for as well (the Run cell
    shows the run name, or the session ID without one, and names the session ID on hover): a
    text filter matches either.
    """

    source: str
    kind: str = "text"  # text or number
    text: Callable[[pd.Series], pd.Series] | None = None
    also: str | None = None

    def shown_text(self, frame: pd.DataFrame) -> pd.Series:
        values = frame[self.source]
        return _filter_text(self.text(values) if self.text is not None else values)

    def also_text(self, frame: pd.DataFrame) -> pd.Series | None:
        return None if self.also is None else _filter_text(frame[self.also])


def _filter_text(values: pd.Series) -> pd.Series:
    """Values as a text filter compares them: lower case, a missing one empty."""
    return values.astype("string").fillna("").str.lower()


@dataclass(frozen=True)
class Comparison:
    """What an A/B comparison compares: a randomised experiment, or two versions outside one."""

    control: str
    treatment: str
    experiment_id: str | None = None
    treatment_share: float | None = None
    started_at: pd.Timestamp | None = None
    ended_at: pd.Timestamp | None = None  # None while the experiment runs

    @property
    def randomised(self) -> bool:
        return self.experiment_id is not None


@dataclass(frozen=True)
class Reduction:
    """How many of a series' points a chart draws."""

    shown: int
    total: int

    @property
    def reduced(self) -> bool:
        return self.shown < self.total

    def note(self, noun: str = "points") -> str:
        """'500 of 518,400 points' when reduced, else ''."""
        return f"{self.shown:,} of {self.total:,} {noun}" if self.reduced else ""
