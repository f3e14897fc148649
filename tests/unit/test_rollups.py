"""Rollups: queries that read pre-aggregated bins give exactly the raw aggregation."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import create_app
from dashboard.data import history, queries, rollups
from dashboard.data.filters import Window
from dashboard.data.sources import SimulatorSource
from tests.conftest import FIXED_NOW, SEED, testing_config

RANGES = ["24h", "7d", "30d", "90d", "all"]
MODELS = ["all", "threat_detection", "response_automation"]
QUERIES = [
    "alert_trends",
    "version_trends",
    "alert_kpi_change",
    "fleet_trends",
    "resource_trends",
    "resource_summary",
]


@pytest.fixture(scope="module")
def raw_app():
    return create_app(testing_config(ROLLUPS=False))


def answer(app, query: str, range_key: str, model: str):
    with app.server.app_context():
        return getattr(queries, query)(range_key, model)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("range_key", RANGES)
@pytest.mark.parametrize("model", MODELS)
def test_a_rollup_query_equals_the_raw_aggregation(app, raw_app, query, range_key, model):
    rolled, raw = answer(app, query, range_key, model), answer(raw_app, query, range_key, model)
    if isinstance(raw, pd.Series):
        pd.testing.assert_series_equal(rolled, raw, check_dtype=False, rtol=1e-6)
    else:
        pd.testing.assert_frame_equal(
            rolled.reset_index(drop=True), raw.reset_index(drop=True), check_dtype=False, rtol=1e-6
        )


@pytest.mark.parametrize("range_key", ["30d", "90d", "all"])
def test_long_ranges_read_whole_bins_from_the_rollups(app, range_key):
    with app.server.app_context():
        rolled = queries.rollups()
        table = queries.snapshot().table("alerts")
        body, raw = rollups.split_window(
            table, "timestamp", queries.window(range_key), rolled.alerts
        )
    assert body is not None
    low, high = body
    assert (high - low) >= pd.Timedelta(days=20)
    # Only the partial bins at the edges and the day not rolled up yet are read raw.
    assert sum(len(part) for part in raw) < len(table) / 20


def test_alert_cells_sum_to_the_raw_counts(app):
    with app.server.app_context():
        alerts = queries.snapshot().table("alerts")
    cells = rollups.alert_cells(alerts)
    assert cells["alerts"].sum() == len(alerts)
    assert cells["automated"].sum() == alerts["automated"].sum()
    assert cells["responded"].sum() == alerts["response_time_min"].notna().sum()
    assert cells["response_sum"].sum() == pytest.approx(alerts["response_time_min"].sum())
    hourly = alerts.groupby(alerts["timestamp"].dt.floor("1h"))["alert_id"].count()
    assert cells.groupby("bin")["alerts"].sum().to_numpy().tolist() == hourly.tolist()


def test_resource_cells_count_every_row_once_per_model(app):
    with app.server.app_context():
        rows = queries.snapshot().table("resource_usage").iloc[:50_000]
        sessions = queries.snapshot().table("training_sessions")
    fleet, gpus = rollups.resource_cells(rows, sessions)
    assert fleet.loc[fleet["code"] == rollups.ANY, "rows"].sum() == len(rows)
    assert fleet.loc[fleet["code"] != rollups.ANY, "rows"].sum() == len(rows)
    assert gpus["rows"].sum() == len(rows)
    busy = fleet["code"].isin(rollups.BUSY_CODES)
    assert fleet.loc[busy, "rows"].sum() == rows["session_id"].notna().sum()
    assert fleet.loc[fleet["code"] == rollups.ANY, "minutes"].sum() == rows["timestamp"].nunique()


def test_rollups_are_built_once_per_history_not_per_snapshot():
    source = SimulatorSource(SEED)
    morning = source.load(FIXED_NOW.floor("D") + pd.Timedelta(hours=9))
    later = source.load(FIXED_NOW)
    assert morning.history == later.history and morning.version != later.version
    history.derived.clear()
    first = rollups.rollups_for(morning)
    assert rollups.rollups_for(later) is first
    assert len(history.derived.histories) == 1
    # The rollup ends where the day's rows may still change; later rows are read raw.
    assert first.alerts.end == later.sealed_before


def test_the_rollups_kept_are_bounded():
    source = SimulatorSource(SEED)
    history.derived.clear()
    for days in range(3):
        rollups.rollups_for(source.load(FIXED_NOW - pd.Timedelta(days=days)))
    assert len(history.derived.histories) == history.HISTORIES_KEPT


def test_a_window_inside_one_bin_is_read_raw(app):
    with app.server.app_context():
        rolled = queries.rollups()
        table = queries.snapshot().table("alerts")
    start = FIXED_NOW - pd.Timedelta(days=40, minutes=50)
    body, raw = rollups.split_window(
        table, "timestamp", Window(start, start + pd.Timedelta(minutes=20)), rolled.alerts
    )
    assert body is None and len(raw) == 1
