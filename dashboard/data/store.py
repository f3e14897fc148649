"""The store as web workers see it: the current generation, and queries run where data lives.

A Flask extension (flaskr style): `store.init_app(app)` finds the app's data directory and,
for a SQL source, its database. Workers never read a source: they read the manifest that the
ingest publishes (dashboard.data.manifest), checked at most every MANIFEST_CHECK_SECONDS, and
run queries — Ibis expressions on the contract tables (dashboard.data.tables) — compiled for
the engine that holds each table: an in-process DuckDB over the generation's Parquet files, or
the PostgreSQL database queried in place. Only the small results come back as DataFrames.
"""

from __future__ import annotations

import decimal
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
from flask import Flask, current_app

from dashboard.data.compiling import shapes
from dashboard.data.manifest import SPILL_DIR, Manifest, manifest_stamp, read_manifest
from dashboard.data.sources import MissingTable, is_sql_store, reads
from dashboard.data.sources.base import SEPARATOR
from dashboard.data.sources.validation import MAY_BE_ABSENT
from dashboard.data.sql_store import plain_url
from dashboard.data.tables import with_absent_columns
from simulator.schema import TABLES

EXTENSION = "dashboard_data"
MANIFEST_CHECK_SECONDS = 0.25
# The shortest silence of the ingest taken for a stop (a day change may take a minute or two).
STALLED_AFTER_MIN_SECONDS = 300
NOT_LOADED_HINT = "the data is being read for the first time; this view fills in shortly"


def data_dir_for(base: Path | str, source_name: str) -> Path:
    """The store directory of one source under DASHBOARD_DATA_DIR (sources never share one)."""
    key = hashlib.sha256(source_name.encode()).hexdigest()[:12]
    return Path(base).expanduser() / f"store-{key}"


def sql_url(setting: str) -> str | None:
    """The SQL database named in DASHBOARD_DATA_SOURCE, if any (the first one)."""
    parts = [part.strip() for part in setting.split(SEPARATOR)]
    return next((part for part in parts if is_sql_store(part)), None)


def _is_decimal(values: pd.Series) -> bool:
    first = values.dropna()
    return len(first) > 0 and isinstance(first.iloc[0], decimal.Decimal)


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.as_unit("us")
    return frame


class _DuckDB:
    """This process's DuckDB: a view per table over the current generation's files."""

    def __init__(self, data_dir: Path, threads: int, memory_limit: str) -> None:
        self.data_dir = data_dir
        self.connection = duckdb.connect(
            config={
                "threads": threads,
                "memory_limit": memory_limit,
                # beyond its memory limit DuckDB spills here, not into the server's working dir
                "temp_directory": str(data_dir / SPILL_DIR),
            }
        )
        self.connection.execute("SET TimeZone='UTC'")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.generation: tuple[int, tuple] | None = None

    def show(self, manifest: Manifest, stamp: tuple) -> None:
        key = (manifest.generation, stamp)
        if self.generation == key:
            return
        with self.lock:
            if self.generation == key:
                return
            current = {
                row[0]
                for row in self.connection.execute(
                    "SELECT view_name FROM duckdb_views() WHERE NOT internal"
                ).fetchall()
            }
            for name, parts in manifest.tables.items():
                files = [str(self.data_dir / part.file) for part in parts]
                self.connection.execute(
                    f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({files!r})'
                )
                current.discard(name)
            for stale in current:
                self.connection.execute(f'DROP VIEW IF EXISTS "{stale}"')
            self.generation = key

    def close(self) -> None:
        self.connection.close()

    def run(self, sql: str) -> pd.DataFrame:
        cursor = getattr(self.local, "cursor", None)
        if cursor is None:
            cursor = self.local.cursor = self.connection.cursor()
        return cursor.execute(sql).df()


_COLUMNS = """
SELECT column_name FROM information_schema.columns
WHERE table_schema = ANY (current_schemas(false)) AND table_name = %s
"""


