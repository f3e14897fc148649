"""`python -m dashboard check-data SOURCE`: the report, and its exit status."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard.__main__ import check_data, main
from simulator import simulate
from simulator.io import write_tables
from tests.conftest import FIXED_NOW, SEED

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    tables = simulate(SEED, 1, FIXED_NOW)
    return {name: frame.head(300).reset_index(drop=True) for name, frame in tables.items()}


def run(setting: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = check_data(setting, out, err)
    return status, out.getvalue(), err.getvalue()


def test_a_good_directory_reports_tables_rows_and_span_and_exits_zero(sample, tmp_path):
    write_tables(sample, tmp_path, "parquet")
    status, out, _ = run(str(tmp_path))
    assert status == 0
    assert f"Source: directory {tmp_path}" in out
    alerts = sample["alerts"]["timestamp"]
    assert re.search(rf"\n  alerts +300 rows  {alerts.min():%Y-%m-%d %H:%M} → ", out)
    assert "Problems: none" in out


def test_a_partial_directory_names_the_missing_tables_and_how_to_add_them(sample, tmp_path):
    write_tables({"alerts": sample["alerts"]}, tmp_path, "csv")
    status, out, _ = run(str(tmp_path))
    assert status == 0  # a source may hold only some tables
    hint = f"put data_quality.parquet or data_quality.csv in {tmp_path}"
    assert re.search(rf"\n  data_quality +missing  {re.escape(hint)}", out)


def test_problems_are_listed_and_exit_non_zero(sample, tmp_path):
    write_tables(sample, tmp_path, "csv")
    frame = sample["training_sessions"].astype({"samples": "string", "started_at": "string"})
    frame.loc[0, "samples"] = "-7"
    frame.loc[1, "started_at"] = "soon"
    frame.to_csv(tmp_path / "training_sessions.csv", index=False)
    status, out, _ = run(str(tmp_path))
    assert status == 1
    assert re.search(r"\n  training_sessions +invalid  \(see problems\)", out)
    assert "Problems (2):" in out
    assert "  - training_sessions.csv, column started_at: 1 value(s) not ISO-8601" in out
    assert (
        "  - training_sessions.csv, column samples: 1 value(s) not 0 or more (e.g. line 2: -7)\n"
        in out
    )


def test_a_source_that_cannot_be_read_exits_non_zero_with_the_reason(tmp_path):
    status, out, err = run(str(tmp_path / "nowhere"))
    assert status == 1 and out == ""
    assert "is not a directory" in err


def test_the_command_line_runs_as_a_module(sample, tmp_path):
    write_tables({"experiments": sample["experiments"]}, tmp_path, "csv")
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "check-data", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"\n  experiments +6 rows", done.stdout)


def test_an_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as caught:
        main(["check-everything"])
    assert caught.value.code == 2


def test_mlflow_runs_are_reported_by_name_with_registry_versions_and_what_was_left_out(tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    threat = client.create_experiment("threat_detection")
    start = int((FIXED_NOW - pd.Timedelta(hours=3)).timestamp() * 1000)
    finished = client.create_run(
        threat, start_time=start, run_name="orca-sentinel-17", tags={"model_version": "v5.2.1"}
    )
    client.log_metric(finished.info.run_id, "accuracy", 0.8, step=0)
    client.set_terminated(finished.info.run_id, "FINISHED", end_time=start + 60_000)
    failed = client.create_run(threat, start_time=start + 120_000, run_name="lynx-warden-3")
    client.set_tag(failed.info.run_id, "failure_reason", "CUDA out of memory")
    client.set_terminated(failed.info.run_id, "FAILED", end_time=start + 180_000)
    notebook = client.create_experiment("scratch notebook")
    stray = client.create_run(notebook, start_time=start, run_name="tinkering")
    client.set_terminated(stray.info.run_id, "FINISHED")
    client.create_registered_model("soc-threat-detection")
    client.create_model_version(
        "soc-threat-detection", "runs:/x/model", run_id=finished.info.run_id
    )
    client.set_registered_model_alias("soc-threat-detection", "champion", "1")

    status, out, _ = run(f"mlflow:{uri}")
    assert status == 0
    assert "Training runs: 2 (1 completed, 1 failed)" in out
    assert f"lynx-warden-3 ({failed.info.run_id}, failed), orca-sentinel-17 (" in out
    assert "why runs failed: CUDA out of memory (1)" in out
    assert re.search(r"Model versions: 1, .* newest first: v5\.2\.1 stable", out)
    assert (
        f"left out 1 run(s) (tinkering ({stray.info.run_id})): experiment 'scratch notebook'" in out
    )
