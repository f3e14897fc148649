"""Zooming the Training accuracy chart re-fetches the zoomed window at full resolution; the
whole range, with more sessions than dots can draw quickly, is a band of their extremes."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import training
from dashboard.components.training_charts import BAND_TRACES, SESSION_TRACES
from dashboard.data import queries
from dashboard.data.downsample import BAND_ABOVE
from tests.conftest import FIXED_NOW
from tests.http import renderer

WINDOW = (FIXED_NOW - pd.Timedelta(days=7), FIXED_NOW)
RELAYOUT = {
    "xaxis.range[0]": WINDOW[0].strftime("%Y-%m-%d %H:%M:%S.%f"),
    "xaxis.range[1]": WINDOW[1].strftime("%Y-%m-%d %H:%M:%S.%f"),
}


def values(encoded) -> np.ndarray:
    """A numeric array as Dash sends it: a list, or plotly's base64 typed array."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])
    return np.asarray(encoded)


def completed_in_window(app) -> pd.DataFrame:
    with app.server.app_context():
        sessions = queries.sessions_in_range("all", "all")
    completed = sessions[sessions["status"] == "completed"]
    return completed[completed["started_at"].between(*WINDOW, inclusive="left")]


@pytest.fixture
def zoom_body(client):
    callback = next(
        cb
        for cb in renderer.callbacks(client)
        if cb.output.startswith(f"{ids.TR_ACCURACY}.figure@")
    )
    body = renderer.request_body(callback, renderer.all_layouts(client))
    body["inputs"][0]["value"] = RELAYOUT
    for dep in body["state"]:
        dep["value"] = "all"  # time range and model type
    body["changedPropIds"] = [f"{ids.TR_ACCURACY_ZOOM}.data"]
    return body


def test_a_zoom_relayout_returns_a_partial_update_with_every_point_of_the_window(
    app, post_callback, zoom_body
):
    response = post_callback(zoom_body)
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert list(answer) == [ids.TR_ACCURACY]  # the other charts and the cards are left alone
    patch = answer[ids.TR_ACCURACY][next(iter(answer[ids.TR_ACCURACY]))]
    assert patch["__dash_patch_update"] == "__dash_patch_update"
    assigned = {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}
    expected = completed_in_window(app)
    for trace, column in zip(SESSION_TRACES, ("train_accuracy", "val_accuracy"), strict=True):
        y = values(assigned[("data", trace, "y")])
        assert len(y) == len(expected) > 0
        np.testing.assert_allclose(y, expected[column].to_numpy() * 100, rtol=1e-6)
        assert assigned[("data", trace, "showlegend")] is True
    subtitle = assigned[("layout", "title", "subtitle", "text")]
    assert "zoomed: every session in the window" in subtitle


def all_completed(app) -> pd.DataFrame:
    with app.server.app_context():
        sessions = queries.sessions_in_range("all", "all")
    return sessions[sessions["status"] == "completed"]


def test_the_whole_range_is_a_band_of_extremes_and_the_zoom_draws_dots(app):
    completed = all_completed(app)
    assert len(completed) > BAND_ABOVE
    with app.server.app_context():
        figure = training.training_overview("all", "all")[2]
        zoomed = training.zoomed_figure(RELAYOUT, "all", "all", "accuracy")
    assert "band: lowest to highest" in figure.layout.title.subtitle.text
    for band, dots, column in zip(
        BAND_TRACES, SESSION_TRACES, ("train_accuracy", "val_accuracy"), strict=True
    ):
        assert len(figure.data[dots].x) == 0
        assert figure.data[dots].showlegend is False
        edge = np.asarray(figure.data[band].y)
        # The band's edges hold the series' extremes: nothing outside it is left out.
        assert edge.max() == pytest.approx(completed[column].max() * 100, rel=1e-6)
        assert edge.min() == pytest.approx(completed[column].min() * 100, rel=1e-6)
    zoom_x = next(
        op["params"]["value"]
        for op in zoomed.to_plotly_json()["operations"]
        if op["location"] == ["data", SESSION_TRACES[0], "x"]
    )
    assert len(zoom_x) == len(completed_in_window(app)) > 0


def test_a_range_of_few_sessions_is_drawn_as_dots(app):
    with app.server.app_context():
        sessions = queries.sessions_in_range("7d", "all")
        figure = training.training_overview("7d", "all")[2]
    completed = sessions[sessions["status"] == "completed"]
    assert 0 < len(completed) <= BAND_ABOVE
    assert len(figure.data[SESSION_TRACES[0]].x) == len(completed)
    assert len(figure.data[BAND_TRACES[0]].x) == 0
    assert "band" not in figure.layout.title.subtitle.text


def test_resetting_the_zoom_restores_the_band(app):
    with app.server.app_context():
        reset = training.zoomed_figure({"xaxis.autorange": True}, "all", "all", "accuracy")
    ops = {
        tuple(op["location"]): op["params"]["value"] for op in reset.to_plotly_json()["operations"]
    }
    assert len(ops[("data", SESSION_TRACES[0], "x")]) == 0
    assert ops[("data", SESSION_TRACES[0], "showlegend")] is False
    assert "band: lowest to highest" in ops[("layout", "title", "subtitle", "text")]


@pytest.mark.parametrize(
    "relayout",
    [
        {"autosize": True},
        {"xaxis.range[0]": "<script>", "xaxis.range[1]": "2026-11-01"},
        {"xaxis.range": ["2026-11-02", "2026-11-01"]},
        {"xaxis.range": "2026-11-01"},
        {"xaxis.range[0]": "1066-10-14", "xaxis.range[1]": "2026-11-01"},
        ["not", "a", "dict"],
    ],
)
def test_other_or_forged_relayouts_give_no_update(app, relayout):
    with app.server.app_context(), pytest.raises(PreventUpdate):
        training.zoomed_figure(relayout, "all", "all", "accuracy")
