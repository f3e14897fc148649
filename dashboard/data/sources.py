"""Data sources: each turns where the data lives into the contract tables as of a moment.

`DASHBOARD_DATA_SOURCE` names one (see `source_from_setting`):

- `simulator`: the built-in simulator (default);
- a directory path: one `<table>.parquet` or `<table>.csv` per contract table, in the format of
  `python -m simulator export` (`dashboard.data.directory_source`);
- `mlflow:<tracking URI>`: training runs from MLflow (`dashboard.data.mlflow_source`);
- `tensorboard:<log dir>`: training runs from TensorBoard event files
  (`dashboard.data.tensorboard_source`);
- several of these joined by `;` (`mlflow:sqlite:///runs.db;/srv/soc-exports`): each table comes
  from the first of them that holds it.

A source may hold only some tables: asking a snapshot for a missing one raises `MissingTable`,
which says how to provide it. Snapshots of real data are as of their load time, so "Last 24
Hours" means the real last 24 hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from dashboard.data.validation import DataValidationError, Problem
from simulator import simulate
from simulator.schema import TABLES

SEPARATOR = ";"


class MissingTable(LookupError):
    """The data source holds no such table; `hint` says how to provide it."""

    def __init__(self, table: str, hint: str) -> None:
        self.table = table
        self.hint = hint
        super().__init__(f"the data source has no {table} table: {hint}")


class Tables(dict):
    """The tables of a snapshot; a missing one raises MissingTable (a LookupError), not KeyError."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], hints: Mapping[str, str]) -> None:
        super().__init__(tables)
        self.hints = dict(hints)

    def __missing__(self, name: str) -> pd.DataFrame:
        raise MissingTable(name, self.hints.get(name, "this source does not provide it"))


@dataclass(frozen=True)
class Snapshot:
    """The contract tables as they stood at `as_of`, and where they came from.

    `token` identifies the content read (file sizes and times, run update times), `hints` says
    for each missing table how to provide it, `problems` lists what broke the contract (a
    snapshot with problems is never served: `Source.load` raises them) and `notes` what was
    skipped or chosen along the way. A source may promise that rows timestamped before
    `sealed_before` are the same in every snapshot of one `history` (the simulator: a UTC
    day), so that what is derived from them (rollups) is built once for that history.
    """

    tables: Mapping[str, pd.DataFrame]
    as_of: pd.Timestamp
    source: str
    token: str = ""
    hints: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    history: str = ""
    sealed_before: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tables, Tables):
            object.__setattr__(self, "tables", Tables(self.tables, self.hints))

    @property
    def version(self) -> str:
        """A token that changes whenever the data may have: part of every cache key."""
        content = f"#{self.token}" if self.token else ""
        return f"{self.source}@{self.as_of.isoformat()}{content}"

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def missing(self) -> list[str]:
        """Contract tables this snapshot lacks, in contract order."""
        return [name for name in TABLES if name not in self.tables]

    def row_counts(self) -> dict[str, int]:
        return {name: len(self.tables[name]) for name in TABLES if name in self.tables}


class Source(Protocol):
    name: str

    def load(self, now: pd.Timestamp) -> Snapshot: ...


class ReadingSource:
    """A source that reads real data: `read` gathers tables and problems, `load` serves them."""

    name: str

    def read(self, now: pd.Timestamp) -> Snapshot:
        raise NotImplementedError

    def load(self, now: pd.Timestamp) -> Snapshot:
        snapshot = self.read(now)
        if snapshot.problems:
            raise DataValidationError(snapshot.problems)
        return snapshot


def read_source(source: Source, now: pd.Timestamp) -> Snapshot:
    """What a source holds, problems included (`check-data`), without raising on them."""
    reader = getattr(source, "read", None)
    return reader(now) if callable(reader) else source.load(now)


def content_token(parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class SimulatorSource:
    """The built-in simulator: live data that ends at `now`."""

    # Rows of past days only change while a response is still open, which takes minutes.
    SEALED_MARGIN = pd.Timedelta(days=1)

    def __init__(self, seed: int, scale: int = 1) -> None:
        self.seed = seed
        self.scale = scale
        self.name = f"simulator(seed={seed}, scale={scale})"

    def load(self, now: pd.Timestamp) -> Snapshot:
        # One day plan serves every moment of its UTC day (simulator.generate).
        day = now.floor("D")
        return Snapshot(
            simulate(self.seed, self.scale, now),
            now,
            self.name,
            history=f"day {day.date().isoformat()}",
            sealed_before=day - self.SEALED_MARGIN,
        )


class CombinedSource(ReadingSource):
    """Several sources as one: each table from the first source that holds it."""

    def __init__(self, parts: list[Source]) -> None:
        self.parts = parts
        self.name = " + ".join(part.name for part in parts)

    def read(self, now: pd.Timestamp) -> Snapshot:
        snapshots = [read_source(part, now) for part in self.parts]
        tables: dict[str, pd.DataFrame] = {}
        hints: dict[str, str] = {}
        for name in TABLES:
            holder = next((snap for snap in snapshots if name in snap.tables), None)
            if holder is not None:
                tables[name] = holder.tables[name]
            else:
                ways = [snap.hints.get(name) for snap in snapshots if snap.hints.get(name)]
                hints[name] = "; or ".join(dict.fromkeys(ways)) or "no source provides it"
        return Snapshot(
            tables,
            now,
            self.name,
            token=content_token([snap.version for snap in snapshots]),
            hints=hints,
            problems=tuple(problem for snap in snapshots for problem in snap.problems),
            notes=tuple(note for snap in snapshots for note in snap.notes),
        )


def source_from_setting(
    setting: str,
    seed: int,
    scale: int,
    metric_aliases: Mapping[str, str] | None = None,
    model_type_map: Mapping[str, str] | None = None,
) -> Source:
    """Build the source that `DASHBOARD_DATA_SOURCE` names (ValueError if it cannot be)."""
    setting = setting.strip()
    if SEPARATOR in setting:
        parts = [part for part in setting.split(SEPARATOR) if part.strip()]
        return CombinedSource(
            [
                source_from_setting(part, seed, scale, metric_aliases, model_type_map)
                for part in parts
            ]
        )
    if setting == "simulator":
        return SimulatorSource(seed, scale)
    if setting.startswith("mlflow:"):
        from dashboard.data.mlflow_source import MlflowSource

        return MlflowSource(setting.removeprefix("mlflow:"), metric_aliases, model_type_map)
    if setting.startswith("tensorboard:"):
        from dashboard.data.tensorboard_source import TensorBoardSource

        return TensorBoardSource(
            setting.removeprefix("tensorboard:"), metric_aliases, model_type_map
        )
    if not setting:
        raise ValueError("DASHBOARD_DATA_SOURCE is empty; use 'simulator'")
    from dashboard.data.directory_source import DirectorySource

    return DirectorySource(setting)
