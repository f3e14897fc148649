"""Zooms on a time axis: the x window a chart's relayout asks for, checked like any input."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.guard import page_callback
from dashboard.data.filters import Window

# Zoom windows a browser may send: plotly's axis range strings, within these years.
_EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
_LATEST = pd.Timestamp("2100-01-01", tz="UTC")


def zoom_window(relayout: object) -> Window | None:
    """The x window a zoom asks for (None: back to the whole range); PreventUpdate for
    anything else (other relayouts, forged values)."""
    if not isinstance(relayout, dict):
        raise PreventUpdate
    if relayout.get("xaxis.autorange") is True:
        return None
    bounds = relayout.get("xaxis.range")
    if bounds is None:
        bounds = [relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]")]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise PreventUpdate
    try:
        start, end = (_moment(bound) for bound in bounds)
    except ValueError:
        raise PreventUpdate from None
    if end <= start:
        raise PreventUpdate
    return Window(start, end)


# Plotly reports a relayout after every draw ({"autosize": true}), and for legend clicks or a
# y-axis zoom too; the zoom callback needs only changes of the x range.
X_RANGE_CHANGES = """
function(relayout) {
    const keys = Object.keys(relayout || {});
    const xRange = keys.some(key => key.startsWith('xaxis.range') || key === 'xaxis.autorange');
    return xRange ? relayout : dash_clientside.no_update;
}
"""


def _moment(value: object) -> pd.Timestamp:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not an axis range")
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError("out of range")
    return moment.as_unit("us")


def register_zoom(
    app: Dash, prefix: str, graph_id: str, zoom_id: str, zoomed: Callable, *states: State
) -> None:
    """A zoom on `graph_id` patches that chart alone: `zoomed(relayout, range, model, *states)`.

    A separate callback, so that Plotly's relayout on every draw never supersedes the callback
    that draws the page; only changes of the x range reach the server (the browser drops the
    relayout of every draw into `zoom_id`, a store of the page)."""
    app.clientside_callback(
        X_RANGE_CHANGES,
        Output(zoom_id, "data"),
        Input(graph_id, "relayoutData"),
        prevent_initial_call=True,
    )
    page_callback(
        app,
        Output(graph_id, "figure", allow_duplicate=True),
        Input(zoom_id, "data"),
        State(ids.page_filter(prefix, "range"), "data"),
        State(ids.page_filter(prefix, "model"), "data"),
        *states,
        prevent_initial_call=True,
    )(zoomed)
