"""Downsampling that keeps the truth: long series are reduced to a bound, spikes kept.

A series longer than the bound is reduced with tsdownsample's MinMaxLTTB (min and max per
bin, then largest-triangle selection), plus the series' global minimum and maximum, which
MinMaxLTTB alone can drop. Shorter series are drawn whole. `Reduction` says what was drawn,
so a chart can say "500 of 518,400 points".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from tsdownsample import MinMaxLTTBDownsampler

from dashboard.domain import Reduction

# Per series. The reduced series are the Training charts' per-session dots, each an SVG marker
# the browser styles one by one (about 90 µs a marker in software rendering): at 500 a series
# (the extremes always among them) the two charts draw in about 0.2 s instead of 0.4 s at
# 1,000, which kept the Training page above a second; zooming in draws every session.
DEFAULT_MAX_POINTS = 500
# A series of more sessions than this is drawn as a band instead, each trend bucket's lowest
# to highest, around its mean line: 2,000 dots (four series of 500, the 30-day default at
# scale 1) kept the browser drawing for ~0.3 s after the answer arrived; a band is one path.
# A zoom draws the window's sessions as dots again (bounded by point_limit).
BAND_ABOVE = 200
# MinMaxLTTB pre-selects min and max of this many bins per output point before LTTB.
MINMAX_RATIO = 4


def point_limit() -> int | None:
    """The most points per series the app sends (None: downsampling switched off)."""
    if not has_app_context():
        return DEFAULT_MAX_POINTS
    config = current_app.config
    if not config.get("DOWNSAMPLE", True):
        return None
    return int(config.get("MAX_POINTS", DEFAULT_MAX_POINTS))


def _as_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Sortable numbers for tsdownsample: timestamps as int64 ticks, the rest as float64."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            values.dtype
        ):
            return values.array.asi8
        return values.to_numpy(dtype="float64", na_value=np.nan)
    if np.issubdtype(values.dtype, np.datetime64):
        return values.view("int64")
    return np.asarray(values, dtype="float64")


def reduce_positions(x: pd.Series | np.ndarray, y: pd.Series | np.ndarray, limit: int | None):
    """Sorted positions of the points to draw of the series (x ascending, y may hold NaN).

    All positions when the series has at most `limit` points (or `limit` is None); otherwise
    at most `limit`: MinMaxLTTB's choice plus the positions of the global minimum and maximum.
    NaN values are never drawn, so they are dropped before reduction.
    """
    values = _as_numbers(y)
    size = len(values)
    if limit is None or size <= limit:
        return np.arange(size)
    valid = np.flatnonzero(~np.isnan(values))
    if len(valid) <= limit:
        return valid
    xs, ys = _as_numbers(x)[valid], values[valid]
    # Two places are kept for the global extremes, so that they always fit in the bound.
    chosen = (
        MinMaxLTTBDownsampler()
        .downsample(xs, ys, n_out=limit - 2, minmax_ratio=MINMAX_RATIO)
        .astype(np.int64)
    )
    extremes = np.array([np.argmin(ys), np.argmax(ys)], dtype=np.int64)
    return valid[np.union1d(chosen, extremes)]


def reduce_frame(
    frame: pd.DataFrame, x: str, y: str, limit: int | None
) -> tuple[pd.DataFrame, Reduction]:
    """The rows of `frame` (sorted by `x`) that draw column `y` within `limit` points."""
    positions = reduce_positions(frame[x], frame[y], limit)
    total = int(frame[y].notna().sum())
    if len(positions) == len(frame):
        return frame, Reduction(total, total)
    return frame.iloc[positions], Reduction(len(positions), total)


def session_dots(
    sessions: pd.DataFrame, columns: Iterable[str], limit: int | None
) -> dict[str, tuple[pd.DataFrame, Reduction]]:
    """Per column: the sessions (sorted by start) to draw as that column's dots, at most
    `limit` with the series' extremes kept, and how many of all they are."""
    return {column: reduce_frame(sessions, "started_at", column, limit) for column in columns}


def banded(sessions: pd.DataFrame) -> bool:
    """Whether a chart of these sessions shows bands of their extremes rather than dots (never
    with downsampling off: then every session is a dot)."""
    return point_limit() is not None and len(sessions) > BAND_ABOVE
