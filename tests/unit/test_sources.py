"""Sources: snapshots with missing tables, the directory source, the export round-trip, settings."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from dashboard import create_app
from dashboard.callbacks import shell
from dashboard.data import experiments, quality, queries
from dashboard.data.sources import (
    CombinedSource,
    MissingTable,
    SimulatorSource,
    Snapshot,
    source_from_setting,
)
from dashboard.data.sources.directory import DirectorySource
from dashboard.data.sources.validation import DataValidationError
from dashboard.data.store import store
from simulator.__main__ import main as simulator_cli
from simulator.io import write_tables
from simulator.schema import TABLES
from tests.conftest import FIXED_NOW, SEED, FixedTimeSource, testing_config
from tests.helpers import stored_table


def export(directory: Path, fmt: str) -> Path:
    """`python -m simulator export` of the tests' simulated data (same seed, same now)."""
    argv = ["export", "--out", str(directory), "--format", fmt, "--seed", str(SEED)]
    assert simulator_cli([*argv, "--now", FIXED_NOW.isoformat()]) == 0
    return directory


def app_on(source) -> object:
    return create_app(testing_config(DATA_SOURCE_OBJECT=FixedTimeSource(source, FIXED_NOW)))


@pytest.fixture(scope="module")
def simulated(app):
    with app.server.app_context():
        return {name: stored_table(name) for name in TABLES}


# Snapshots and missing tables


def test_a_missing_table_raises_missing_table_with_its_hint():
    snapshot = Snapshot({}, FIXED_NOW, "test", hints={"alerts": "put alerts.csv in /data"})
    with pytest.raises(MissingTable, match=r"no alerts table: put alerts\.csv in /data") as caught:
        snapshot.table("alerts")
    assert caught.value.table == "alerts" and isinstance(caught.value, LookupError)
    with pytest.raises(MissingTable):
        snapshot.tables["alerts"]  # the mapping too: never a bare KeyError
    assert snapshot.missing == list(TABLES)


def test_queries_on_a_partial_directory_raise_missing_table(tmp_path, simulated):
    write_tables({"training_sessions": simulated["training_sessions"]}, tmp_path, "csv")
    app = app_on(DirectorySource(tmp_path))
    with app.server.app_context():
        assert len(queries.sessions_in_range("7d", "all")) > 0
        # All Time begins with the tables there are: here, the first session.
        assert queries.data_start() == simulated["training_sessions"]["started_at"].min()
        for query in (
            lambda: queries.alerts_in_range("7d", "all"),
            lambda: queries.alert_kpi_change("30d", "all"),
            lambda: queries.current_version(),
            lambda: queries.resource_summary("7d", "all"),
            lambda: experiments.experiment_list(),
            lambda: quality.quality_summary("7d", "all"),
        ):
            with pytest.raises(MissingTable) as caught:
                query()
            assert f"in {tmp_path}" in caught.value.hint


# The export round-trip


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_an_export_round_trips_to_the_same_tables_and_numbers(fmt, tmp_path, app, simulated):
    directory_app = app_on(DirectorySource(export(tmp_path, fmt)))
    with directory_app.server.app_context():
        status = store.status()
        assert status["last_error"] is None and status["missing_tables"] == []
        for name in TABLES:
            pd.testing.assert_frame_equal(stored_table(name), simulated[name], obj=name)
        from_directory = numbers_shown()
    with app.server.app_context():
        from_simulator = numbers_shown()
    for name, value in from_simulator.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(from_directory[name], value, obj=name)
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(from_directory[name], value, obj=name)
        else:
            assert from_directory[name] == value, name


def numbers_shown() -> dict[str, object]:
    """What the pages compute, for a few filters."""
    return {
        "as_of": queries.as_of(),
        "sessions": queries.sessions_in_range("30d", "all"),
        "session_trends": queries.session_trends("90d", "threat_detection"),
        "active": queries.active_sessions(),
        "kpis": queries.alert_kpi_change("90d", "all"),
        "alert_trends": queries.alert_trends("7d", "all"),
        "versions": queries.version_table("all"),
        "resources": queries.resource_summary("24h", "all"),
        "fleet": queries.fleet_trends("7d", "all"),
        "quality": quality.quality_summary("7d", "all"),
        "current_version": queries.current_version()["version"],
        "experiments": experiments.experiment_list(),
    }


# The directory source


@pytest.fixture(scope="module")
def small_tables(simulated) -> dict[str, pd.DataFrame]:
    return {name: frame.head(200) for name, frame in simulated.items()}


def test_an_unchanged_directory_is_not_parsed_again(tmp_path, small_tables, monkeypatch):
    write_tables(small_tables, tmp_path, "csv")
    source = DirectorySource(tmp_path)
    first = source.load(FIXED_NOW)
    parsed = []
    monkeypatch.setattr(
        "dashboard.data.sources.directory.read_table_file",
        lambda path, table: parsed.append(path.name) or pytest.fail("re-parsed"),
    )
    second = source.load(FIXED_NOW + pd.Timedelta(seconds=30))
    assert parsed == [] and second.token == first.token
    assert all(second.tables[name] is first.tables[name] for name in TABLES)


