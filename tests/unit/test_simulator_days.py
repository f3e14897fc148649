"""The simulator's past never changes: day-by-day rows, settled rows equal whatever `now` is."""

from __future__ import annotations

import pandas as pd
import pytest

import simulator
from simulator import (
    DEFAULT_SEED,
    EVENT_TABLES,
    HISTORY_DAYS,
    REFERENCE_TABLES,
    SETTLE_TIME,
    day_rows,
    reference_tables,
    simulate,
)
from simulator.schema import TABLES
from simulator.timeline import version_code, version_labels

NOW = pd.Timestamp("2026-11-26 13:30", tz="UTC")
DAY = pd.Timedelta(days=1)
# The column a row's timestamp is read from (training_metrics: each point's own).
TIME_OF_ROW = {
    "training_sessions": "started_at",
    "training_metrics": "timestamp",
    "resource_usage": "timestamp",
    "alerts": "timestamp",
    "experiment_alerts": "timestamp",
    "data_quality": "date",
    "feature_samples": "date",
}


def rows_between(frame: pd.DataFrame, name: str, start, end) -> pd.DataFrame:
    """The rows of `frame` timestamped in [start, end]."""
    times = frame[TIME_OF_ROW[name]]
    return frame[(times >= start) & (times <= end)].reset_index(drop=True)


def concatenated_days(first: pd.Timestamp, last: pd.Timestamp, now=None) -> dict:
    days = [day_rows(DEFAULT_SEED, 1, day, now) for day in pd.date_range(first, last, freq="D")]
    return {name: pd.concat([d[name] for d in days], ignore_index=True) for name in EVENT_TABLES}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(DEFAULT_SEED, 1, NOW)


def test_the_api_names_the_event_and_reference_tables():
    assert set(EVENT_TABLES) | set(REFERENCE_TABLES) == set(TABLES)
    assert not set(EVENT_TABLES) & set(REFERENCE_TABLES)
    assert HISTORY_DAYS == 180
    assert isinstance(SETTLE_TIME, pd.Timedelta)
    assert pd.Timedelta(0) < SETTLE_TIME <= pd.Timedelta(hours=6)


def test_rows_settled_by_now_are_the_same_days_later(tables):
    later = pd.Timedelta(days=3, hours=12)  # 01:30: yesterday's rows are still settling then
    afterwards = simulate(DEFAULT_SEED, 1, NOW + later)
    first_day = (NOW + later).floor("D") - (HISTORY_DAYS - 1) * DAY
    for name in EVENT_TABLES:
        settled = rows_between(tables[name], name, first_day, NOW - SETTLE_TIME)
        assert len(settled) > 0, name
        pd.testing.assert_frame_equal(
            rows_between(afterwards[name], name, first_day, NOW - SETTLE_TIME), settled
        )


def test_a_days_rows_are_the_same_at_any_later_now_once_settled():
    day = NOW.floor("D") - 2 * DAY
    settled = day_rows(DEFAULT_SEED, 1, day)
    for now in (day + DAY + SETTLE_TIME, NOW, NOW + 400 * DAY):
        seen = day_rows(DEFAULT_SEED, 1, day, now)
        for name in EVENT_TABLES:
            pd.testing.assert_frame_equal(seen[name], settled[name], check_exact=True)


@pytest.mark.parametrize(
    "now",
    [NOW, pd.Timestamp("2026-11-27 01:45", tz="UTC"), pd.Timestamp("2027-03-01 00:00", tz="UTC")],
    ids=["afternoon", "yesterday-still-settling", "midnight"],
)
def test_simulate_is_the_days_of_its_history_one_after_the_other(now):
    tables = simulate(DEFAULT_SEED, 1, now)
    first = now.floor("D") - (HISTORY_DAYS - 1) * DAY
    days = concatenated_days(first, now.floor("D"), now)
    for name in EVENT_TABLES:
        pd.testing.assert_frame_equal(tables[name], days[name], check_exact=True)
    reference = reference_tables(DEFAULT_SEED, 1, now)
    for name in REFERENCE_TABLES:
        # simulate keeps the versions and experiments that reach into its history.
        merged = tables[name].merge(reference[name], how="left", indicator=True)
        assert (merged["_merge"] == "both").all(), name


