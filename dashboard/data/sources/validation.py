"""Every table a source reads, checked against the contract before the dashboard uses it.

Two steps, both driven by `simulator.schema.TABLES` (the one description of the tables):

1. Parsing: each column is read into its contract type (timestamps as UTC, whole numbers,
   numbers, true/false, text); a value that does not parse is a problem, not a silent NaN.
2. A pandera schema per table: required columns and types, which columns may be empty, allowed
   values (model types, statuses, arms), non-negative counts and amounts, rates within 0..1,
   unique keys.

A problem names the file (or where the table came from), the column and a few offending rows.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import pandas as pd

from simulator.schema import (
    ARMS,
    MODEL_TYPE,
    MODEL_TYPES,
    QUALITY_INDICATORS,
    SESSION_STATUSES,
    TABLES,
    TIME_COLUMNS,
    TIMESTAMP,
    VERSION_STATUSES,
    conform,
)

EXAMPLES = 3

# Columns that may be empty besides measurements (float columns), which may always be.
OPTIONAL: dict[str, set[str]] = {
    "model_versions": {"description"},
    "training_sessions": {"run_name", "model_version", "ended_at", "failure_reason"},
    "resource_usage": {"session_id"},
    "experiments": {"model_type", "ended_at"},
}
# Optional columns a file may leave out altogether (read as empty): added to the contract later.
MAY_BE_ABSENT: dict[str, set[str]] = {"training_sessions": {"run_name"}}
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("model_versions", "status"): VERSION_STATUSES,
    ("training_sessions", "status"): SESSION_STATUSES,
    ("experiment_alerts", "arm"): ARMS,
}
NON_NEGATIVE = {
    "samples",
    "epochs",
    "step",
    "gpu_id",
    "response_time_min",
    "gpu_mem_used_gb",
    "gpu_mem_total_gb",
    "host_mem_used_gb",
    "gpu_mem_peak_gb",
    "freshness_days",
}
FRACTIONS = {
    "train_accuracy",
    "val_accuracy",
    "gpu_util_mean",
    "gpu_util",
    "treatment_share",
    *(indicator for indicator in QUALITY_INDICATORS if indicator != "freshness_days"),
}
UNIQUE: dict[str, str] = {
    "model_versions": "version",
    "training_sessions": "session_id",
    "alerts": "alert_id",
    "experiments": "experiment_id",
}
# What each column holds after parsing, before the contract's final cast (which cannot hold
# missing whole numbers or booleans, so the checks run on pandas' nullable types).
PARSED_DTYPES = {"int64": "Int64", "bool": "boolean", "float32": "float64"}

RowLabel = Callable[[Hashable], str]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table: where, which column, what, and a few examples."""

    where: str
    column: str | None
    message: str
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = self.where + (f", column {self.column}" if self.column else "") + ": "
        text += self.message
        return text + (f" (e.g. {'; '.join(self.examples)})" if self.examples else "")


class DataValidationError(ValueError):
    """A source's tables break the contract; `problems` says how."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(str(problem) for problem in self.problems[:3])
        more = len(self.problems) - 3
        super().__init__(shown + (f"; and {more} more problem(s)" if more > 0 else ""))


def row_number(index: Hashable) -> str:
    return f"row {index}"


def csv_line(index: Hashable) -> str:
    """A CSV row's line in the file (line 1 is the header)."""
    return f"line {int(index) + 2}"


def _examples(index: pd.Index, values: pd.Series, label: RowLabel) -> tuple[str, ...]:
    return tuple(
        f"{label(row)}: {value!r}"
        for row, value in zip(index[:EXAMPLES], values[:EXAMPLES], strict=False)
    )


def _shown(value: object) -> object:
    """A failing value as the report shows it: numbers as numbers, anything else as text."""
    if pd.isna(value):
        return None
    if isinstance(value, numbers.Number):
        return value.item() if hasattr(value, "item") else value
    return str(value)


# Parsing


def _parse_timestamps(raw: pd.Series) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype(TIMESTAMP)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw.dt.tz_localize("UTC").astype(TIMESTAMP)  # naive times are taken as UTC
    if pd.api.types.is_numeric_dtype(raw.dtype) and raw.notna().any():
        return pd.Series(pd.NaT, index=raw.index, dtype=TIMESTAMP)  # numbers are no timestamps
    text = raw.astype("string").str.strip()
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    return parsed.astype(TIMESTAMP)


