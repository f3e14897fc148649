"""A real PostgreSQL server for the tests, and a loader of the contract tables into it.

`PostgresServer` runs initdb in a temporary directory and starts `postgres` on a free 127.0.0.1
port, tuned for throwaway data (no fsync, no WAL for freshly created tables); `load_tables`
creates one table per contract table and fills it with COPY.
"""

from __future__ import annotations

import io
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as arrow_csv
from psycopg import sql

from benchmarks.processes import free_port
from simulator.schema import TABLES, TEXT, TIME_COLUMNS, TIMESTAMP, conform
from tests.serving.harness import wait_for

START_TIMEOUT = 60
STOP_TIMEOUT = 30
SERVER_USER = "postgres"  # created by Debian's package; under root the servers run as it
COPY_ROWS = 200_000  # rows per CSV chunk: the server parses one while the next is written

# Throwaway data: nothing is synced, and wal_level=minimal lets COPY into a table created in the
# same transaction skip the WAL. Little shared memory, taken from mmap rather than /dev/shm.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "1GB",
    "shared_buffers": "16MB",
    "max_connections": "20",
    "dynamic_shared_memory_type": "mmap",
    "maintenance_work_mem": "128MB",
    "autovacuum": "off",
    "TimeZone": "UTC",
}


@dataclass(frozen=True)
class PostgresBinaries:
    initdb: Path
    postgres: Path


