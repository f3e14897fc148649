"""Downsampling keeps the truth: bounded series, global extremes kept, zoom at full resolution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.components.training_charts import accuracy_figure, session_points
from dashboard.data.downsample import reduce_frame, reduce_positions, session_dots
from dashboard.domain import Reduction

LIMIT = 2000
LONG = 518_400  # a minute a point for a year


def spiky_series(size: int = LONG, seed: int = 7) -> pd.DataFrame:
    """A random walk with a few one-point spikes, one of them the global minimum."""
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(0, 1, size))
    values[rng.integers(0, size, 5)] += 400
    values[size // 3 + 17] = values.min() - 250  # a single-point dip
    times = pd.date_range("2026-01-01", periods=size, freq="min", tz="UTC").as_unit("us")
    return pd.DataFrame({"timestamp": times, "value": values})


def test_a_long_series_is_reduced_to_the_bound():
    series = spiky_series()
    shown, reduction = reduce_frame(series, "timestamp", "value", LIMIT)
    assert len(shown) <= LIMIT
    assert reduction == Reduction(len(shown), LONG)
    assert reduction.note() == f"{len(shown):,} of 518,400 points"
    assert shown["timestamp"].is_monotonic_increasing


def test_the_reduced_series_keeps_its_global_minimum_and_maximum():
    for seed in range(5):
        series = spiky_series(seed=seed)
        shown, _ = reduce_frame(series, "timestamp", "value", LIMIT)
        assert shown["value"].min() == series["value"].min()
        assert shown["value"].max() == series["value"].max()


def test_a_short_series_is_drawn_whole():
    series = spiky_series(size=LIMIT)
    shown, reduction = reduce_frame(series, "timestamp", "value", LIMIT)
    assert shown is series
    assert not reduction.reduced and reduction.note() == ""


def test_no_limit_draws_every_point():
    series = spiky_series(size=50_000)
    assert len(reduce_positions(series["timestamp"], series["value"], None)) == 50_000


def test_missing_values_are_not_drawn_and_not_counted():
    series = spiky_series(size=10_000)
    series.loc[::2, "value"] = np.nan
    positions = reduce_positions(series["timestamp"], series["value"], LIMIT)
    assert len(positions) <= LIMIT
    assert series["value"].iloc[positions].notna().all()
    assert reduce_frame(series, "timestamp", "value", LIMIT)[1].total == 5_000


def test_a_zoomed_window_returns_every_point_of_the_window():
    series = spiky_series()
    whole, _ = reduce_frame(series, "timestamp", "value", LIMIT)
    start, end = series["timestamp"].iloc[100_000], series["timestamp"].iloc[101_500]
    window = series[(series["timestamp"] >= start) & (series["timestamp"] < end)]
    zoomed, reduction = reduce_frame(window, "timestamp", "value", LIMIT)
    assert not reduction.reduced
    assert (
        len(zoomed)
        == 1_500
        > len(whole[(whole["timestamp"] >= start) & (whole["timestamp"] < end)])
    )
    pd.testing.assert_frame_equal(zoomed, window)


def sessions(size: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    started = pd.date_range("2026-01-01", periods=size, freq="7min", tz="UTC").as_unit("us")
    return pd.DataFrame(
        {
            "session_id": [f"TS-{number:06d}" for number in range(1, size + 1)],
            "model_version": "v5.2.1",
            "started_at": started,
            "status": "completed",
            "failure_reason": None,
            "train_accuracy": rng.uniform(0.7, 0.8, size),
            "val_accuracy": rng.uniform(0.69, 0.8, size),
        }
    )


def one_bucket(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions' trends as one bucket: session_trends' columns."""
    trends = {"bucket": sessions["started_at"].iloc[[0]], "sessions": [len(sessions)]}
    for column in ("train_accuracy", "val_accuracy"):
        trends |= {
            column: [sessions[column].mean()],
            f"{column}_min": [sessions[column].min()],
            f"{column}_max": [sessions[column].max()],
        }
    return pd.DataFrame(trends)


def test_session_dots_are_bounded_and_say_how_many_they_show():
    many = sessions(30_000)
    trends = one_bucket(many)
    dots = session_dots(many, ["train_accuracy", "val_accuracy"], LIMIT)
    failed = session_dots(many.iloc[:0], ["val_accuracy"], LIMIT)["val_accuracy"]
    figure = accuracy_figure(many, trends, "All Models · All Time", dots, failed)
    markers = [trace for trace in figure.data if trace.mode == "markers"]
    assert all(len(trace.x) <= LIMIT for trace in markers)
    assert f"of {30_000:,} sessions" in figure.layout.title.subtitle.text
    points = session_points(dots["val_accuracy"][0], "val_accuracy", 100, "model_version")
    assert points["y"].max() == pytest.approx(many["val_accuracy"].max() * 100, rel=1e-6)
    assert points["y"].min() == pytest.approx(many["val_accuracy"].min() * 100, rel=1e-6)


def test_without_a_limit_every_session_is_a_dot():
    few = sessions(3_000)
    trends = one_bucket(few)
    dots = session_dots(few, ["train_accuracy", "val_accuracy"], None)
    failed = session_dots(few.iloc[:0], ["val_accuracy"], None)["val_accuracy"]
    figure = accuracy_figure(few, trends, "subtitle", dots, failed)
    assert [len(trace.x) for trace in figure.data if trace.mode == "markers"][:2] == [3_000] * 2
    assert "of" not in figure.layout.title.subtitle.text.split("subtitle")[1]
