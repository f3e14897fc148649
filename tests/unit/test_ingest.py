"""The ingest: incremental reads, atomic generations, last good data kept, cells that add up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.data.ingest import Ingester
from dashboard.data.ingest_process import ending
from dashboard.data.manifest import PARTITION_COLUMNS, read_manifest
from dashboard.data.sources import SimulatorSource, Snapshot, Source
from dashboard.data.sources import simulator as simulator_source
from simulator import simulate
from simulator.schema import TABLES, conform
from tests.conftest import FIXED_NOW, SEED


class CountingSource:
    """Wraps a source: counts the rows each read returns, and can be told to fail."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name
        self.rows: list[int] = []
        self.sinces: list[pd.Timestamp | None] = []
        self.broken = False

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        if self.broken:
            raise OSError("the data share is not mounted")
        snapshot = self.source.read(now, since)
        self.sinces.append(since)
        self.rows.append(sum(len(frame) for frame in snapshot.tables.values()))
        return snapshot


class Clock:
    def __init__(self, now: pd.Timestamp) -> None:
        self.now = now

    def __call__(self) -> pd.Timestamp:
        return self.now


def stored(data_dir: Path, name: str) -> pd.DataFrame:
    manifest = read_manifest(data_dir)
    frames = [pd.read_parquet(data_dir / file) for file in manifest.files(name)]
    table = conform(name, pd.concat(frames, ignore_index=True))
    order = [PARTITION_COLUMNS.get(name), *TABLES[name]]
    return table.sort_values([c for c in order if c], kind="stable", ignore_index=True)


def expected(name: str, now: pd.Timestamp) -> pd.DataFrame:
    table = conform(name, simulate(SEED, 1, now)[name])
    order = [PARTITION_COLUMNS.get(name), *TABLES[name]]
    return table.sort_values([c for c in order if c], kind="stable", ignore_index=True)


@pytest.fixture
def ingest(tmp_path):
    clock = Clock(FIXED_NOW)
    source = CountingSource(SimulatorSource(SEED))
    return Ingester(source, tmp_path, clock), source, clock


def test_a_second_refresh_reads_only_the_rows_that_are_not_settled(ingest, tmp_path):
    ingester, source, clock = ingest
    first = ingester.run_once()
    clock.now = FIXED_NOW + pd.Timedelta(seconds=30)
    second = ingester.run_once()
    assert source.sinces == [None, pd.Timestamp(first.settled_before)]
    total = sum(second.rows(name) for name in TABLES)
    assert source.rows[0] == sum(first.rows(name) for name in TABLES)
    assert source.rows[1] < 0.02 * total, "the second read must not read the history again"
    assert second.generation == first.generation + 1
    for name in TABLES:
        pd.testing.assert_frame_equal(stored(tmp_path, name), expected(name, clock.now), obj=name)


def test_a_refresh_that_brings_nothing_keeps_the_generation(ingest):
    ingester, _source, _clock = ingest
    first = ingester.run_once()
    again = ingester.run_once()
    assert again.generation == first.generation
    assert again.as_of == first.as_of and again.checked_at is not None


def test_a_failed_read_keeps_the_last_good_data_and_says_why(ingest, tmp_path):
    ingester, source, clock = ingest
    good = ingester.run_once()
    source.broken = True
    clock.now = FIXED_NOW + pd.Timedelta(minutes=1)
    failed = ingester.run_once()
    assert failed.generation == good.generation and failed.as_of == good.as_of
    assert failed.last_error == "OSError: the data share is not mounted"
    assert failed.errors_total == 1
    assert stored(tmp_path, "alerts").shape == (good.rows("alerts"), len(TABLES["alerts"]))
    source.broken = False
    mended = ingester.run_once()
    assert mended.last_error is None and mended.generation == good.generation + 1


def test_a_source_that_fails_from_the_start_publishes_the_reason(tmp_path):
    source = CountingSource(SimulatorSource(SEED))
    source.broken = True
    manifest = Ingester(source, tmp_path, Clock(FIXED_NOW)).run_once()
    assert not manifest.loaded and "not mounted" in manifest.last_error


def test_settled_months_are_one_partition_that_is_never_rewritten(ingest):
    ingester, _source, clock = ingest
    first = ingester.run_once()
    months = [part for part in first.tables["alerts"] if len(part.partition) == 7]
    assert months and all(part.settled for part in months)
    clock.now = FIXED_NOW + pd.Timedelta(hours=2)
    second = ingester.run_once()
    assert [part for part in second.tables["alerts"] if len(part.partition) == 7] == months


def test_the_clock_going_back_starts_the_store_again(ingest, tmp_path):
    ingester, _source, clock = ingest
    ingester.run_once()
    clock.now = FIXED_NOW - pd.Timedelta(days=2)
    manifest = ingester.run_once()
    assert manifest.as_of == clock.now.isoformat()
    pd.testing.assert_frame_equal(stored(tmp_path, "alerts"), expected("alerts", clock.now))


def test_partitions_older_than_the_sources_history_are_dropped(ingest, tmp_path):
    ingester, _source, clock = ingest
    first = ingester.run_once()
    oldest = min(part.partition for part in first.tables["alerts"])
    clock.now = FIXED_NOW + pd.Timedelta(days=45)
    later = ingester.run_once()
    assert min(part.partition for part in later.tables["alerts"]) > oldest
    kept = stored(tmp_path, "alerts")
    start = clock.now.floor("D") - pd.Timedelta(days=179)
    assert kept["timestamp"].min() >= start.floor("D") - pd.Timedelta(days=31)


