"""CSV that is safe to open in a spreadsheet: OWASP's CSV-injection rule.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (a tag or a failure reason from the source
could run `=HYPERLINK(...)` or worse), so it is written with a leading `'`, which makes it
text, and every text field is quoted (a line break inside one stays inside it). Numbers are
left as they are. The server's CSV downloads are written by `csv_text`, the grids' own exports
go through `csvSafeCell` in assets/dashAgGridFunctions.js (the same rule; AG Grid quotes every
field).
"""

from __future__ import annotations

import csv

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The grids' csvExportParams: every exported cell goes through the browser-side rule.
GRID_CSV_CELL = {"function": "csvSafeCell(params)"}


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with every text cell that a spreadsheet would run as a formula made text."""
    text_columns = [
        column
        for column in table.columns
        if pd.api.types.is_object_dtype(table[column])
        or pd.api.types.is_string_dtype(table[column])
    ]
    return table.assign(**{column: table[column].map(safe_cell) for column in text_columns})


def csv_text(table: pd.DataFrame) -> str:
    """`table` as CSV for a spreadsheet: formulas made text, text fields quoted."""
    return spreadsheet_safe(table).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
