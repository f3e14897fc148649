"""The source protocol: what reading a source gives the ingest (dashboard.data.ingest).

A source turns where the data lives into contract tables as of a moment. The ingest asks it
for the rows since the last settled moment (`since`); a source may honour that (the simulator
returns only its newest rows) or return whole tables (files, MLflow, TensorBoard), and says
which in the snapshot it returns. A source whose history is large and generated in slices (the
simulator) may also offer `read_history(now)`: the same rows as a first read, as snapshots
of one slice each, which the ingest stores one at a time (or None where one read is better).
Only the ingest reads sources: `load` counts the reads of this process, so a test can prove
that web workers never read one.

A source may hold only some tables: asking a snapshot for a missing one raises `MissingTable`,
which says how to provide it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from dashboard.data.sources.validation import DataValidationError, Problem
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
class GpuClaim:
    """A session that names the GPUs it trains on: `gpus` (indices or UUIDs) on `host`, from
    `start` until `end` (None: still running)."""

    session_id: str
    host: str
    gpus: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp | None


@dataclass(frozen=True)
class Snapshot:
    """What one read of a source gave: contract tables as of `as_of`, and where they came from.

    `since` says what the tables hold: None, every row; a moment, only the rows of the event
    tables timestamped at or after it (the small reference tables are always whole). Rows
    before `settled_before` never change again, so the next read may start there. `token`
    identifies the content read (file sizes and times, run update times): an equal token
    means nothing changed. A source that keeps a limited history says where it starts
    (`kept_from`): stored partitions wholly before it are dropped. `hints` says for each
    missing table how to provide it, `problems` lists what broke the contract (a snapshot
    with problems is never published: `load` raises them) and `notes` what was skipped or
    chosen along the way. A training source lists the GPUs its sessions claim (`claims`); a
    telemetry source says which host and GPU each `gpu_id` is (`gpus`: gpu_id, host, gpu,
    uuid), so that a combined source can attribute GPU time to sessions.
    """

    tables: Mapping[str, pd.DataFrame]
    as_of: pd.Timestamp
    source: str
    token: str = ""
    hints: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    since: pd.Timestamp | None = None
    settled_before: pd.Timestamp | None = None
    kept_from: pd.Timestamp | None = None  # the source keeps no rows before this (retention)
    claims: tuple[GpuClaim, ...] = ()
    # A source of one kind of data (GPU telemetry): its hints yield to those of the others.
    hints_yield: bool = False
    gpus: pd.DataFrame | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tables, Tables):
            object.__setattr__(self, "tables", Tables(self.tables, self.hints))

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

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot: ...


class ReadingSource:
    """A source that reads real data: `read` gathers tables and problems, `load` serves them."""

    name: str

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        raise NotImplementedError

    def load(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        return load(self, now, since)


class _ReadCounter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self.lock:
            self.count += 1


reads = _ReadCounter()


def read_source(source: Source, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
    """What a source holds, problems included (`check-data`), without raising on them."""
    reads.add()
    return source.read(now, since)


def load(source: Source, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
    """Read `source`, raising DataValidationError when what it holds breaks the contract."""
    snapshot = read_source(source, now, since)
    if snapshot.problems:
        raise DataValidationError(snapshot.problems)
    return snapshot


def load_history(source: Source, now: pd.Timestamp) -> Iterator[Snapshot] | None:
    """A first read a slice at a time (see the module docstring), each slice checked as
    `load` checks a read; None when the source reads its history only whole."""
    read_history = getattr(source, "read_history", None)
    slices = None if read_history is None else read_history(now)
    if slices is None:
        return None
    reads.add()

    def checked() -> Iterator[Snapshot]:
        for snapshot in slices:
            if snapshot.problems:
                raise DataValidationError(snapshot.problems)
            yield snapshot

    return checked()


def content_token(parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