def _parse_integers(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(pd.NA, index=raw.index, dtype="Int64")
    numbers = raw if _numeric(raw) else pd.to_numeric(raw.astype("string"), errors="coerce")
    if pd.api.types.is_integer_dtype(numbers.dtype):
        return numbers.astype("Int64")
    whole = numbers.where(numbers % 1 == 0)  # 1.5 is no count; NaN stays missing
    return whole.astype("Float64").astype("Int64")


def _parse_numbers(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(float("nan"), index=raw.index, dtype="float64")
    numbers = raw if _numeric(raw) else pd.to_numeric(raw.astype("string"), errors="coerce")
    return numbers.astype("Float64").astype("float64")


_TRUTH = {"true": True, "false": False, "1": True, "0": False}


def _parse_booleans(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean")
    if _numeric(raw):
        return raw.where(raw.isin([0, 1])).astype("boolean")
    return raw.astype("string").str.strip().str.lower().map(_TRUTH).astype("boolean")


def _numeric(raw: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)


PARSERS: dict[object, tuple[Callable[[pd.Series], pd.Series], str]] = {
    TIMESTAMP: (_parse_timestamps, "not ISO-8601 timestamps"),
    "int64": (_parse_integers, "not whole numbers"),
    "float64": (_parse_numbers, "not numbers"),
    "float32": (_parse_numbers, "not numbers"),
    "bool": (_parse_booleans, "not true/false"),
}


def _parse_column(raw: pd.Series, dtype: object) -> tuple[pd.Series, str]:
    if dtype in PARSERS:
        parser, message = PARSERS[dtype]
        return parser(raw), message
    text = raw if isinstance(raw.dtype, pd.StringDtype) else raw.astype("string")
    return text, ""


# The pandera schemas


def _column_schema(table: str, column: str, dtype: object):
    import pandera.pandas as pa

    checks = []
    if dtype == MODEL_TYPE:
        checks.append(pa.Check.isin(MODEL_TYPES, error=f"one of {', '.join(MODEL_TYPES)}"))
    if (table, column) in ALLOWED:
        allowed = ALLOWED[(table, column)]
        checks.append(pa.Check.isin(allowed, error=f"one of {', '.join(allowed)}"))
    if column in NON_NEGATIVE:
        checks.append(pa.Check.ge(0, error="0 or more"))
    if column in FRACTIONS:
        checks.append(pa.Check.in_range(0, 1, error="a fraction within 0..1"))
    parsed = "string" if dtype == MODEL_TYPE else PARSED_DTYPES.get(str(dtype), dtype)
    optional = column in OPTIONAL.get(table, set()) or dtype in ("float64", "float32")
    return pa.Column(parsed, checks=checks, nullable=optional, unique=UNIQUE.get(table) == column)


@functools.cache
def table_schema(table: str):
    """The pandera schema of one contract table as parsed: nullable dtypes, model types as text."""
    import pandera.pandas as pa

    columns = {
        column: _column_schema(table, column, dtype) for column, dtype in TABLES[table].items()
    }
    return pa.DataFrameSchema(columns, name=table, strict=False, ordered=False)


def _describe(check: str, count: int) -> str:
    values = f"{count:,} value(s)"
    if check == "not_nullable":
        return f"{values} empty; this column must always be filled"
    if check == "field_uniqueness":
        return f"{values} repeated; each must be unique"
    if check.startswith("dtype("):
        return f"{values} of the wrong type (expected {check[6:-1]})"
    return f"{values} not {check}"


def _schema_problems(
    error, where: str, label: RowLabel, unparsed: dict[str, pd.Index]
) -> list[Problem]:
    cases = error.failure_cases
    problems = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        if check == "not_nullable" and column in unparsed:
            # Values that did not parse are empty now, and were reported as unparsable.
            group = group[~group["index"].isin(unparsed[column])]
            if group.empty:
                continue
        rows = group.dropna(subset=["index"])
        problems.append(
            Problem(
                where,
                None if pd.isna(column) else str(column),
                _describe(str(check), len(group)),
                tuple(
                    f"{label(row)}: {_shown(value)!r}"
                    for row, value in zip(
                        rows["index"][:EXAMPLES], rows["failure_case"][:EXAMPLES], strict=False
                    )
                ),
            )
        )
    return problems


def validate_table(
    table: str, raw: pd.DataFrame, where: str, label: RowLabel = row_number
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse and check one table; return it conformed and sorted, or None and the problems."""
    import pandera.errors

    columns = TABLES[table]
    absent = [column for column in MAY_BE_ABSENT.get(table, ()) if column not in raw.columns]
    raw = raw.assign(
        **{column: pd.Series(pd.NA, index=raw.index, dtype="string") for column in absent}
    )
    missing = [column for column in columns if column not in raw.columns]
    problems = [
        Problem(
            where,
            column,
            "missing column (the file has: " + (", ".join(map(str, raw.columns)) or "none") + ")",
        )
        for column in missing
    ]
    raw = raw.reset_index(drop=True)
    parsed = {}
    unparsed: dict[str, pd.Index] = {}
    for column, dtype in columns.items():
        if column in missing:
            continue
        values, message = _parse_column(raw[column], dtype)
        failed = raw[column].notna() & values.isna()
        if failed.any():
            bad = raw[column][failed]
            unparsed[column] = bad.index
            problems.append(
                Problem(
                    where,
                    column,
                    f"{int(failed.sum()):,} value(s) {message}",
                    _examples(bad.index, bad.map(_shown), label),
                )
            )
        parsed[column] = values
    frame = pd.DataFrame(parsed, index=raw.index)
    schema = table_schema(table)
    try:
        (schema.remove_columns(missing) if missing else schema).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as error:
        problems.extend(_schema_problems(error, where, label, unparsed))
    if problems:
        return None, problems
    return _sorted(table, conform(table, frame)), []


def _sorted(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted as the query layer expects: by the time column, or by session and step."""
    keys = [TIME_COLUMNS[table]] if TIME_COLUMNS[table] else ["session_id", "step"]
    if len(keys) == 1 and frame[keys[0]].is_monotonic_increasing:
        return frame
    return frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def validated(table: str, frame: pd.DataFrame, where: str, label: RowLabel = row_number):
    """`validate_table` for tables a source builds itself: raise on any problem."""
    checked, problems = validate_table(table, frame, where, label)
    if problems:
        raise DataValidationError(problems)
    return checked
