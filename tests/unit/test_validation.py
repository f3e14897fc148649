"""Validation against the contract: each kind of bad file names its file, column and rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.data.sources.directory import DirectorySource, read_table_file
from dashboard.data.sources.validation import DataValidationError, table_schema, validate_table
from simulator import simulate
from simulator.io import write_tables
from simulator.schema import TABLES
from tests.conftest import FIXED_NOW, SEED


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    tables = simulate(SEED, 1, FIXED_NOW)
    return {name: frame.head(20).reset_index(drop=True) for name, frame in tables.items()}


def problems_of(path: Path, table: str) -> list[str]:
    frame, problems = read_table_file(path, table)
    assert frame is None
    return [str(problem) for problem in problems]


def write_csv(directory: Path, table: str, frame: pd.DataFrame) -> Path:
    path = directory / f"{table}.csv"
    frame.to_csv(path, index=False)
    return path


def sessions_as_text(sample) -> pd.DataFrame:
    """training_sessions as a CSV holds it: every column as text."""
    return sample["training_sessions"].astype("string")


def test_every_contract_table_has_a_schema_with_all_its_columns():
    for name, columns in TABLES.items():
        assert list(table_schema(name).columns) == list(columns)


def test_good_files_pass_and_come_back_conformed(sample, tmp_path):
    for fmt in ("csv", "parquet"):
        write_tables(sample, tmp_path / fmt, fmt)
        for name in TABLES:
            frame, problems = read_table_file(tmp_path / fmt / f"{name}.{fmt}", name)
            assert problems == []
            pd.testing.assert_frame_equal(frame, sample[name])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_missing_column_names_the_file_and_column(sample, tmp_path, fmt):
    write_tables(sample, tmp_path, fmt)
    path = tmp_path / f"alerts.{fmt}"
    frame = sample["alerts"].drop(columns="escalated")
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    [problem] = problems_of(path, "alerts")
    assert problem.startswith(f"alerts.{fmt}, column escalated: missing column (the file has:")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sessions_written_before_run_names_are_read_unnamed(sample, tmp_path, fmt):
    path = tmp_path / f"training_sessions.{fmt}"
    older = sample["training_sessions"].drop(columns="run_name")
    older.to_csv(path, index=False) if fmt == "csv" else older.to_parquet(path, index=False)
    frame, problems = read_table_file(path, "training_sessions")
    assert problems == []
    assert list(frame.columns) == list(TABLES["training_sessions"])
    assert frame["run_name"].isna().all()
    assert frame["session_id"].tolist() == older["session_id"].tolist()


def test_text_in_a_count_column_is_a_wrong_type_with_its_line(sample, tmp_path):
    frame = sessions_as_text(sample)
    frame.loc[[2, 5], "samples"] = ["lots", "1.5"]
    [problem] = problems_of(write_csv(tmp_path, "training_sessions", frame), "training_sessions")
    assert problem == (
        "training_sessions.csv, column samples: 2 value(s) not whole numbers "
        "(e.g. line 4: 'lots'; line 7: '1.5')"
    )


def test_a_wrong_type_in_parquet_names_the_rows(sample, tmp_path):
    frame = sample["training_sessions"].astype({"val_loss": object})
    frame.loc[3, "val_loss"] = "n/a"
    frame["val_loss"] = frame["val_loss"].astype(str)
    path = tmp_path / "training_sessions.parquet"
    frame.to_parquet(path, index=False)
    [problem] = problems_of(path, "training_sessions")
    assert problem == (
        "training_sessions.parquet, column val_loss: 1 value(s) not numbers (e.g. row 3: 'n/a')"
    )


def test_a_boolean_column_accepts_only_true_or_false(sample, tmp_path):
    frame = sample["alerts"].astype({"automated": "string"})
    frame.loc[0, "automated"] = "maybe"
    [problem] = problems_of(write_csv(tmp_path, "alerts", frame), "alerts")
    assert "column automated: 1 value(s) not true/false (e.g. line 2: 'maybe')" in problem


def test_an_unknown_model_type_is_named_with_the_allowed_ones(sample, tmp_path):
    frame = sessions_as_text(sample)
    frame.loc[[1, 4, 6, 9], "model_type"] = "spam_filter"
    [problem] = problems_of(write_csv(tmp_path, "training_sessions", frame), "training_sessions")
    assert problem.startswith(
        "training_sessions.csv, column model_type: 4 value(s) not one of threat_detection, "
        "false_positive_filter, incident_classification, response_automation"
    )
    # A few offending rows, not all of them.
    assert "line 3: 'spam_filter'; line 6: 'spam_filter'; line 8: 'spam_filter')" in problem


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("training_sessions", "samples"),
        ("training_sessions", "epochs"),
        ("training_metrics", "step"),
        ("resource_usage", "gpu_id"),
    ],
)
def test_a_negative_count_is_refused(sample, tmp_path, table, column):
    frame = sample[table].copy()
    frame.loc[7, column] = -3
    path = tmp_path / f"{table}.parquet"
    frame.to_parquet(path, index=False)
    [problem] = problems_of(path, table)
    assert problem == f"{table}.parquet, column {column}: 1 value(s) not 0 or more (e.g. row 7: -3)"


def test_an_unparsable_timestamp_names_its_line(sample, tmp_path):
    frame = sample["alerts"].astype({"timestamp": "string"})
    frame.loc[4, "timestamp"] = "yesterday 5pm"
    [problem] = problems_of(write_csv(tmp_path, "alerts", frame), "alerts")
    assert problem == (
        "alerts.csv, column timestamp: 1 value(s) not ISO-8601 timestamps "
        "(e.g. line 6: 'yesterday 5pm')"
    )


def test_timestamps_are_read_as_utc_whatever_their_offset(sample):
    frame = sample["alerts"].astype({"timestamp": "string"})
    frame.loc[0, "timestamp"] = "2026-11-26T15:30:00+02:00"
    frame.loc[1, "timestamp"] = "2026-11-26 13:30:00"  # no offset: UTC
    checked, problems = validate_table("alerts", frame, "alerts.csv")
    assert problems == []
    assert (checked["timestamp"] == pd.Timestamp("2026-11-26 13:30", tz="UTC")).sum() >= 2
    assert str(checked["timestamp"].dtype) == "datetime64[us, UTC]"


def test_a_rate_outside_zero_to_one_is_refused(sample):
    frame = sample["training_sessions"].copy()
    frame.loc[2, "train_accuracy"] = 75.3  # a percentage where a fraction belongs
    _, [problem] = validate_table("training_sessions", frame, "training_sessions.parquet")
    assert str(problem) == (
        "training_sessions.parquet, column train_accuracy: 1 value(s) not a fraction within "
        "0..1 (e.g. row 2: 75.3)"
    )


def test_a_status_outside_the_contract_is_refused(sample):
    frame = sample["training_sessions"].astype({"status": "string"})
    frame.loc[0, "status"] = "paused"
    _, [problem] = validate_table("training_sessions", frame, "training_sessions.csv")
    assert "column status: 1 value(s) not one of active, completed, failed" in str(problem)


def test_a_required_value_left_empty_is_refused_but_optional_ones_pass(sample, tmp_path):
    frame = sample["alerts"].astype({"alert_id": "string"})
    frame.loc[3, "alert_id"] = None
    frame.loc[4, "response_time_min"] = None  # open alert: allowed
    [problem] = problems_of(write_csv(tmp_path, "alerts", frame), "alerts")
    assert problem.startswith("alerts.csv, column alert_id: 1 value(s) empty")


def test_a_repeated_key_is_refused(sample):
    frame = sample["training_sessions"].copy()
    frame.loc[5, "session_id"] = frame.loc[4, "session_id"]
    _, problems = validate_table("training_sessions", frame, "training_sessions.csv")
    assert any("column session_id" in str(p) and "repeated" in str(p) for p in problems)


def test_a_half_written_parquet_file_says_it_cannot_be_read(sample, tmp_path):
    write_tables(sample, tmp_path, "parquet")
    path = tmp_path / "alerts.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    [problem] = problems_of(path, "alerts")
    assert problem.startswith("alerts.parquet: cannot be read as parquet:")


def test_a_half_written_csv_file_names_the_cut_line(sample, tmp_path):
    write_tables(sample, tmp_path, "csv")
    path = tmp_path / "alerts.csv"
    text = path.read_text()
    path.write_text(text[: text.rindex(",", 0, len(text) - 40)])  # cut inside the last row
    problems = problems_of(path, "alerts")
    assert problems and all(problem.startswith("alerts.csv, column ") for problem in problems)
    assert all("line 21" in problem for problem in problems)


def test_every_problem_of_a_directory_is_reported_at_once(sample, tmp_path):
    write_tables(sample, tmp_path, "csv")
    bad = sessions_as_text(sample)
    bad.loc[0, "samples"] = "-1"
    bad.loc[1, "model_type"] = "spam"
    write_csv(tmp_path, "training_sessions", bad)
    (tmp_path / "experiments.csv").write_text("experiment_id\nE1\n")
    with pytest.raises(DataValidationError) as caught:
        DirectorySource(tmp_path).load(FIXED_NOW)
    wheres = {(problem.where, problem.column) for problem in caught.value.problems}
    assert ("training_sessions.csv", "samples") in wheres
    assert ("training_sessions.csv", "model_type") in wheres
    assert ("experiments.csv", "treatment_share") in wheres