def test_a_changed_file_changes_the_version_and_is_read_again(tmp_path, small_tables):
    write_tables(small_tables, tmp_path, "parquet")
    source = DirectorySource(tmp_path)
    before = source.load(FIXED_NOW)
    write_tables({"alerts": small_tables["alerts"].head(50)}, tmp_path, "parquet")
    path = tmp_path / "alerts.parquet"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    after = source.load(FIXED_NOW)
    assert len(after.tables["alerts"]) == 50 and after.token != before.token
    assert after.tables["training_sessions"] is before.tables["training_sessions"]


def test_a_directory_sorts_unsorted_files_for_the_time_filters(tmp_path, small_tables):
    shuffled = small_tables["alerts"].sample(frac=1.0, random_state=1)
    write_tables({"alerts": shuffled}, tmp_path, "csv")
    alerts = DirectorySource(tmp_path).load(FIXED_NOW).tables["alerts"]
    assert alerts["timestamp"].is_monotonic_increasing


def test_a_bad_file_fails_the_load_with_every_problem(tmp_path, small_tables):
    write_tables(small_tables, tmp_path, "csv")
    (tmp_path / "alerts.csv").write_text("alert_id,timestamp\nA-1,not a time\n")
    with pytest.raises(DataValidationError) as caught:
        DirectorySource(tmp_path).load(FIXED_NOW)
    text = str(caught.value)
    assert "alerts.csv, column model_type: missing column" in text
    assert any("not ISO-8601" in str(problem) for problem in caught.value.problems)


def test_an_empty_directory_is_a_problem_and_a_stray_file_a_note(tmp_path):
    (tmp_path / "alert.csv").write_text("x\n1\n")
    snapshot = DirectorySource(tmp_path).read(FIXED_NOW)
    assert "holds no contract table file" in str(snapshot.problems[0])
    assert snapshot.notes == ("ignored alert.csv: not a contract table name",)


def test_parquet_wins_over_csv_and_says_so(tmp_path, small_tables):
    write_tables({"alerts": small_tables["alerts"]}, tmp_path, "parquet")
    write_tables({"alerts": small_tables["alerts"].head(3)}, tmp_path, "csv")
    snapshot = DirectorySource(tmp_path).read(FIXED_NOW)
    assert len(snapshot.tables["alerts"]) == len(small_tables["alerts"])
    assert "read alerts.parquet" in snapshot.notes[0]


# Settings and combined sources


def test_settings_build_each_kind_of_source(tmp_path):
    assert isinstance(source_from_setting("simulator", SEED, 1), SimulatorSource)
    directory = source_from_setting(str(tmp_path), SEED, 1)
    assert isinstance(directory, DirectorySource) and directory.directory == tmp_path
    combined = source_from_setting(f"simulator;{tmp_path}", SEED, 1)
    assert isinstance(combined, CombinedSource) and len(combined.parts) == 2


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("/no/such/dir", "is not a directory"),
        ("mlfow:sqlite:///x.db", "is not a directory"),
        ("mlflow:", "needs a tracking URI"),
        ("mlflow:sqlite:////no/such/mlflow.db", "no MLflow database"),
        ("tensorboard:/no/such/logs", "is not a directory"),
    ],
)
def test_a_bad_setting_is_a_clear_value_error(setting, message):
    with pytest.raises(ValueError, match=message):
        source_from_setting(setting, SEED, 1)


def test_a_combined_source_takes_each_table_from_the_first_that_has_it(tmp_path, small_tables):
    first, second = tmp_path / "a", tmp_path / "b"
    write_tables({"alerts": small_tables["alerts"].head(5)}, first, "csv")
    write_tables(
        {"alerts": small_tables["alerts"], "data_quality": small_tables["data_quality"]},
        second,
        "csv",
    )
    snapshot = CombinedSource([DirectorySource(first), DirectorySource(second)]).load(FIXED_NOW)
    assert len(snapshot.tables["alerts"]) == 5
    assert len(snapshot.tables["data_quality"]) == len(small_tables["data_quality"])
    with pytest.raises(MissingTable, match=f"in {first}.*; or .*in {second}"):
        snapshot.table("experiments")


# The source's status in the shell


def test_the_shell_names_the_source_and_its_tables(tmp_path, small_tables):
    write_tables({"alerts": small_tables["alerts"]}, tmp_path, "csv")
    app = app_on(DirectorySource(tmp_path))
    with app.server.app_context():
        label, details = shell.source_status(None)
    assert label[1:] == ["Directory", " · 1 of 9 tables"]
    text = str(details)
    assert f"directory {tmp_path}" in text and "'200'" in text and "'missing'" in text


def test_a_source_broken_from_the_start_says_why_instead_of_failing(tmp_path, small_tables):
    write_tables(small_tables, tmp_path, "csv")
    (tmp_path / "alerts.csv").write_text("alert_id\nA-1\n")
    app = app_on(DirectorySource(tmp_path))
    with app.server.app_context():
        updated, warning = shell.data_status(None)
        label, _details = shell.source_status(None)
    assert updated == "No data"
    assert f"Could not read directory {tmp_path}" in warning.children
    assert "alerts.csv, column timestamp: missing column" in warning.children
    assert label[-1] == " · not loaded"
