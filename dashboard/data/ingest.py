"""The ingest: reads the source, once per host and never inside a request, into the store.

One `Ingester` per data directory (a file lock makes the others wait): every refresh it asks
the source for the rows since the last settled moment, merges them into the time partitions
of each table (dashboard.data.manifest), computes the rollup cells of every partition it
writes (dashboard.data.cells), and publishes the new generation atomically. A read that
fails, or whose rows break the contract, publishes nothing but the error: the workers keep
serving the last good generation and say why. A read that changes nothing keeps the
generation, so no cache entry goes stale.

gunicorn's master starts it as a process of its own (`python -m dashboard.data.ingest`);
tests and the development server run `ingest_once` inline.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd

from dashboard.analysis.drift import drift_weeks_of
from dashboard.data import cells
from dashboard.data.manifest import (
    PARTITION_COLUMNS,
    SPILL_DIR,
    WHOLE,
    Manifest,
    Part,
    read_manifest,
    write_manifest,
)
from dashboard.data.sources import (
    MissingTable,
    Snapshot,
    Source,
    is_sql_store,
    load,
    load_history,
)
from dashboard.data.sources.base import SEPARATOR
from dashboard.data.sql_store import SqlStore
from dashboard.data.tables import CELL_SCHEMAS, DRIFT_WEEKS, GPU_NAMES, contract_table
from simulator.schema import MODEL_TYPES, TABLES, conform

log = logging.getLogger(__name__)

# Replaced files stay this long, for queries that started on the generation before.
RETIRE_AFTER = pd.Timedelta(minutes=2)
US_PER_DAY = 86_400_000_000
CELLS_OF = {
    "alerts": ("alert_cells",),
    "resource_usage": ("fleet_cells", "gpu_cells"),
}
_LOCKS: dict[Path, threading.Lock] = {}
CELL_DTYPES = {
    name: {
        column: {"string": "string", "int64": "int64", "float64": "float64"}[str(dtype)]
        for column, dtype in schema.items()
    }
    for name, schema in CELL_SCHEMAS.items()
    if name != DRIFT_WEEKS
}


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").as_unit("us")


def digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + repr(list(frame.columns)).encode()).hexdigest()[:20]


def partition_keys(times: pd.Series, settled_before: pd.Timestamp | None) -> np.ndarray:
    """Each row's partition: its UTC month once the month is settled, else its UTC day."""
    days = times.array.asi8 // US_PER_DAY
    unique, where = np.unique(days, return_inverse=True)
    starts = pd.to_datetime(unique * US_PER_DAY, unit="us", utc=True)
    keys = np.asarray(starts.strftime("%Y-%m-%d"), dtype=object)
    if settled_before is not None:
        month_ends = (starts.tz_localize(None).to_period("M") + 1).start_time.tz_localize("UTC")
        settled = np.asarray(month_ends <= settled_before)
        keys[settled] = np.asarray(starts.strftime("%Y-%m"), dtype=object)[settled]
    return keys[where]


