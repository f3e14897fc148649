"""Rows of a table before they become a DataFrame: numpy columns of one length.

A day's generators produce its rows this way, `as_of` cuts them at a moment, `concat_rows`
joins days, and `frames.table_frame` turns them into the contract's DataFrame once: a table of
many days costs one DataFrame construction, and the frames of single days concatenate to the
frame of all of them (every column is built row by row, ids included).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Rows = dict[str, np.ndarray]


def row_count(rows: Rows) -> int:
    return len(next(iter(rows.values())))


def take_rows(rows: Rows, index: slice | np.ndarray) -> Rows:
    """The rows at `index` (a slice or integer positions) of every column."""
    return {name: column[index] for name, column in rows.items()}


def concat_rows(parts: Sequence[Rows]) -> Rows:
    """The rows of `parts` one after the other."""
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
