"""Server-side sort, filter and paging for grids with AG Grid's infinite row model.

The browser asks for rows [startRow, endRow) under a sort model and a filter model
(`getRowsRequest`); `page_of` answers from a DataFrame, so a grid over 100,000 sessions sends
one block of rows at a time. Everything in a request is untrusted: anything but the documented
shapes, columns and operators raises ValueError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from dashboard.domain import GridColumn

MAX_BLOCK = 500
MAX_SORTS = 5
MAX_TEXT = 200
TEXT_TESTS: dict[str, Callable[[pd.Series, str], pd.Series]] = {
    "contains": lambda text, value: text.str.contains(value, regex=False),
    "notContains": lambda text, value: ~text.str.contains(value, regex=False),
    "equals": lambda text, value: text == value,
    "notEqual": lambda text, value: text != value,
    "startsWith": lambda text, value: text.str.startswith(value),
    "endsWith": lambda text, value: text.str.endswith(value),
}
NUMBER_TESTS: dict[str, Callable[[pd.Series, float], pd.Series]] = {
    "equals": lambda number, value: number == value,
    "notEqual": lambda number, value: number != value,
    "greaterThan": lambda number, value: number > value,
    "greaterThanOrEqual": lambda number, value: number >= value,
    "lessThan": lambda number, value: number < value,
    "lessThanOrEqual": lambda number, value: number <= value,
}


def _text_test(column: pd.Series, condition: Mapping[str, Any]) -> pd.Series:
    kind = condition.get("type")
    if kind == "blank":
        return column == ""
    if kind == "notBlank":
        return column != ""
    value = condition.get("filter")
    if kind not in TEXT_TESTS or not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError("unsupported text filter")
    return TEXT_TESTS[kind](column, value.lower()).fillna(False).astype(bool)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError("a number filter needs a finite number")
    return float(value)


def _number_test(column: pd.Series, condition: Mapping[str, Any]) -> pd.Series:
    kind = condition.get("type")
    if kind == "blank":
        return column.isna()
    if kind == "notBlank":
        return column.notna()
    if kind == "inRange":
        low, high = _number(condition.get("filter")), _number(condition.get("filterTo"))
        return ((column >= low) & (column <= high)).fillna(False).astype(bool)
    if kind not in NUMBER_TESTS:
        raise ValueError("unsupported number filter")
    return NUMBER_TESTS[kind](column, _number(condition.get("filter"))).fillna(False).astype(bool)


def _column_test(frame: pd.DataFrame, column: GridColumn, model: Mapping[str, Any]) -> pd.Series:
    if not isinstance(model, Mapping):
        raise ValueError("a column filter must be an object")
    conditions = model.get("conditions")
    if conditions is not None:
        operator = model.get("operator")
        if operator not in ("AND", "OR") or not isinstance(conditions, list):
            raise ValueError("combined filters need AND or OR and a list of conditions")
        if not 1 <= len(conditions) <= 2:
            raise ValueError("a combined filter has one or two conditions")
        tests = [_column_test(frame, column, condition) for condition in conditions]
        combined = tests[0]
        for test in tests[1:]:
            combined = (combined & test) if operator == "AND" else (combined | test)
        return combined
    if model.get("filterType", column.kind) != column.kind:
        raise ValueError("the filter does not fit the column")
    if column.kind == "number":
        return _number_test(frame[column.source], model)
    shown = _text_test(column.shown_text(frame), model)
    also = column.also_text(frame)
    if also is None or model.get("type") in ("blank", "notBlank"):
        return shown
    # Either text matches a positive test; a negative one (notContains, notEqual) needs both.
    either = _text_test(also, model)
    return (shown & either) if str(model.get("type")).startswith("not") else (shown | either)


def filtered(
    frame: pd.DataFrame, filter_model: object, columns: Mapping[str, GridColumn]
) -> pd.DataFrame:
    """The rows of `frame` that pass every column filter of the grid's filter model."""
    if filter_model in (None, {}):
        return frame
    if not isinstance(filter_model, Mapping) or len(filter_model) > len(columns):
        raise ValueError("the filter model must be an object of column filters")
    keep = pd.Series(True, index=frame.index)
    for column_id, model in filter_model.items():
        if column_id not in columns:
            raise ValueError(f"no filter on column {str(column_id)[:40]!r}")
        keep &= _column_test(frame, columns[column_id], model)
    return frame[keep.to_numpy()]


def sorted_rows(
    frame: pd.DataFrame,
    sort_model: object,
    columns: Mapping[str, GridColumn],
    default: tuple[str, bool],
) -> pd.DataFrame:
    """`frame` in the grid's sort order (`default`: source column and ascending, when none)."""
    if sort_model in (None, []):
        by, ascending = [default[0]], [default[1]]
    else:
        if not isinstance(sort_model, list) or len(sort_model) > MAX_SORTS:
            raise ValueError("the sort model must be a short list")
        by, ascending = [], []
        for item in sort_model:
            if not isinstance(item, Mapping) or item.get("colId") not in columns:
                raise ValueError("unknown sort column")
            if item.get("sort") not in ("asc", "desc"):
                raise ValueError("sort must be asc or desc")
            by.append(columns[item["colId"]].source)
            ascending.append(item["sort"] == "asc")
    return frame.sort_values(by, ascending=ascending, kind="stable", na_position="last")


def block_bounds(request: Mapping[str, Any]) -> tuple[int, int]:
    start, end = request.get("startRow"), request.get("endRow")
    for value in (start, end):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("startRow and endRow must be whole numbers")
    if not 0 < end - start <= MAX_BLOCK:
        raise ValueError(f"a block has 1 to {MAX_BLOCK} rows")
    return start, end


def matching_rows(
    frame: pd.DataFrame,
    request: object,
    columns: Mapping[str, GridColumn],
    default: tuple[str, bool],
) -> pd.DataFrame:
    """Every row of `frame` under the request's filter and sort models (for CSV export)."""
    if request is None:
        request = {}
    if not isinstance(request, Mapping):
        raise ValueError("a grid request must be an object")
    rows = filtered(frame, request.get("filterModel"), columns)
    return sorted_rows(rows, request.get("sortModel"), columns, default)


def page_of(
    frame: pd.DataFrame,
    request: object,
    columns: Mapping[str, GridColumn],
    default: tuple[str, bool],
) -> tuple[pd.DataFrame, int]:
    """The rows of the requested block, and how many rows pass the filters in all."""
    if not isinstance(request, Mapping):
        raise ValueError("a grid request must be an object")
    start, end = block_bounds(request)
    rows = matching_rows(frame, request, columns, default)
    return rows.iloc[start:end], len(rows)
