"""Zooming the Training accuracy chart re-fetches the zoomed window at full resolution."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import training
from dashboard.data import queries
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
    for trace, column in ((0, "train_accuracy"), (2, "val_accuracy")):
        y = values(assigned[("data", trace, "y")])
        assert len(y) == len(expected) > 0
        np.testing.assert_allclose(y, expected[column].to_numpy() * 100, rtol=1e-6)
    subtitle = assigned[("layout", "title", "subtitle", "text")]
    assert "zoomed: every session in the window" in subtitle


def test_the_whole_range_is_reduced_and_the_zoom_is_not(app):
    with app.server.app_context():
        figure = training.training_overview("all", "all")[2]
        dots = figure.data[0]
        in_window = np.sum((dots.x >= WINDOW[0].value / 1e6) & (dots.x < WINDOW[1].value / 1e6))
        zoomed = training.zoomed_figure(RELAYOUT, "all", "all", "accuracy")
    assert "of" in figure.layout.title.subtitle.text
    assert len(dots.x) <= app.server.config["MAX_POINTS"]
    zoom_x = next(
        op["params"]["value"]
        for op in zoomed.to_plotly_json()["operations"]
        if op["location"] == ["data", 0, "x"]
    )
    assert len(zoom_x) == len(completed_in_window(app)) > in_window


def test_resetting_the_zoom_restores_the_reduced_range(app):
    with app.server.app_context():
        reset = training.zoomed_figure({"xaxis.autorange": True}, "all", "all", "accuracy")
    ops = {
        tuple(op["location"]): op["params"]["value"] for op in reset.to_plotly_json()["operations"]
    }
    assert len(ops[("data", 0, "x")]) <= app.server.config["MAX_POINTS"]
    assert "zoom in for all" in ops[("layout", "title", "subtitle", "text")]


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
