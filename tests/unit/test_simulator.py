"""The simulator's contract: schema, order, determinism, the live view of `now`, export."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator import DEFAULT_SEED, TABLE_NAMES, simulate
from simulator.__main__ import main
from simulator.io import read_tables, write_tables
from simulator.schema import TABLES, TIME_COLUMNS

NOW = pd.Timestamp("2026-11-26 13:30", tz="UTC")
SORT_KEYS = {
    **{name: [column] for name, column in TIME_COLUMNS.items() if column},
    "resource_usage": ["timestamp", "gpu_id"],
    "training_metrics": ["session_id", "step", "metric"],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(seed=DEFAULT_SEED, now=NOW)


@pytest.fixture(scope="module")
def later() -> dict[str, pd.DataFrame]:
    return simulate(seed=DEFAULT_SEED, now=NOW + pd.Timedelta(hours=3))


def active_on_gpu_zero(tables: dict[str, pd.DataFrame]) -> str:
    usage = tables["resource_usage"]
    return usage[usage["gpu_id"] == 0]["session_id"].iloc[-1]


def test_simulate_returns_every_contract_table(tables):
    assert tuple(tables) == TABLE_NAMES == tuple(TABLES)


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_table_has_exactly_the_contract_columns_and_dtypes(tables, name):
    frame = tables[name]
    assert list(frame.columns) == list(TABLES[name])
    for column, dtype in TABLES[name].items():
        assert frame[column].dtype == pd.api.types.pandas_dtype(dtype), column
    assert len(frame) > 0


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_table_is_sorted_with_a_fresh_range_index(tables, name):
    frame = tables[name]
    keys = pd.MultiIndex.from_frame(frame[SORT_KEYS[name]])
    assert keys.is_monotonic_increasing
    pd.testing.assert_index_equal(frame.index, pd.RangeIndex(len(frame)))


def test_same_arguments_give_identical_tables(tables):
    simulator.clear_caches()
    again = simulate(seed=DEFAULT_SEED, scale=1, now=NOW)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(again[name], tables[name], check_exact=True)


def test_another_seed_gives_other_tables(tables):
    other = simulate(seed=DEFAULT_SEED + 1, now=NOW)
    assert not other["alerts"]["timestamp"].equals(tables["alerts"]["timestamp"])


def test_now_may_be_naive_utc_or_iso_text(tables):
    for now in (datetime(2026, 11, 26, 13, 30), "2026-11-26T14:30:00+01:00"):
        pd.testing.assert_frame_equal(
            simulate(now=now)["training_sessions"], tables["training_sessions"]
        )


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError):
        simulate(scale=0, now=NOW)
    with pytest.raises(ValueError):
        simulate(seed=-1, now=NOW)
    with pytest.raises(ValueError):
        simulator.day_rows(DEFAULT_SEED, 1.5, NOW)
    with pytest.raises(ValueError):
        simulator.reference_tables(True, 1, NOW)


def test_no_timestamp_is_after_now(tables):
    for name, frame in tables.items():
        for column, dtype in TABLES[name].items():
            if dtype == "datetime64[us, UTC]":
                assert not (frame[column].dropna() > NOW).any(), f"{name}.{column}"


def test_past_rows_do_not_change_as_now_moves_on_within_the_day(tables, later):
    for name in ("model_versions", "experiments", "data_quality", "feature_samples"):
        pd.testing.assert_frame_equal(later[name].iloc[: len(tables[name])], tables[name])
    pd.testing.assert_frame_equal(
        later["resource_usage"].iloc[: len(tables["resource_usage"])], tables["resource_usage"]
    )
    for name in ("alerts", "experiment_alerts"):
        before, after = tables[name], later[name].iloc[: len(tables[name])]
        closed = before["response_time_min"].notna()
        pd.testing.assert_frame_equal(after[closed], before[closed])
        pd.testing.assert_frame_equal(
            after.drop(columns="response_time_min"), before.drop(columns="response_time_min")
        )
    sessions = tables["training_sessions"]
    finished = sessions[sessions["status"] != "active"]
    pd.testing.assert_frame_equal(
        later["training_sessions"].iloc[: len(sessions)][sessions["status"] != "active"], finished
    )
    metrics_after = later["training_metrics"]
    pd.testing.assert_frame_equal(
        metrics_after[metrics_after["timestamp"] <= NOW].reset_index(drop=True),
        tables["training_metrics"],
    )


@pytest.mark.parametrize(
    "time_of_day", ["00:00:00", "00:00:01", "06:15", "13:30", "23:59:59.999999"]
)
def test_a_session_is_active_at_any_time_of_day(time_of_day):
    now = pd.Timestamp(f"2026-11-26 {time_of_day}", tz="UTC")
    tables = simulate(now=now)
    sessions = tables["training_sessions"]
    active = sessions[sessions["status"] == "active"]
    assert len(active) >= 1
    assert active["ended_at"].isna().all()
    assert active["failure_reason"].isna().all()
    assert active_on_gpu_zero(tables) in set(active["session_id"])


def test_the_pipeline_session_progresses_as_now_advances(tables):
    session_id = active_on_gpu_zero(tables)
    day_end = simulate(now=NOW.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1))
    ended = day_end["training_sessions"].set_index("session_id").loc[session_id, "ended_at"]
    ends = ended if pd.notna(ended) else NOW.normalize() + pd.Timedelta(days=1)
    midway = NOW + (ends - NOW) / 2
    progressed = simulate(now=midway)

    def view(tables):
        sessions = tables["training_sessions"].set_index("session_id")
        metrics = tables["training_metrics"]
        return sessions.loc[session_id], metrics[metrics["session_id"] == session_id]

    (before, points_before), (after, points_after) = view(tables), view(progressed)
    assert after["status"] == "active"
    assert after["samples"] > before["samples"]
    assert len(points_after) > len(points_before)
    last = points_after[points_after["step"] == points_after["step"].max()]
    assert after["train_accuracy"] == last.set_index("metric").loc["train_accuracy", "value"]


def test_session_last_values_equal_its_last_logged_metrics(tables):
    metrics = tables["training_metrics"]
    last = metrics.groupby(["session_id", "metric"]).last()["value"].unstack()
    sessions = tables["training_sessions"].set_index("session_id")
    for column in ("train_accuracy", "val_accuracy", "train_loss", "val_loss"):
        pd.testing.assert_series_equal(
            sessions.loc[last.index, column], last[column], check_names=False, check_exact=True
        )


def test_session_gpu_aggregates_equal_its_resource_rows(tables):
    usage = tables["resource_usage"].dropna(subset=["session_id"])
    usage = usage.astype({"gpu_util": "float64", "gpu_mem_used_gb": "float64"})
    by_session = usage.groupby("session_id").agg(
        util=("gpu_util", "mean"), peak=("gpu_mem_used_gb", "max")
    )
    sessions = tables["training_sessions"].set_index("session_id").loc[by_session.index]
    np.testing.assert_allclose(sessions["gpu_util_mean"], by_session["util"], rtol=1e-9)
    np.testing.assert_allclose(sessions["gpu_mem_peak_gb"], by_session["peak"], rtol=0)


def test_failed_sessions_and_only_they_have_reasons(tables):
    sessions = tables["training_sessions"]
    failed = sessions["status"] == "failed"
    assert failed.sum() > 0
    assert sessions.loc[failed, "failure_reason"].notna().all()
    assert sessions.loc[~failed, "failure_reason"].isna().all()
    assert sessions["failure_reason"].str.match(r"NaN loss at step \d+$").any()


def test_idle_gpus_have_no_session_and_low_utilisation(tables):
    usage = tables["resource_usage"]
    idle = usage[usage["session_id"].isna()]
    assert len(idle) > 0.1 * len(usage)
    assert (idle["gpu_util"] <= 0.05).all()
    assert idle["gpu_mem_used_gb"].between(0.3, 1.0).all()
    assert idle["host_mem_used_gb"].between(2.0, 4.0).all()
    assert (usage["gpu_mem_total_gb"] == 40).all()


def test_ids_are_unique(tables):
    for name, column in [
        ("training_sessions", "session_id"),
        ("alerts", "alert_id"),
        ("experiments", "experiment_id"),
        ("experiment_alerts", "alert_id"),
        ("model_versions", "version"),
    ]:
        assert tables[name][column].is_unique, name
    # Numbered within their UTC day, whose date they carry: unique across days.
    for name, column, time, pattern in [
        ("alerts", "alert_id", "timestamp", r"AL-\d{8}-\d{6}"),
        ("experiment_alerts", "alert_id", "timestamp", r"PA-\d{8}-\d{5}"),
        ("training_sessions", "session_id", "started_at", r"TS-\d{8}-\d{4}"),
    ]:
        ids = tables[name][column]
        assert ids.str.fullmatch(pattern).all(), name
        assert (ids.str[3:11] == tables[name][time].dt.strftime("%Y%m%d")).all(), name
    assert tables["experiments"]["experiment_id"].str.fullmatch(r"EXP-\d{3}").all()


def test_sessions_have_readable_run_names_ending_in_their_number(tables):
    sessions = tables["training_sessions"]
    names = sessions["run_name"].astype(str)
    assert names.str.fullmatch(r"[a-z]+-[a-z]+-\d{4}").all()
    assert (names.str[-4:] == sessions["session_id"].astype(str).str[-4:]).all()
    assert names.str.rsplit("-", n=1).str[0].nunique() > 50  # many word pairs, not one


def test_version_labels_are_the_releases(tables):
    releases = set(tables["model_versions"]["version"])
    for name in ("training_sessions", "alerts", "experiment_alerts"):
        assert set(tables[name]["model_version"]) <= releases, name
    statuses = tables["model_versions"].set_index("version")["status"]
    assert statuses["v5.2.1"] == "stable" and statuses["v5.3.0"] == "canary"
    assert (statuses.drop(["v5.2.1", "v5.3.0"]) == "retired").all()


def test_only_recent_alerts_are_still_open(tables):
    for name in ("alerts", "experiment_alerts"):
        alerts = tables[name]
        open_alerts = alerts[alerts["response_time_min"].isna()]
        assert (open_alerts["timestamp"] > NOW - pd.Timedelta(days=1)).all(), name
    assert tables["alerts"]["response_time_min"].isna().sum() > 0


def test_scale_two_doubles_gpus_and_roughly_doubles_alerts(tables):
    doubled = simulate(scale=2, now=NOW)
    assert (
        doubled["resource_usage"]["gpu_id"].nunique()
        == 2 * tables["resource_usage"]["gpu_id"].nunique()
        == 8
    )
    for name in ("alerts", "experiment_alerts", "training_sessions"):
        ratio = len(doubled[name]) / len(tables[name])
        assert 1.9 < ratio < 2.1, f"{name}: {ratio:.3f}"


def test_parquet_export_round_trips_exactly(tables, tmp_path):
    paths = write_tables(tables, tmp_path, "parquet")
    assert sorted(path.name for path in paths) == sorted(f"{name}.parquet" for name in TABLE_NAMES)
    for name, frame in read_tables(tmp_path).items():
        pd.testing.assert_frame_equal(frame, tables[name], check_exact=True)


def test_csv_export_round_trips_exactly(tables, tmp_path):
    # The newest rows hold the awkward values: the active session, open alerts, NaNs.
    sample = {name: frame.tail(20_000).reset_index(drop=True) for name, frame in tables.items()}
    write_tables(sample, tmp_path, "csv")
    for name, frame in read_tables(tmp_path).items():
        pd.testing.assert_frame_equal(frame, sample[name], check_exact=True)


def test_read_tables_names_a_missing_table(tables, tmp_path):
    write_tables({"alerts": tables["alerts"].head()}, tmp_path, "csv")
    with pytest.raises(FileNotFoundError, match="model_versions"):
        read_tables(tmp_path)


def test_cli_export_writes_every_table(tmp_path, capsys):
    assert main(["export", "--out", str(tmp_path), "--now", NOW.isoformat()]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{name}.parquet" for name in TABLE_NAMES
    )
    printed = capsys.readouterr().out
    assert all(name in printed for name in TABLE_NAMES)


def test_cli_rejects_a_bad_scale(tmp_path):
    with pytest.raises(SystemExit):
        main(["export", "--out", str(tmp_path), "--scale", "0"])