class _Postgres:
    """A SQL database queried in place: one connection per thread."""

    def __init__(self, url: str) -> None:
        self.url = plain_url(url)
        self.local = threading.local()
        self._absent: tuple[int, dict[str, set[str]]] | None = None

    def absent_columns(self, generation: int) -> dict[str, set[str]]:
        """The optional columns (MAY_BE_ABSENT) the database's tables lack, asked once per
        generation."""
        if self._absent is None or self._absent[0] != generation:
            import psycopg

            with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as db:
                absent = {
                    table: columns - {row[0] for row in db.execute(_COLUMNS, (table,)).fetchall()}
                    for table, columns in MAY_BE_ABSENT.items()
                }
            self._absent = (generation, absent)
        return self._absent[1]

    def run(self, sql: str) -> pd.DataFrame:
        import psycopg

        connection = getattr(self.local, "connection", None)
        if connection is None or connection.closed:
            connection = psycopg.connect(self.url, autocommit=True)
            connection.execute("SET TIME ZONE 'UTC'")
            self.local.connection = connection
        try:
            cursor = connection.execute(sql)
        except psycopg.OperationalError:
            self.local.connection = None
            raise
        columns = [column.name for column in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
        # Sums and averages arrive as Decimal; the query layer works in floats.
        for column in columns:
            if frame[column].dtype == object and len(frame) and _is_decimal(frame[column]):
                frame[column] = frame[column].astype("float64")
        return frame


class _AppData:
    def __init__(self, config: dict[str, Any], data_dir: Path, source_name: str) -> None:
        self.data_dir = data_dir
        self.source_name = source_name
        self.threads = int(config.get("ENGINE_THREADS", 2))
        self.memory_limit = str(config.get("ENGINE_MEMORY", "512MB"))
        self.sql_url = sql_url(str(config.get("DATA_SOURCE", "")))
        refresh = int(config.get("REFRESH_SECONDS", 0) or 0)
        # The ingest publishes every refresh: this long without a publication, it has stopped.
        self.stalled_after = max(4 * refresh, STALLED_AFTER_MIN_SECONDS) if refresh > 0 else None
        self.lock = threading.Lock()
        self.manifest: Manifest | None = None
        self.stamp: tuple | None = None
        self.checked = 0.0
        self.pid = -1
        self.duckdb: _DuckDB | None = None
        self.postgres: _Postgres | None = None

    def current(self) -> Manifest | None:
        if time.monotonic() - self.checked < MANIFEST_CHECK_SECONDS and self.pid == os.getpid():
            return self.manifest
        stamp = manifest_stamp(self.data_dir)
        if stamp != self.stamp or self.pid != os.getpid():
            with self.lock:
                if stamp != self.stamp or self.pid != os.getpid():
                    self._engines_for_this_process()
                    self.manifest = read_manifest(self.data_dir)
                    self.stamp = stamp
        self.checked = time.monotonic()
        return self.manifest

    def _engines_for_this_process(self) -> None:
        # A connection made before gunicorn forked belongs to the master: make new ones.
        if self.pid != os.getpid():
            self.duckdb = _DuckDB(self.data_dir, self.threads, self.memory_limit)
            self.postgres = _Postgres(self.sql_url) if self.sql_url else None
            self.pid = os.getpid()

    def release(self) -> None:
        """Close this process's engines (DuckDB's threads must not be running at a fork)."""
        with self.lock:
            if self.duckdb is not None:
                self.duckdb.close()
            self.duckdb = self.postgres = None
            self.pid = -1
            self.stamp = None

    def run(self, expression: ir.Expr) -> pd.DataFrame:
        manifest = self.current()
        names = {table.name for table in expression.op().find(ops.UnboundTable)}
        if manifest is None or not manifest.loaded:
            raise MissingTable(sorted(names)[0] if names else "data", NOT_LOADED_HINT)
        for name in names:
            if not manifest.holds(name):
                raise MissingTable(name, manifest.hints.get(name, "no source provides it"))
        in_sql = {name for name in names if name in manifest.sql_tables}
        if in_sql and in_sql != names:
            raise ValueError(
                f"one query cannot join {sorted(in_sql)} with {sorted(names - in_sql)}"
            )
        if in_sql:
            absent = self.postgres.absent_columns(manifest.generation)
            expression = with_absent_columns(expression, absent)
            frame = self.postgres.run(_sql(expression, "postgres"))
        else:
            self.duckdb.show(manifest, self.stamp)
            frame = self.duckdb.run(_sql(expression, "duckdb"))
        return _utc(frame)


def _sql(expression: ir.Expr, dialect: str) -> str:
    """The query's SQL: compiled once per shape (dashboard.data.compiling)."""
    return shapes.sql(expression, dialect)


class DataStore:
    """Flask extension: each app's store directory and engines."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, source_name: str | None = None) -> None:
        config = app.config
        data_dir = Path(config["DATA_DIR_PATH"])
        app.extensions[EXTENSION] = _AppData(dict(config), data_dir, source_name or "")

    def _data(self) -> _AppData:
        return current_app.extensions[EXTENSION]

    def manifest(self) -> Manifest | None:
        """The generation in force, None before the first publication."""
        return self._data().current()

    def loaded(self) -> Manifest:
        """The generation in force; MissingTable (a 'being read' hint) before the first."""
        manifest = self.manifest()
        if manifest is None or not manifest.loaded:
            raise MissingTable("data", NOT_LOADED_HINT)
        return manifest

    def run(self, expression: ir.Expr) -> pd.DataFrame:
        """Run an expression on the contract tables where they live; a small frame back."""
        return self._data().run(expression)

    def release(self) -> None:
        """Close the engines of this process: gunicorn's master, before it forks."""
        self._data().release()

    def holds(self, table: str) -> bool:
        manifest = self.manifest()
        return manifest is not None and manifest.holds(table)

    def require(self, table: str) -> None:
        """Raise MissingTable (with the source's hint) unless the store holds `table`."""
        manifest = self.loaded()
        if not manifest.holds(table):
            raise MissingTable(table, manifest.hints.get(table, "no source provides it"))

    def status(self) -> dict[str, object]:
        """What the store holds, from the manifest alone (never a read of the source)."""
        return self._status()

    def readiness(self) -> dict[str, object]:
        """Whether data is loaded, how old it is and the last read error (never reads)."""
        return self._status()

    def _status(self) -> dict[str, object]:
        data = self._data()
        manifest = data.current()
        now = pd.Timestamp.now(tz="UTC")
        if manifest is None:
            return {
                "loaded": False,
                "source": data.source_name,
                "generation": 0,
                "as_of": None,
                "checked_at": None,
                "age_seconds": None,
                "last_error": None,
                "tables": None,
                "missing_tables": None,
                "hints": {},
                "errors_total": 0,
                "published_seconds_ago": None,
                "ingest_stalled": False,
                "source_reads_in_this_process": reads.count,
                "pid": os.getpid(),
            }
        checked = None if manifest.checked_at is None else pd.Timestamp(manifest.checked_at)
        # Real seconds since the ingest last published, from the file (a simulated clock
        # would make the manifest's own times say nothing about this).
        published_ago = None if data.stamp is None else time.time() - data.stamp[1] / 1e9
        stalled = (
            data.stalled_after is not None
            and published_ago is not None
            and published_ago > data.stalled_after
        )
        tables = {name: manifest.rows(name) for name in manifest.tables if name in TABLES}
        tables.update({name: None for name in manifest.sql_tables})
        return {
            "loaded": manifest.loaded,
            "source": manifest.source or data.source_name,
            "generation": manifest.generation,
            "as_of": manifest.as_of,
            "checked_at": manifest.checked_at,
            "age_seconds": None if checked is None else round((now - checked).total_seconds(), 3),
            "last_error": manifest.last_error,
            "tables": tables if manifest.loaded else None,
            "missing_tables": [name for name in TABLES if not manifest.holds(name)]
            if manifest.loaded
            else None,
            "hints": dict(manifest.hints),
            "errors_total": manifest.errors_total,
            "published_seconds_ago": None if published_ago is None else round(published_ago, 1),
            "ingest_stalled": stalled,
            "source_reads_in_this_process": reads.count,
            "pid": os.getpid(),
        }


store = DataStore()
