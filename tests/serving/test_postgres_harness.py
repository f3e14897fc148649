"""The PostgreSQL test harness: a real server, the scale-1 contract tables loaded by COPY, and
what comes back out of it compared with what pandas has."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from simulator import simulate
from tests.conftest import FIXED_NOW, SEED
from tests.postgres import PostgresServer, load_tables

pytest_plugins = ["tests.postgres_fixtures"]
pytestmark = [pytest.mark.postgres, pytest.mark.serving]

# Half-hour offset: only the instant, not the wall-clock digits, can match UTC here.
READER_ZONE = "Asia/Kolkata"
# What CSV has to quote or escape.
AWKWARD_TEXT = 'says "hi", then\nleaves; back\\slash'


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(SEED, 1, FIXED_NOW)


@pytest.fixture(scope="module")
def loaded_url(postgres_url: str, tables: dict[str, pd.DataFrame]) -> str:
    load_tables(postgres_url, tables)
    return postgres_url


@pytest.fixture
def connection(loaded_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(loaded_url) as connection:
        yield connection


def read(connection: psycopg.Connection, query: str) -> pd.DataFrame:
    cursor = connection.execute(query)
    return pd.DataFrame(cursor.fetchall(), columns=[column.name for column in cursor.description])


def test_every_table_has_the_rows_of_its_frame(connection, tables):
    counts = {
        name: connection.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        ).fetchone()[0]
        for name in tables
    }
    assert counts == {name: len(frame) for name, frame in tables.items()}
    assert sum(counts.values()) > 2_500_000


def test_columns_have_the_contract_types(connection):
    types = dict(
        connection.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    )
    assert types["alerts.timestamp"] == "timestamp with time zone"
    assert types["alerts.automated"] == "boolean"
    assert types["alerts.response_time_min"] == "double precision"
    assert types["alerts.model_type"] == "text"
    assert types["training_sessions.samples"] == "bigint"
    assert types["training_sessions.failure_reason"] == "text"
    assert types["resource_usage.gpu_util"] == "real"


def test_time_columns_and_session_ids_are_indexed(connection):
    indexed = set(
        connection.execute(
            "SELECT t.relname, a.attname FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)"
            " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'"
        ).fetchall()
    )
    assert indexed == {
        ("model_versions", "released_at"),
        ("training_sessions", "started_at"),
        ("training_sessions", "session_id"),
        ("training_metrics", "session_id"),
        ("resource_usage", "timestamp"),
        ("resource_usage", "session_id"),
        ("alerts", "timestamp"),
        ("experiments", "started_at"),
        ("experiment_alerts", "timestamp"),
        ("data_quality", "date"),
        ("feature_samples", "date"),
    }


def test_timestamps_come_back_as_the_same_utc_instants(connection, tables):
    connection.execute(f"SET TIME ZONE '{READER_ZONE}'")
    first_alert = str(tables["alerts"]["alert_id"].iloc[0])
    first = connection.execute('SELECT "timestamp" FROM alerts WHERE alert_id = %s', [first_alert])
    expected = tables["alerts"].set_index("alert_id").loc[first_alert, "timestamp"]
    back = first.fetchone()[0]
    assert back.tzinfo == ZoneInfo(READER_ZONE)
    assert back == expected.to_pydatetime().astimezone(ZoneInfo(READER_ZONE))

    alerts = read(connection, 'SELECT "timestamp" FROM alerts ORDER BY alert_id')
    pd.testing.assert_series_equal(
        pd.to_datetime(alerts["timestamp"], utc=True).dt.as_unit("us"),
        tables["alerts"].sort_values("alert_id", ignore_index=True)["timestamp"],
    )


def test_booleans_come_back_as_they_went_in(connection, tables):
    columns = ["alert_id", "arm", "correct", "automated", "false_positive"]
    frame = tables["experiment_alerts"][columns].sort_values(["alert_id", "arm"])
    back = connection.execute(
        f"SELECT {', '.join(columns)} FROM experiment_alerts ORDER BY alert_id, arm"
    ).fetchall()
    assert back == list(frame.astype(object).itertuples(index=False, name=None))
    assert {type(value) for row in back for value in row[2:]} == {bool}

    counts = connection.execute(
        "SELECT count(*) FILTER (WHERE automated), count(*) FILTER (WHERE escalated),"
        " count(*) FILTER (WHERE false_positive) FROM alerts"
    ).fetchone()
    alerts = tables["alerts"]
    assert counts == tuple(alerts[["automated", "escalated", "false_positive"]].sum())


def test_missing_values_come_back_as_nulls(connection, tables):
    for name in ("alerts", "experiment_alerts"):
        frame = tables[name]
        missing = frame.loc[frame["response_time_min"].isna(), "alert_id"]
        assert len(missing) > 0, name
        null = connection.execute(
            sql.SQL("SELECT alert_id FROM {} WHERE response_time_min IS NULL").format(
                sql.Identifier(name)
            )
        ).fetchall()
        assert sorted(alert_id for (alert_id,) in null) == sorted(missing), name

    sessions = tables["training_sessions"].sort_values("session_id")
    back = connection.execute("SELECT failure_reason FROM training_sessions ORDER BY session_id")
    reasons = [reason for (reason,) in back.fetchall()]
    assert reasons == [None if pd.isna(reason) else reason for reason in sessions["failure_reason"]]
    assert 0 < reasons.count(None) < len(reasons)

    sessions_without_gpu = connection.execute(
        "SELECT count(*) FROM resource_usage WHERE session_id IS NULL"
    ).fetchone()[0]
    assert sessions_without_gpu == tables["resource_usage"]["session_id"].isna().sum()


def test_text_with_quotes_commas_and_newlines_keeps_empty_strings_apart_from_nulls(
    postgres_server,
):
    url = postgres_server.create_database("awkward_text")
    versions = pd.DataFrame(
        {
            "version": ["v1", "v2", "v3"],
            "released_at": pd.to_datetime(["2026-01-02 03:04:05.678901", None, None], utc=True),
            "status": ["stable", "", None],
            "description": [AWKWARD_TEXT, "", None],
        }
    )
    load_tables(url, {"model_versions": versions})
    with psycopg.connect(url) as connection:
        back = connection.execute("SELECT * FROM model_versions ORDER BY version").fetchall()
    released = datetime(2026, 1, 2, 3, 4, 5, 678901, ZoneInfo("UTC"))
    assert back == [
        ("v1", released, "stable", AWKWARD_TEXT),
        ("v2", None, "", ""),
        ("v3", None, None, None),
    ]


def test_server_runs_unprivileged_on_loopback_and_leaves_nothing_behind(postgres_binaries):
    with PostgresServer(binaries=postgres_binaries) as server:
        directory, pid = server.directory, server.process.pid
        assert os.stat(f"/proc/{pid}").st_uid != 0
        with psycopg.connect(server.url) as connection:
            assert connection.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
            assert connection.execute("SHOW fsync").fetchone() == ("off",)
            assert connection.execute("SELECT current_database()").fetchone() == ("dashboard",)
        assert server.url == f"postgresql://dashboard@127.0.0.1:{server.port}/dashboard"
        assert (directory / "sockets" / f".s.PGSQL.{server.port}").is_socket()
    assert not directory.exists()
    assert not os.path.exists(f"/proc/{pid}")