class Ingester:
    """Reads `source` into the store in `data_dir` (see the module docstring)."""

    def __init__(
        self,
        source: Source | None,
        data_dir: Path,
        clock: Callable[[], pd.Timestamp] = utc_now,
        sql: SqlStore | None = None,
        align_seconds: int = 0,
    ) -> None:
        self.source = source or EmptySource()
        self.sql = sql
        self.name = store_name(source, sql)
        # Reads as of a whole refresh interval give every host the same generation content.
        self.align_seconds = align_seconds
        self.data_dir = Path(data_dir)
        self.clock = clock
        self._engine: duckdb.DuckDBPyConnection | None = None
        self._sessions_files: list[str] | None = None

    @property
    def engine(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB that computes rollup cells, made on first use (never before a fork)."""
        if self._engine is None:
            spill = str(self.data_dir / SPILL_DIR)
            self._engine = duckdb.connect(config={"threads": 2, "temp_directory": spill})
            self._engine.execute("SET TimeZone='UTC'")
        return self._engine

    # One ingest

    def run_once(self) -> Manifest:
        """Read the source once and publish what changed; return the manifest in force."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            previous = read_manifest(self.data_dir) or Manifest()
            now = self.clock()
            if self.align_seconds > 0:
                now = now.floor(f"{self.align_seconds}s")
            fresh = self._needs_reset(previous, now)
            if fresh:
                stale = [
                    (part.file, now.isoformat())
                    for parts in previous.tables.values()
                    for part in parts
                ]
                previous = Manifest(
                    errors_total=previous.errors_total, retired=[*previous.retired, *stale]
                )
            since = None if fresh else _time(previous.settled_before)
            try:
                in_place = self.sql.fingerprints() if self.sql is not None else {}
                history = load_history(self.source, now) if since is None else None
                if history is not None:
                    manifest = self._merged_history(previous, history, now, in_place)
                else:
                    snapshot = load(self.source, now, since)
                    manifest = self._merged(previous, snapshot, now, in_place)
            except Exception as error:  # any failure of a source must leave the last good data
                manifest = self._failed(previous, error, now)
            self._retire_old(manifest, now)
            write_manifest(self.data_dir, manifest)
            return manifest

    def _needs_reset(self, previous: Manifest, now: pd.Timestamp) -> bool:
        """Start over for another source, or when the clock went back (a simulated clock
        restarted at an earlier moment): the stored rows are not this source's past."""
        if not previous.loaded:
            return True
        return previous.source != self.name or previous.as_of_time() > now

    def _failed(self, previous: Manifest, error: Exception, now: pd.Timestamp) -> Manifest:
        previous.last_error = f"{type(error).__name__}: {error}"
        previous.failed_at = now.isoformat()
        previous.errors_total += 1
        previous.source = previous.source or self.name
        if previous.loaded:
            log.warning(
                "re-reading %s failed, serving data as of %s: %s",
                self.name,
                previous.as_of,
                previous.last_error,
            )
        else:
            log.error(
                "reading %s failed, no data yet: %s",
                self.name,
                previous.last_error,
                exc_info=error,
            )
        return previous

    def _merged_history(
        self,
        previous: Manifest,
        history: Iterator[Snapshot],
        now: pd.Timestamp,
        in_place: dict[str, str],
    ) -> Manifest:
        """A first read a slice at a time, oldest first: each slice's partitions and cells
        are written before the next is read; settled months are compacted and the weeks of
        drift found once, after the last. One new generation, as for a single read."""
        working, snapshot = previous, None
        for snapshot in history:
            working = self._merged(working, snapshot, now, in_place, last_slice=False)
        if snapshot is None:
            raise ValueError(f"{self.name} returned no history")
        manifest = self._merged(working, snapshot, now, in_place, rows_written=True)
        manifest.generation = previous.generation + 1
        return manifest

    def _merged(
        self,
        previous: Manifest,
        snapshot: Snapshot,
        now: pd.Timestamp,
        in_place: dict[str, str],
        last_slice: bool = True,
        rows_written: bool = False,
    ) -> Manifest:
        """`previous` with the snapshot's rows merged in. A slice of a history read that is not
        its last leaves settled days uncompacted and the weeks of drift unchanged; with
        `rows_written` the snapshot's rows are already stored and only that is left to do."""
        settled = snapshot.settled_before
        tables: dict[str, list[Part]] = {}
        retired: list[str] = []
        changed_tables: set[str] = set()
        sessions_from: pd.Timestamp | None = None  # the first day of changed sessions
        for name in TABLES:
            old = previous.tables.get(name, [])
            try:
                if name in in_place:  # the database's table wins: it is read in place
                    raise MissingTable(name, "")
                rows = snapshot.table(name)
            except MissingTable:
                retired.extend(part.file for part in old)
                changed_tables.update([name] if old else [])
                continue
            if name not in PARTITION_COLUMNS:
                parts = self._whole(name, rows, old)
            elif rows_written:
                parts = list(old)
            elif snapshot.since is None:
                parts = self._repartitioned(name, rows, old, settled)
            else:
                parts = self._appended(name, rows, old, snapshot.since)
            if name == "training_sessions":
                sessions_from = _first_changed(parts, old)
            if last_slice:
                parts = self._compacted(name, parts, settled)
            parts = [part for part in parts if not _ends_by(part.partition, snapshot.kept_from)]
            new_files = {part.file for part in parts}
            retired.extend(part.file for part in old if part.file not in new_files)
            if {part.file for part in old} != new_files:
                changed_tables.add(name)
            tables[name] = parts
        self._update_cells(tables, previous, changed_tables, retired, sessions_from)
        if last_slice:
            self._update_drift_weeks(tables, previous, changed_tables, retired)
        elif DRIFT_WEEKS in previous.tables:
            tables[DRIFT_WEEKS] = previous.tables[DRIFT_WEEKS]
        self._update_gpu_names(tables, previous, snapshot, changed_tables, retired)
        hints = {name: hint for name, hint in snapshot.hints.items() if name not in in_place}
        changed = (
            bool(changed_tables)
            or hints != previous.hints
            or in_place != previous.sql_tables
            or not previous.loaded
        )
        manifest = Manifest(
            generation=previous.generation + (1 if changed else 0),
            source=self.name,
            as_of=snapshot.as_of.isoformat() if changed else previous.as_of,
            checked_at=now.isoformat(),
            settled_before=None if settled is None else settled.isoformat(),
            token=snapshot.token,
            tables=tables,
            sql_tables=in_place,
            hints=hints,
            notes=list(snapshot.notes),
            errors_total=previous.errors_total,
            retired=[*previous.retired, *((file, now.isoformat()) for file in retired)],
        )
        if previous.last_error:
            log.warning("reading %s works again", self.name)
        return manifest

    # Partitions of one table

    def _write(self, table: str, key: str, rows: pd.DataFrame, settled: bool) -> Part:
        folder = self.data_dir / table
        folder.mkdir(exist_ok=True)
        name = f"{table}/{key}.{uuid.uuid4().hex[:12]}.parquet"
        temporary = self.data_dir / f"{name}.tmp"
        rows.to_parquet(temporary, index=False)
        os.replace(temporary, self.data_dir / name)
        return Part(key, name, len(rows), digest(rows), settled)

    def _read(self, part: Part) -> pd.DataFrame:
        return pd.read_parquet(self.data_dir / part.file)

    def _whole(self, name: str, rows: pd.DataFrame, old: list[Part]) -> list[Part]:
        rows = conform(name, rows)
        if len(old) == 1 and old[0].digest == digest(rows):
            return old
        return [self._write(name, WHOLE, rows, settled=False)]

    def _partitions(
        self, name: str, rows: pd.DataFrame, settled_before: pd.Timestamp | None
    ) -> Iterator[tuple[str, pd.DataFrame]]:
        column = PARTITION_COLUMNS[name]
        rows = conform(name, rows).sort_values(column, kind="stable", ignore_index=True)
        if rows.empty:
            yield "empty", rows
            return
        keys = partition_keys(rows[column], settled_before)
        for key, group in rows.groupby(keys, sort=True):
            yield str(key), group.reset_index(drop=True)

    def _repartitioned(
        self, name: str, rows: pd.DataFrame, old: list[Part], settled: pd.Timestamp | None
    ) -> list[Part]:
        """A whole table read again: write only the partitions whose rows changed."""
        kept = {part.partition: part for part in old}
        parts = []
        for key, group in self._partitions(name, rows, settled):
            before = kept.get(key)
            if before is not None and before.digest == digest(group):
                parts.append(before)
            else:
                parts.append(self._write(name, key, group, _ends_by(key, settled)))
        return parts

    def _appended(
        self, name: str, rows: pd.DataFrame, old: list[Part], since: pd.Timestamp
    ) -> list[Part]:
        """Rows from `since` on: they replace what the partitions from since's day held."""
        column = PARTITION_COLUMNS[name]
        first_open = since.strftime("%Y-%m-%d")
        kept = [part for part in old if part.partition < first_open or len(part.partition) == 7]
        reopened = [part for part in old if part not in kept and part.partition != "empty"]
        frames = [rows]
        for part in reopened:
            earlier = self._read(part)
            frames.append(earlier[(earlier[column] < since).to_numpy()])
        merged = pd.concat([frame for frame in frames if len(frame)] or [rows], ignore_index=True)
        if merged.empty and kept:
            return kept
        before = {part.partition: part for part in reopened}
        parts = list(kept)
        for key, group in self._partitions(name, merged, None):
            same = before.get(key)
            if same is not None and same.digest == digest(group):
                parts.append(same)
            else:
                parts.append(self._write(name, key, group, settled=False))
        return parts

    def _compacted(self, name: str, parts: list[Part], settled: pd.Timestamp | None) -> list[Part]:
        """Merge the day partitions of each settled month into one month partition."""
        months: dict[str, list[Part]] = {}
        for part in parts:
            if len(part.partition) == 10 and _ends_by(part.partition[:7], settled):
                months.setdefault(part.partition[:7], []).append(part)
        if not months:
            return parts
        merged_away = {part.file for days in months.values() for part in days}
        result = [part for part in parts if part.file not in merged_away]
        for month, days in months.items():
            result.append(self._joined(name, month, days))
        return sorted(result, key=lambda part: part.partition)

    def _joined(self, table: str, month: str, days: list[Part]) -> Part:
        """One settled file of a month's day files, copied by the engine (it streams: a
        month of a big table never sits in this process's memory). The month's digest is
        that of its days' digests, in order, so it depends on the rows alone."""
        days = sorted(days, key=_partition)
        files = [str(self.data_dir / part.file) for part in days]
        name = f"{table}/{month}.{uuid.uuid4().hex[:12]}.parquet"
        temporary = self.data_dir / f"{name}.tmp"
        self.engine.execute(
            f"COPY (SELECT * FROM read_parquet({files!r})) TO {str(temporary)!r} (FORMAT parquet)"
        )
        os.replace(temporary, self.data_dir / name)
        return Part(month, name, sum(part.rows for part in days), _days_digest(days), True)

    # Rollup cells

    def _update_cells(
        self,
        tables: dict[str, list[Part]],
        previous: Manifest,
        changed_tables: set[str],
        retired: list[str],
        sessions_from: pd.Timestamp | None,
    ) -> None:
        """Cells for every partition of alerts and resource_usage that was written, and for
        the resource partitions from the first day whose sessions changed: resource cells
        carry the sessions' model types, and telemetry names a session only once it started."""
        for table, cell_tables in CELLS_OF.items():
            raw_parts = tables.get(table)
            for cell_table in cell_tables:
                old = {part.partition: part for part in previous.tables.get(cell_table, [])}
                if raw_parts is None or (
                    table == "resource_usage" and "training_sessions" not in tables
                ):
                    retired.extend(part.file for part in old.values())
                    continue
                parts = []
                for raw in raw_parts:
                    names_changed_sessions = (
                        table == "resource_usage"
                        and sessions_from is not None
                        and not _ends_by(raw.partition, sessions_from)
                    )
                    if not names_changed_sessions:
                        before = old.get(raw.partition)
                        if before is not None and before.digest == raw.digest:
                            parts.append(before)
                            continue
                        month = self._month_of_day_cells(cell_table, raw, old)
                        if month is not None:
                            parts.append(month)
                            continue
                    cell_rows = self._cells(cell_table, raw, tables)
                    part = self._write(cell_table, raw.partition, cell_rows, raw.settled)
                    part.digest = raw.digest
                    parts.append(part)
                files = {part.file for part in parts}
                retired.extend(part.file for part in old.values() if part.file not in files)
                if files != {part.file for part in old.values()}:
                    changed_tables.add(cell_table)
                tables[cell_table] = parts

    def _month_of_day_cells(self, cell_table: str, raw: Part, old: dict[str, Part]) -> Part | None:
        """A compacted month's cells, joined from the cells of its days when they hold
        exactly its rows (bins never straddle days, so the month's cells are theirs)."""
        if len(raw.partition) != 7:
            return None
        days = sorted(
            (part for key, part in old.items() if key.startswith(raw.partition + "-")),
            key=_partition,
        )
        if not days or _days_digest(days) != raw.digest:
            return None
        part = self._joined(cell_table, raw.partition, days)
        part.digest = raw.digest
        return part

    def _cells(self, cell_table: str, raw: Part, tables: dict[str, list[Part]]) -> pd.DataFrame:
        """The cells of one stored partition, which the engine reads from its file."""
        engine = self.engine
        raw_table = "alerts" if cell_table == "alert_cells" else "resource_usage"
        engine.execute(
            f"CREATE OR REPLACE TEMP VIEW {raw_table} AS "
            f"SELECT * FROM read_parquet({str(self.data_dir / raw.file)!r})"
        )
        if cell_table != "alert_cells":
            files = [str(self.data_dir / part.file) for part in tables["training_sessions"]]
            if self._sessions_files != files:
                engine.execute(
                    "CREATE OR REPLACE TEMP TABLE training_sessions AS "
                    f"SELECT session_id, model_type FROM read_parquet({files!r})"
                )
                self._sessions_files = files
        frame = engine.execute(_cells_sql(cell_table)).df()
        frame = frame.sort_values(list(frame.columns[:2]), ignore_index=True)
        return frame.astype(CELL_DTYPES[cell_table])

    # The weeks of drift (Training page marks): a scan of every feature sample, once a day

    def _update_drift_weeks(
        self,
        tables: dict[str, list[Part]],
        previous: Manifest,
        changed_tables: set[str],
        retired: list[str],
    ) -> None:
        old = previous.tables.get(DRIFT_WEEKS, [])
        if "feature_samples" not in tables:
            retired.extend(part.file for part in old)
            return
        if old and "feature_samples" not in changed_tables:
            tables[DRIFT_WEEKS] = old
            return
        frames = [self._read(part) for part in tables["feature_samples"]]
        samples = conform("feature_samples", pd.concat(frames, ignore_index=True))
        samples = samples.sort_values(["date", "feature"], kind="stable", ignore_index=True)
        features = sorted(str(name) for name in samples["feature"].unique())
        rows = []
        for model in ("all", *MODEL_TYPES):
            chosen = samples if model == "all" else samples[samples["model_type"] == model]
            chosen = chosen.reset_index(drop=True)
            rows.extend((model, day) for day in drift_weeks_of(chosen, features))
        weeks = pd.DataFrame(rows, columns=["model", "date"])
        weeks = weeks.astype({"model": "string", "date": "datetime64[us, UTC]"})
        retired.extend(part.file for part in old)
        tables[DRIFT_WEEKS] = [self._write(DRIFT_WEEKS, WHOLE, weeks, settled=False)]
        changed_tables.add(DRIFT_WEEKS)

    def _update_gpu_names(
        self,
        tables: dict[str, list[Part]],
        previous: Manifest,
        snapshot: Snapshot,
        changed_tables: set[str],
        retired: list[str],
    ) -> None:
        """What each gpu_id is, as the telemetry source names its GPUs (host and index)."""
        old = previous.tables.get(GPU_NAMES, [])
        gpus = snapshot.gpus
        if gpus is None or gpus.empty or "resource_usage" not in tables:
            retired.extend(part.file for part in old)
            changed_tables.update([GPU_NAMES] if old else [])
            return
        names = pd.DataFrame(
            {
                "gpu_id": gpus["gpu_id"].astype("int64"),
                "name": (gpus["host"].astype(str) + " gpu " + gpus["gpu"].astype(str)).astype(
                    "string"
                ),
            }
        )
        if len(old) == 1 and old[0].digest == digest(names):
            tables[GPU_NAMES] = old
            return
        retired.extend(part.file for part in old)
        tables[GPU_NAMES] = [self._write(GPU_NAMES, WHOLE, names, settled=False)]
        changed_tables.add(GPU_NAMES)

    # Housekeeping

    def _retire_old(self, manifest: Manifest, now: pd.Timestamp) -> None:
        """Delete replaced files once no query can still be reading them."""
        keep = []
        for file, retired_at in manifest.retired:
            if now - pd.Timestamp(retired_at) >= RETIRE_AFTER or now < pd.Timestamp(retired_at):
                with contextlib.suppress(FileNotFoundError):
                    (self.data_dir / file).unlink()
            else:
                keep.append((file, retired_at))
        manifest.retired = keep

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One ingest at a time per data directory: across threads and processes."""
        lock = _LOCKS.setdefault(self.data_dir.resolve(), threading.Lock())
        with lock, open(self.data_dir / "ingest.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # The ingest process

    def serve(self, interval: float, should_stop: Callable[[], bool]) -> None:
        """Ingest every `interval` seconds (aligned to the clock) until `should_stop`."""
        while not should_stop():
            started = time.monotonic()
            manifest = self.run_once()
            log.info(
                "ingest: generation %d as of %s in %.2f s",
                manifest.generation,
                manifest.as_of,
                time.monotonic() - started,
            )
            if interval <= 0:
                return
            pause = interval - time.time() % interval
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and not should_stop():
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))


@functools.cache
def _cells_sql(cell_table: str) -> str:
    """The SQL that computes a cell table from its raw table (compiled once)."""
    if cell_table == "alert_cells":
        expression = cells.alert_cells(contract_table("alerts"))
    else:
        build = cells.fleet_cells if cell_table == "fleet_cells" else cells.gpu_cells
        expression = build(contract_table("resource_usage"), contract_table("training_sessions"))
    return ibis.to_sql(expression, dialect="duckdb")


def _ends_by(key: str, moment: pd.Timestamp | None) -> bool:
    """Whether partition `key` (a day or a month) ends at or before `moment`."""
    if moment is None or key in (WHOLE, "empty"):
        return False
    start = pd.Timestamp(key + ("-01" if len(key) == 7 else ""), tz="UTC")
    end = start + (pd.offsets.MonthBegin(1) if len(key) == 7 else pd.Timedelta(days=1))
    return end <= moment


def _first_changed(parts: list[Part], old: list[Part]) -> pd.Timestamp | None:
    """Where the earliest partition whose rows are not among `old`'s begins."""
    before = {part.digest for part in old}
    changed = [part.partition for part in parts if part.digest not in before]
    keys = [key for key in changed if key not in (WHOLE, "empty")]
    if len(keys) < len(changed):
        return pd.Timestamp.min.tz_localize("UTC")
    if not keys:
        return None
    first = min(keys)
    return pd.Timestamp(first + ("-01" if len(first) == 7 else ""), tz="UTC")


def _days_digest(days: list[Part]) -> str:
    return hashlib.sha256("".join(part.digest for part in days).encode()).hexdigest()[:20]


def _partition(part: Part) -> str:
    return part.partition


def _time(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


# Building an ingester from the app's settings


class SimulatedClock:
    """A clock that starts at `start` and advances in real time from its creation."""

    def __init__(self, start: pd.Timestamp) -> None:
        self.start = start
        self.created = time.time()

    def __call__(self) -> pd.Timestamp:
        return (self.start + pd.Timedelta(seconds=time.time() - self.created)).as_unit("us")


class EmptySource:
    """No source but a SQL database: nothing to ingest, every table is read in place."""

    name = "no other source"

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        hint = "the database has no such table or view"
        return Snapshot({}, now, self.name, hints={name: hint for name in TABLES})


def source_for(config: dict) -> tuple[Source | None, SqlStore | None]:
    """The source to ingest and the SQL database read in place that the settings name."""
    from dashboard.data.sources import source_from_config

    source = config.get("DATA_SOURCE_OBJECT")
    parts = [part.strip() for part in str(config["DATA_SOURCE"]).split(SEPARATOR)]
    sql_parts = [part for part in parts if part and is_sql_store(part)]
    sql = SqlStore(sql_parts[0]) if sql_parts else None
    if source is not None:
        return source, sql
    others = SEPARATOR.join(part for part in parts if part and not is_sql_store(part))
    if not others:
        return None, sql
    return source_from_config(others, config), sql


def ingester_for(config: dict) -> Ingester:
    """The ingester of the app's settings: its sources, store directory and clock."""
    from dashboard.data.store import data_dir_for

    source, sql = source_for(config)
    start = config.get("SIM_CLOCK_START")
    clock = config.get("CLOCK_OBJECT") or (
        SimulatedClock(pd.Timestamp(start)) if start else utc_now
    )
    data_dir = data_dir_for(config["DATA_DIR"], store_name(source, sql))
    return Ingester(source, data_dir, clock, sql, int(config.get("REFRESH_SECONDS", 0)))


def store_name(source: Source | None, sql: SqlStore | None) -> str:
    """What the store holds, by name: the database read in place, then the source ingested."""
    names = [part.name for part in (sql, source) if part is not None]
    return " + ".join(names) or EmptySource.name