def test_a_day_does_not_depend_on_the_days_generated_before_it():
    day = NOW.floor("D") - 10 * DAY
    simulator.clear_caches()
    alone = day_rows(DEFAULT_SEED, 1, day)
    simulator.clear_caches()
    day_rows(DEFAULT_SEED, 1, day - DAY)
    day_rows(DEFAULT_SEED, 1, day + DAY)
    after_others = day_rows(DEFAULT_SEED, 1, day)
    for name in EVENT_TABLES:
        pd.testing.assert_frame_equal(after_others[name], alone[name], check_exact=True)


def test_a_day_is_deterministic_for_a_seed_and_differs_between_seeds():
    day = NOW.floor("D") - 5 * DAY
    first = day_rows(DEFAULT_SEED, 2, day)
    simulator.clear_caches()
    again = day_rows(DEFAULT_SEED, 2, day)
    other = day_rows(DEFAULT_SEED + 1, 2, day)
    for name in EVENT_TABLES:
        pd.testing.assert_frame_equal(again[name], first[name], check_exact=True)
    assert not other["alerts"]["timestamp"].equals(first["alerts"]["timestamp"])


def test_day_rows_hold_the_rows_of_that_utc_day_sorted_and_conformed():
    day = NOW.floor("D") - 3 * DAY
    rows = day_rows(DEFAULT_SEED, 1, day + pd.Timedelta(hours=7))  # any moment of the day
    for name in EVENT_TABLES:
        frame = rows[name]
        assert list(frame.columns) == list(TABLES[name])
        assert len(frame) > 0
        times = frame[TIME_OF_ROW[name]]
        assert ((times >= day) & (times < day + DAY)).all(), name
        pd.testing.assert_index_equal(frame.index, pd.RangeIndex(len(frame)))
    # A day's sessions end by midnight, so its metrics and GPU minutes are its own.
    assert (rows["training_sessions"]["ended_at"] <= day + DAY).all()
    assert rows["training_metrics"]["session_id"].is_monotonic_increasing
    usage = rows["resource_usage"]
    assert len(usage) == 4 * 24 * 60 and usage["timestamp"].is_monotonic_increasing


def test_day_rows_as_of_now_leave_out_the_future_and_show_the_unfinished():
    now = NOW
    today = day_rows(DEFAULT_SEED, 1, now, now)
    settled = day_rows(DEFAULT_SEED, 1, now)
    for name in EVENT_TABLES:
        assert not (today[name][TIME_OF_ROW[name]] > now).any(), name
        assert len(today[name]) <= len(settled[name])
    sessions = today["training_sessions"]
    active = sessions[sessions["status"] == "active"]
    assert len(active) >= 1 and active["ended_at"].isna().all()
    assert (
        settled["training_sessions"].set_index("session_id").loc[active["session_id"]]["status"]
        != "active"
    ).all()
    alerts = today["alerts"]
    open_alerts = alerts[alerts["response_time_min"].isna()]
    assert len(open_alerts) > 0
    assert (open_alerts["timestamp"] > now - SETTLE_TIME).all()
    assert settled["alerts"]["response_time_min"].notna().all()


def test_a_day_after_now_has_no_rows_yet():
    rows = day_rows(DEFAULT_SEED, 1, NOW + DAY, NOW)
    for name in EVENT_TABLES:
        assert len(rows[name]) == 0
        assert list(rows[name].dtypes) == [
            pd.api.types.pandas_dtype(t) for t in TABLES[name].values()
        ]


def test_nothing_changes_later_than_settle_time_after_its_timestamp(tables):
    alerts = pd.concat([tables["alerts"], tables["experiment_alerts"]])
    still_open = alerts[alerts["response_time_min"].isna()]
    assert (still_open["timestamp"] > NOW - SETTLE_TIME).all()
    sessions = tables["training_sessions"]
    active = sessions[sessions["status"] == "active"]
    assert (active["started_at"] > NOW - SETTLE_TIME).all()


def test_reference_tables_follow_the_release_cadence_after_the_anchor():
    before = reference_tables(DEFAULT_SEED, 1, "2026-12-26 09:59")
    after = reference_tables(DEFAULT_SEED, 1, "2026-12-26 10:00")
    status = before["model_versions"].set_index("version")["status"]
    assert (status["v5.2.1"], status["v5.3.0"]) == ("stable", "canary")
    assert "v5.4.0" not in status.index
    status = after["model_versions"].set_index("version")["status"]
    assert (status["v5.2.1"], status["v5.3.0"], status["v5.4.0"]) == ("retired", "stable", "canary")
    experiments = after["experiments"].set_index("experiment_id")
    assert experiments.at["EXP-006", "ended_at"] == pd.Timestamp("2026-12-26 10:00", tz="UTC")
    assert pd.isna(experiments.at["EXP-007", "ended_at"])
    assert tuple(experiments.loc["EXP-007", ["control_version", "treatment_version"]]) == (
        "v5.3.0",
        "v5.4.0",
    )
    assert pd.isna(before["experiments"].set_index("experiment_id").at["EXP-006", "ended_at"])


