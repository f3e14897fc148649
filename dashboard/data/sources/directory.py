"""A directory of contract tables: `<table>.parquet` or `<table>.csv`, as the simulator exports.

Each file is parsed and validated once per version of it (its size and modification time), so
re-reading an unchanged directory on every refresh costs a few `stat` calls. A table without a
file is missing (the pages that need it say so); a file that cannot be read or breaks the
contract is a problem, and the load fails, so the dashboard keeps its last good data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot, content_token
from dashboard.data.sources.validation import Problem, csv_line, row_number, validate_table
from simulator.io import FORMATS
from simulator.schema import TABLES

EXPORT_COMMAND = "python -m simulator export"


def table_hint(table: str, directory: Path | str) -> str:
    return (
        f"put {table}.parquet or {table}.csv in {directory} "
        f"(the format `{EXPORT_COMMAND}` writes; see the README's data format)"
    )


def read_table_file(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and validate one table file; return the conformed table or the problems."""
    try:
        if path.suffix == ".parquet":
            raw = pd.read_parquet(path)
        else:
            # Every CSV column as text: the validation parses it and names what does not parse.
            raw = pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
    except Exception as error:  # a half-written or foreign file: say what the reader said
        reason = f"{type(error).__name__}: {error}".strip()
        return None, [Problem(path.name, None, f"cannot be read as {path.suffix[1:]}: {reason}")]
    label = csv_line if path.suffix == ".csv" else row_number
    return validate_table(table, raw, path.name, label)


class DirectorySource(ReadingSource):
    """Contract tables from the files of one directory, re-parsed only when a file changes."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).expanduser()
        if not self.directory.is_dir():
            raise ValueError(
                f"DASHBOARD_DATA_SOURCE {str(directory)!r} is not a directory; expected "
                "'simulator', a directory of tables, 'mlflow:<tracking URI>' or "
                "'tensorboard:<log dir>'"
            )
        self.name = f"directory {self.directory}"
        # table -> ((file name, mtime, size), conformed table) of the last good read
        self._parsed: dict[str, tuple[tuple[str, int, int], pd.DataFrame]] = {}

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        if not self.directory.is_dir():
            raise FileNotFoundError(f"data directory {self.directory} is gone")
        tables: dict[str, pd.DataFrame] = {}
        hints: dict[str, str] = {}
        problems: list[Problem] = []
        notes: list[str] = []
        versions = []
        for table in TABLES:
            files = [self.directory / f"{table}.{fmt}" for fmt in FORMATS]
            present = [path for path in files if path.is_file()]
            if not present:
                hints[table] = table_hint(table, self.directory)
                continue
            if len(present) > 1:
                notes.append(
                    f"both {present[0].name} and {present[1].name}: read {present[0].name}"
                )
            path = present[0]
            stat = path.stat()
            version = (path.name, stat.st_mtime_ns, stat.st_size)
            versions.append(version)
            cached = self._parsed.get(table)
            if cached is not None and cached[0] == version:
                tables[table] = cached[1]
                continue
            frame, file_problems = read_table_file(path, table)
            if file_problems:
                problems.extend(file_problems)
                continue
            self._parsed[table] = (version, frame)
            tables[table] = frame
        notes.extend(self._strays())
        if not versions:
            problems.append(
                Problem(
                    str(self.directory),
                    None,
                    "holds no contract table file (<table>.parquet or <table>.csv for "
                    f"{', '.join(TABLES)})",
                )
            )
        return Snapshot(
            tables,
            now,
            self.name,
            token=content_token(versions),
            hints=hints,
            problems=tuple(problems),
            notes=tuple(notes),
        )

    def _strays(self) -> list[str]:
        """Table-like files that match no table: most likely a misspelt name."""
        return [
            f"ignored {path.name}: not a contract table name"
            for path in sorted(self.directory.iterdir())
            if path.suffix[1:] in FORMATS and path.stem not in TABLES
        ]
