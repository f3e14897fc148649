"""The ingest: incremental reads, atomic generations, last good data kept, cells that add up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard.data.ingest import Ingester
from dashboard.data.manifest import PARTITION_COLUMNS, read_manifest
from dashboard.data.sources import SimulatorSource, Snapshot, Source
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