def test_version_numbers_keep_increasing():
    labels = version_labels(60)
    assert labels[:8] == [
        "v4.0.0",
        "v4.1.0",
        "v4.2.0",
        "v5.0.0",
        "v5.1.0",
        "v5.2.1",
        "v5.3.0",
        "v5.4.0",
    ]
    assert labels[12:15] == ["v5.9.0", "v6.0.0", "v6.1.0"]
    numbers = [tuple(int(part) for part in label[1:].split(".")) for label in labels]
    assert numbers == sorted(numbers) and len(set(labels)) == len(labels)
    assert [version_code(label) for label in labels] == list(range(60))


@pytest.fixture(scope="module", params=[60, 400], ids=["60-days-on", "400-days-on"])
def later(request) -> tuple[pd.Timestamp, dict[str, pd.DataFrame]]:
    now = NOW + request.param * DAY
    return now, simulate(DEFAULT_SEED, 1, now)


def test_the_story_goes_on_with_one_stable_version_and_one_canary(later):
    _, tables = later
    versions = tables["model_versions"]
    assert (versions["status"] == "stable").sum() == 1 and (
        versions["status"] == "canary"
    ).sum() == 1
    assert versions["released_at"].is_monotonic_increasing
    stable = versions.loc[versions["status"] == "stable", "version"].item()
    canary = versions.loc[versions["status"] == "canary", "version"].item()
    assert versions["version"].iloc[-1] == canary
    # No release in the day before either moment: the live alerts are the stable version's.
    alerts = tables["alerts"]
    assert (
        alerts.loc[alerts["timestamp"] > alerts["timestamp"].max() - DAY, "model_version"] == stable
    ).all()


def test_the_story_goes_on_with_a_running_experiment_with_both_arms(later):
    now, tables = later
    experiments = tables["experiments"]
    running = experiments[experiments["ended_at"].isna()]
    assert len(running) == 1
    versions = tables["model_versions"].set_index("version")["status"]
    experiment = running.iloc[0]
    assert versions[experiment["control_version"]] == "stable"
    assert versions[experiment["treatment_version"]] == "canary"
    pilot = tables["experiment_alerts"]
    rows = pilot[pilot["experiment_id"] == experiment["experiment_id"]]
    counts = rows["arm"].value_counts()
    assert counts["control"] > 500 and counts["treatment"] > 100
    assert set(pilot["experiment_id"]) <= set(experiments["experiment_id"])
    assert (
        experiments["ended_at"].isna() | (experiments["ended_at"] > now - HISTORY_DAYS * DAY)
    ).all()


def test_the_story_goes_on_with_sessions_running_and_alerts_at_plausible_rates(later):
    now, tables = later
    sessions = tables["training_sessions"]
    assert (sessions["status"] == "active").sum() >= 1
    assert sessions.drop(columns=["ended_at", "failure_reason"]).notna().all().all()
    alerts = tables["alerts"]
    last_week = alerts[alerts["timestamp"] > now - 7 * DAY]
    assert 0.85 < len(last_week) / 7 / 3000 < 1.15
    assert 0.45 < last_week["automated"].mean() < 0.70
    assert 0.50 < last_week["false_positive"].mean() < 0.75
    assert 4.0 < last_week["response_time_min"].mean() < 9.0
    assert alerts["response_time_min"].isna().mean() < 0.01
    metrics = tables["training_metrics"]
    assert metrics["value"].notna().all()
    completed = sessions[sessions["status"] == "completed"]
    assert completed["train_accuracy"].between(0.70, 0.80).all()
    quality = tables["data_quality"]
    assert quality.drop(columns=["date", "model_type"]).notna().all().all()
    assert len(quality) == 4 * HISTORY_DAYS
    assert tables["resource_usage"]["timestamp"].min() == now.floor("D") - (HISTORY_DAYS - 1) * DAY
