"""Figures assembled from plain dicts and wrapped once, without plotly's validation.

Plotly validates every property as it is set: a grid of small multiples cost ~20 ms in
make_subplots alone, and a chart's traces, axes and reference lines 5-40 ms more, on every view
computed afresh. The builders write the traces and layout as the JSON plotly would send (what
its validation would have produced) and wrap them here. Nothing checks them as they are built,
so tests/callbacks/test_figure_dicts.py validates every builder's output with plotly itself: a
misspelt property fails there, not in a browser.
"""

from __future__ import annotations

import copy
import functools
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def from_dicts(data: list[dict], layout: dict | None = None) -> go.Figure:
    """A figure of `data` (trace dicts, each with its "type") and `layout`, with the house
    template (components/theme.py, the default of every figure)."""
    return go.Figure(data=data, layout=layout or {}, _validate=False)


def times(values: pd.Series) -> np.ndarray:
    """Times as plotly's validation gives them to the browser: UTC, without the zone."""
    if values.dt.tz is not None:
        values = values.dt.tz_convert(None)
    return values.to_numpy()


def grid_layout(
    rows: int = 1,
    cols: int = 1,
    titles: tuple[str, ...] = (),
    secondary_y: bool = False,
    title_size: int | None = None,
    **spacing: float | bool,
) -> dict:
    """The layout make_subplots gives a grid (its axes, their domains and the subplot titles),
    a fresh copy each call: computed once per grid, since only the data differ between calls.

    `secondary_y` gives a one-subplot grid a second y axis on the right ("y2"); `title_size`
    sets the subplot titles' font size (make_subplots': 16 px); `spacing` takes make_subplots'
    shared_xaxes, vertical_spacing and horizontal_spacing.
    """
    options = tuple(sorted(spacing.items()))
    return copy.deepcopy(_grid_layout(rows, cols, titles, secondary_y, title_size, options))


@functools.cache
def _grid_layout(
    rows: int,
    cols: int,
    titles: tuple[str, ...],
    secondary_y: bool,
    title_size: int | None,
    spacing: tuple[tuple[str, float | bool], ...],
) -> dict:
    specs = [[{"secondary_y": True}]] if secondary_y else None
    grid = make_subplots(
        rows=rows, cols=cols, specs=specs, subplot_titles=list(titles) or None, **dict(spacing)
    )
    layout = grid.to_plotly_json()["layout"]
    layout.pop("template", None)
    if title_size is not None:
        for annotation in layout.get("annotations", ()):
            annotation["font"] = {"size": title_size}
    return layout


def subplot(index: int) -> dict[str, str]:
    """The axes of the `index`-th subplot (0-based, row by row) of a grid without secondary
    axes, as a trace names them: {"xaxis": "x2", "yaxis": "y2"} for the second."""
    suffix = "" if index == 0 else str(index + 1)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def update_axes(layout: dict, letter: str, **properties: object) -> None:
    """Set `properties` on every `letter` ("x" or "y") axis of `layout`, creating "xaxis" /
    "yaxis" if there is none (as update_xaxes / update_yaxes)."""
    pattern = re.compile(rf"{letter}axis\d*")
    found = [value for key, value in layout.items() if pattern.fullmatch(key)]
    for axis in found or [layout.setdefault(f"{letter}axis", {})]:
        axis.update(properties)


def horizontal_line(y: float, line: dict, index: int = 0) -> dict:
    """A line at `y` across the `index`-th subplot's width (as add_hline)."""
    axis = subplot(index)
    return {
        "type": "line",
        "line": line,
        "x0": 0,
        "x1": 1,
        "xref": f"{axis['xaxis']} domain",
        "y0": y,
        "y1": y,
        "yref": axis["yaxis"],
    }


def vertical_line(x: float, line: dict, index: int = 0) -> dict:
    """A line at `x` across the `index`-th subplot's height (as add_vline)."""
    axis = subplot(index)
    return {
        "type": "line",
        "line": line,
        "x0": x,
        "x1": x,
        "xref": axis["xaxis"],
        "y0": 0,
        "y1": 1,
        "yref": f"{axis['yaxis']} domain",
    }
