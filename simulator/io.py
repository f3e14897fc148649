"""Contract tables on disk: one `<table>.parquet` or `<table>.csv` file per table.

This is the documented format of `python -m simulator export` and of the directory data
source. CSV files hold ISO-8601 UTC timestamps and leave missing values empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import pandas as pd

from simulator.schema import TABLES, TIMESTAMP, conform

FORMATS: tuple[str, ...] = ("parquet", "csv")


def write_tables(
    tables: Mapping[str, pd.DataFrame], out_dir: str | PathLike[str], fmt: str = "parquet"
) -> list[Path]:
    """Write each table to `out_dir/<table>.<fmt>` and return the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        table = conform(name, frame)
        path = directory / f"{name}.{fmt}"
        if fmt == "parquet":
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False)
        paths.append(path)
    return paths


def read_tables(directory: str | PathLike[str]) -> dict[str, pd.DataFrame]:
    """Every contract table from `directory`, Parquet preferred over CSV, conformed."""
    directory = Path(directory)
    tables = {}
    for name in TABLES:
        candidates = [directory / f"{name}.{fmt}" for fmt in FORMATS]
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise FileNotFoundError(f"no {name}.parquet or {name}.csv in {directory}")
        tables[name] = read_table(found)
    return tables


def read_table(path: str | PathLike[str]) -> pd.DataFrame:
    """One contract table from a `<table>.parquet` or `<table>.csv` file."""
    path = Path(path)
    name = path.stem
    if name not in TABLES:
        raise ValueError(f"{path.name} is not a contract table file")
    if path.suffix == ".parquet":
        return conform(name, pd.read_parquet(path))
    if path.suffix == ".csv":
        return _read_csv(path, name)
    raise ValueError(f"{path.name}: expected a .parquet or .csv file")


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    columns = TABLES[name]
    # Read text-like columns as text (empty means missing) and parse timestamps afterwards.
    read_as = {
        column: dtype if dtype in ("int64", "float64", "float32", "bool") else "string"
        for column, dtype in columns.items()
    }
    frame = pd.read_csv(path, dtype=read_as, keep_default_na=False, na_values=[""])
    for column, dtype in columns.items():
        if dtype == TIMESTAMP:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return conform(name, frame)