def find_binaries() -> PostgresBinaries | None:
    """initdb and postgres of the newest /usr/lib/postgresql/<version>, else from PATH."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: [int(part) for part in re.findall(r"\d+", initdb.parts[-3])],
    )
    for initdb in reversed(versions):
        if (initdb.parent / "postgres").is_file():
            return PostgresBinaries(initdb, initdb.parent / "postgres")
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb and postgres:
        return PostgresBinaries(Path(initdb), Path(postgres))
    return None


class PostgresServer:
    """A throwaway PostgreSQL with one empty database `database`, at `url` once entered.

    Under root the server binaries run as the `postgres` system user (initdb and postgres refuse
    root), which then owns the temporary directory; otherwise they run as the caller.
    """

    def __init__(
        self,
        database: str = "dashboard",
        user: str = "dashboard",
        binaries: PostgresBinaries | None = None,
    ) -> None:
        binaries = binaries or find_binaries()
        if binaries is None:
            raise FileNotFoundError(
                "PostgreSQL's initdb and postgres are neither in /usr/lib/postgresql/*/bin nor "
                "on PATH: scripts/test installs Debian's postgresql with apt-get"
            )
        self.binaries = binaries
        self.database = database
        self.user = user
        self.port = free_port()
        self.url = self._url_of(database)
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exception: object) -> None:
        self.stop()

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def logs(self) -> str:
        """The end of the server's log, to show when it fails."""
        if self.directory is None or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")[-6000:]

    def start(self) -> None:
        """initdb, start postgres, wait until it accepts connections, create the database."""
        account = self._server_account()
        self.directory = Path(tempfile.mkdtemp(prefix="postgres-"))
        data, sockets = self.directory / "data", self.directory / "sockets"
        sockets.mkdir()
        if account is not None:
            for path in (self.directory, sockets):
                os.chown(path, account.pw_uid, account.pw_gid)
        initdb = [str(self.binaries.initdb), "--pgdata", str(data), "--username", self.user]
        initdb += ["--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync"]
        finished = subprocess.run(
            initdb, capture_output=True, text=True, timeout=START_TIMEOUT, **self._as(account)
        )
        if finished.returncode != 0:
            raise RuntimeError(f"initdb failed ({finished.returncode}):\n{finished.stderr}")

        args = [str(self.binaries.postgres), "-D", str(data), "-p", str(self.port)]
        args += ["-c", f"unix_socket_directories={sockets}"]
        for name, value in SERVER_SETTINGS.items():
            args += ["-c", f"{name}={value}"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self._as(account),
            )
        wait_for(self._answers, START_TIMEOUT, lambda: f"postgres did not start\n{self.logs()}")
        self.create_database(self.database)

    def create_database(self, name: str) -> str:
        """A new empty database `name` (replacing one of that name) on this server; its URL."""
        with psycopg.connect(self._url_of("postgres"), autocommit=True) as connection:
            database = sql.Identifier(name)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(database))
        return self._url_of(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL if it hangs, then delete the data directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"postgres exited with {self.process.returncode}\n{self.logs()}")
        try:
            with psycopg.connect(self._url_of("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _url_of(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    @staticmethod
    def _server_account() -> pwd.struct_passwd | None:
        """The account to run the server as: None (the caller's) unless the caller is root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root, PostgreSQL needs an unprivileged user {SERVER_USER!r}; "
                "Debian's postgresql package creates it"
            ) from None

    def _as(self, account: pwd.struct_passwd | None) -> dict[str, object]:
        """subprocess keyword arguments that run a child as `account`, in the temporary dir."""
        if account is None:
            return {"cwd": self.directory}
        return {
            "cwd": self.directory,
            "user": account.pw_uid,
            "group": account.pw_gid,
            "extra_groups": [],
            "env": {**os.environ, "HOME": account.pw_dir, "USER": account.pw_name},
        }


def column_type(dtype: object) -> str:
    """The PostgreSQL type that holds a contract dtype without loss."""
    if dtype == TIMESTAMP:
        return "timestamptz"
    if dtype == TEXT or isinstance(dtype, pd.CategoricalDtype):
        return "text"
    return {
        "bool": "boolean",
        "int64": "bigint",
        "float64": "double precision",
        "float32": "real",
    }[str(dtype)]


def load_tables(url: str, tables: Mapping[str, pd.DataFrame]) -> None:
    """Replace each contract table in the database at `url` with the rows of its frame.

    Columns get the contract's types (timestamptz, boolean, bigint, double precision, real,
    text), rows arrive by COPY, and each table gets indexes on its time column and session_id.
    """
    with psycopg.connect(url) as connection:
        for name, frame in tables.items():
            table = sql.Identifier(name)
            columns = TABLES[name]
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            definitions = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(column_type(dtype)))
                for column, dtype in columns.items()
            )
            connection.execute(sql.SQL("CREATE TABLE {} ({})").format(table, definitions))
            copy = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(table)
            with connection.cursor().copy(copy) as writer:
                for chunk in csv_chunks(conform(name, frame)):
                    writer.write(chunk)
            for column in indexed_columns(name):
                connection.execute(
                    sql.SQL("CREATE INDEX {} ON {} ({})").format(
                        sql.Identifier(f"{name}_{column}_idx"), table, sql.Identifier(column)
                    )
                )
            connection.execute(sql.SQL("ANALYZE {}").format(table))


def indexed_columns(name: str) -> list[str]:
    """The columns of table `name` that get an index: its time column, then session_id."""
    columns = [TIME_COLUMNS[name]] if TIME_COLUMNS[name] else []
    return columns + (["session_id"] if "session_id" in TABLES[name] else [])


def csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """`frame` as CSV for COPY, in chunks of COPY_ROWS rows.

    Every value is quoted and missing ones (NaN, NA, NaT) are left empty, which COPY reads as
    NULL, so that an empty string stays an empty string. Floats are written in their shortest
    exact form, timestamps as ISO 8601 with microseconds and a Z.
    """
    categorical = [
        column for column, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)
    ]
    rows = pa.Table.from_pandas(
        frame.astype(dict.fromkeys(categorical, TEXT)), preserve_index=False
    )
    options = arrow_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    for batch in rows.to_batches(max_chunksize=COPY_ROWS):
        buffer = io.BytesIO()
        arrow_csv.write_csv(batch, buffer, options)
        yield buffer.getvalue()