def test_two_hosts_ingesting_the_same_data_key_their_caches_alike(tmp_path):
    def host(folder: str):
        clock = Clock(FIXED_NOW + pd.Timedelta(seconds=7))
        source = SimulatorSource(SEED)
        return Ingester(source, tmp_path / folder, clock, align_seconds=30).run_once()

    one, other = host("host-a"), host("host-b")
    assert one.as_of == other.as_of == FIXED_NOW.isoformat(), "as of the refresh interval"
    assert one.content_key == other.content_key


class DayCountingSimulator(SimulatorSource):
    """The simulator, noting how many files the store held as each day of history was read."""

    def __init__(self, seed: int, data_dir: Path) -> None:
        super().__init__(seed)
        self.data_dir = data_dir
        self.files_seen: list[int] = []

    def read_history(self, now: pd.Timestamp):
        for snapshot in super().read_history(now):
            self.files_seen.append(len(list(self.data_dir.rglob("*.parquet"))))
            yield snapshot


def stored_rows(data_dir: Path, name: str) -> pd.DataFrame:
    """Any stored table (cells too), in one order whatever the files' order."""
    if name in TABLES:
        return stored(data_dir, name)
    manifest = read_manifest(data_dir)
    frames = [pd.read_parquet(data_dir / file) for file in manifest.files(name)]
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(list(table.columns), ignore_index=True)


@pytest.fixture
def days_apart(monkeypatch):
    """The simulator's history a day a slice even at scale 1 (as from scale 30 on)."""
    monkeypatch.setattr(simulator_source, "SLICED_FROM_SCALE", 1)
    monkeypatch.setattr(simulator_source, "SLICE_SCALE_DAYS", 1)


@pytest.mark.usefixtures("days_apart")
def test_a_first_read_a_day_at_a_time_stores_what_one_read_stores(tmp_path):
    whole = Ingester(CountingSource(SimulatorSource(SEED)), tmp_path / "whole", Clock(FIXED_NOW))
    source = DayCountingSimulator(SEED, tmp_path / "days")
    by_day = Ingester(source, tmp_path / "days", Clock(FIXED_NOW))
    one_read, day_by_day = whole.run_once(), by_day.run_once()

    assert len(source.files_seen) > 100, "the history must come a day at a time"
    # each day is stored before the next one is read: no day waits for the others in memory
    assert source.files_seen == sorted(source.files_seen) and source.files_seen[-1] > 100
    assert day_by_day.generation == 1 and day_by_day.loaded
    for name in [*TABLES, "alert_cells", "fleet_cells", "gpu_cells", "drift_weeks"]:
        assert [p.partition for p in day_by_day.tables[name]] == [
            p.partition for p in one_read.tables[name]
        ], name
        assert day_by_day.rows(name) == one_read.rows(name), name
        pd.testing.assert_frame_equal(
            stored_rows(tmp_path / "days", name), stored_rows(tmp_path / "whole", name), obj=name
        )
    assert all(part.settled for part in day_by_day.tables["alerts"] if len(part.partition) == 7)


@pytest.mark.usefixtures("days_apart")
def test_after_a_day_by_day_first_read_refreshes_are_incremental(tmp_path):
    clock = Clock(FIXED_NOW)
    ingester = Ingester(SimulatorSource(SEED), tmp_path, clock)
    first = ingester.run_once()
    clock.now = FIXED_NOW + pd.Timedelta(minutes=10)
    second = ingester.run_once()
    assert second.generation == first.generation + 1
    months = [part for part in first.tables["resource_usage"] if len(part.partition) == 7]
    assert [p for p in second.tables["resource_usage"] if len(p.partition) == 7] == months
    # only the cells of the days the refresh touched were computed again
    assert [p for p in second.tables["fleet_cells"] if len(p.partition) == 7] == [
        p for p in first.tables["fleet_cells"] if len(p.partition) == 7
    ]
    for name in TABLES:
        pd.testing.assert_frame_equal(stored(tmp_path, name), expected(name, clock.now), obj=name)
    # and they are the cells a first read at that moment computes
    Ingester(SimulatorSource(SEED), tmp_path / "fresh", Clock(clock.now)).run_once()
    for name in ("alert_cells", "fleet_cells", "gpu_cells"):
        pd.testing.assert_frame_equal(
            stored_rows(tmp_path, name), stored_rows(tmp_path / "fresh", name), obj=name
        )


def test_small_scales_read_their_history_at_once_and_large_ones_a_few_days_a_slice():
    assert SimulatorSource(SEED, 1).read_history(FIXED_NOW) is None
    slices = SimulatorSource(SEED, 10).read_history(FIXED_NOW)
    first, second = next(slices), next(slices)
    start = simulator_source.history_start(FIXED_NOW)
    assert first.since == start and second.since == start + pd.Timedelta(days=3)
    days = first.table("alerts")["timestamp"].dt.floor("D").unique()
    assert list(days) == list(pd.date_range(start, periods=3, freq="D"))


def test_the_end_of_an_ingest_process_is_said_in_words():
    assert ending(-9) == "killed by SIGKILL (out of memory?)"
    assert ending(-15) == "killed by SIGTERM"
    assert ending(3) == "exited with status 3"
    assert "collected by gunicorn" in ending(0)
