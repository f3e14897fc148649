"""The Resources charts: about a point per pixel of their plot area, and a zoom re-fetches the
zoomed window as finely as the chart shows it; with downsampling off, every point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard.callbacks import resources, training
from dashboard.callbacks.views import views_of_app
from dashboard.components.training_charts import BAND_TRACES, SESSION_TRACES
from dashboard.data import downsample, queries
from dashboard.data.filters import Window
from tests.conftest import FIXED_NOW

ZOOM = (FIXED_NOW - pd.Timedelta(hours=2), FIXED_NOW - pd.Timedelta(hours=1))
RELAYOUT = {"xaxis.range": [moment.strftime("%Y-%m-%d %H:%M:%S") for moment in ZOOM]}


@pytest.fixture(autouse=True)
def app_context(app):
    with app.server.app_context():
        yield


@pytest.mark.parametrize(
    ("width", "points"),
    [(1366, 500), (1920, 800), (800, 600), (None, 500), ("wide", 500), (True, 500), (1e9, 500)],
)
def test_points_follow_the_window_width_and_ignore_anything_else(width, points):
    assert resources.chart_points(width) == points


def assigned(patch) -> dict:
    operations = patch.to_plotly_json()["operations"]
    return {tuple(op["location"]): op["params"]["value"] for op in operations}


def chart_values(figure) -> list[int]:
    return [len(trace.x) for trace in figure.data]


def test_a_narrow_window_gets_wider_buckets_the_subtitle_names():
    _, wide, _ = resources.resources("24h", "all", None, 1920)
    _, narrow, _ = resources.resources("24h", "all", None, 1366)
    assert max(chart_values(narrow)) <= 500 < max(chart_values(wide)) <= 800
    assert "mean per 3 min" in narrow.layout.title.subtitle.text
    assert "mean per 2 min" in wide.layout.title.subtitle.text


def test_a_zoom_patches_the_window_at_the_telemetry_minute():
    patch = resources.zoomed_utilisation(RELAYOUT, "24h", "all", 1366)
    assigned = {
        tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]
    }
    x = np.asarray(assigned[("data", 1, "x")])
    expected = queries.fleet_trends_in(Window(*ZOOM), "all", 500)
    assert len(x) == len(expected) == 60  # one hour, minute by minute
    assert "mean per 1 min · zoomed" in assigned[("layout", "title", "subtitle", "text")]
    reset = resources.zoomed_memory({"xaxis.autorange": True}, "24h", "all", 1366)
    ops = {
        tuple(op["location"]): op["params"]["value"] for op in reset.to_plotly_json()["operations"]
    }
    assert len(ops[("data", 0, "x")]) == len(queries.fleet_trends("24h", "all", 500))
    assert "mean per 3 min" in ops[("layout", "title", "subtitle", "text")]


@pytest.mark.parametrize("relayout", [{"autosize": True}, {"xaxis.range": ["x", "y"]}, None])
def test_other_relayouts_give_no_update(relayout):
    with pytest.raises(PreventUpdate):
        resources.zoomed_utilisation(relayout, "24h", "all", 1366)


@pytest.fixture
def downsampling_off(app, monkeypatch):
    """The app with DOWNSAMPLE off, and no view kept from before or for after."""
    views_of_app().clear()
    monkeypatch.setitem(app.server.config, "DOWNSAMPLE", False)
    yield
    views_of_app().clear()


def test_with_downsampling_off_every_bucket_and_every_session_is_drawn(downsampling_off):
    assert resources.chart_points(1366) == queries.TREND_POINTS
    sessions = queries.sessions_in_range("all", "all")
    completed = sessions[sessions["status"] == "completed"]
    assert len(completed) > downsample.BAND_ABOVE and not downsample.banded(completed)
    figure = training.training_overview("all", "all")[2]
    assert len(figure.data[SESSION_TRACES[0]].x) == len(completed)
    assert len(figure.data[BAND_TRACES[0]].x) == 0
