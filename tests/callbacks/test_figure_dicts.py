"""Charts are built from plain dicts that plotly does not validate (components/figures.py):
every chart of every page, for several filters, empty states and a session's drill-down, is what
plotly's validation makes of it, to its JSON (key order aside). A misspelt property, a value
plotly would coerce, or a trace in the wrong subplot fails here."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly
from plotly.subplots import make_subplots

from dashboard.callbacks import ab_testing, training
from dashboard.components import figures
from dashboard.components.theme import empty_figure
from tests.callbacks.test_chart_patches import CHARTS
from tests.callbacks.test_chart_patches import figures as figures_of

pytestmark = pytest.mark.usefixtures("app_context")

FILTERS = [("24h", "all"), ("7d", "threat_detection"), ("30d", "all"), ("all", "all")]


VIEWS = {
    **CHARTS,
    "session drill-down": lambda r, m: training.session_detail(None, r, m),
    "A/B two versions": lambda r, m: ab_testing.comparison(
        r, m, None, "versions", None, "v4.2.0", "v5.2.1"
    ),
}


def sent(figure: go.Figure) -> dict:
    """What the browser gets (key order aside)."""
    return json.loads(to_json_plotly(figure))


def assert_as_validated(figure: go.Figure) -> None:
    # Raises on any property plotly does not know, or a value of the wrong kind.
    validated = go.Figure(figure.to_plotly_json())
    assert sent(validated) == sent(figure)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(("range_key", "model"), FILTERS)
def test_every_chart_is_what_plotly_validation_makes_of_it(view, range_key, model):
    charts = figures_of(VIEWS[view](range_key, model))
    assert charts
    for chart in charts:
        assert chart.data or chart.layout.annotations  # data, or an empty state's message
        assert_as_validated(chart)


def test_an_empty_state_is_what_plotly_validation_makes_of_it():
    assert_as_validated(empty_figure("Accuracy over time", "No training sessions in this range"))


@pytest.mark.parametrize(
    ("rows", "cols", "options"),
    [
        (2, 4, {"shared_xaxes": True, "vertical_spacing": 0.16, "horizontal_spacing": 0.05}),
        (2, 2, {"shared_xaxes": True}),
        (1, 3, {"horizontal_spacing": 0.07}),
    ],
)
def test_a_grid_places_traces_and_lines_where_make_subplots_does(rows, cols, options):
    titles = tuple(f"panel {index}" for index in range(rows * cols))
    expected = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), **options)
    traces, shapes = [], []
    for index in range(rows * cols):
        row, col = divmod(index, cols)
        values = np.arange(3.0) + index
        expected.add_trace(go.Scatter(x=values, y=values), row=row + 1, col=col + 1)
        expected.add_hline(y=index, line={"width": 1}, row=row + 1, col=col + 1)
        traces.append({"type": "scatter", "x": values, "y": values, **figures.subplot(index)})
        shapes.append(figures.horizontal_line(index, {"width": 1}, index))
    layout = figures.grid_layout(rows, cols, titles, **options)
    layout["shapes"] = shapes
    built = figures.from_dicts(traces, layout)
    assert sent(built) == sent(expected)


def test_a_second_y_axis_and_a_vertical_line_are_make_subplots_and_add_vline():
    expected = make_subplots(specs=[[{"secondary_y": True}]])
    expected.add_trace(go.Scatter(x=[1, 2], y=[3, 4]), secondary_y=False)
    expected.add_trace(go.Scatter(x=[1, 2], y=[5, 6]), secondary_y=True)
    expected.add_vline(x=0, line={"dash": "dot"})
    layout = figures.grid_layout(secondary_y=True)
    layout["shapes"] = [figures.vertical_line(0, {"dash": "dot"})]
    built = figures.from_dicts(
        [
            {"type": "scatter", "x": [1, 2], "y": [3, 4], "xaxis": "x", "yaxis": "y"},
            {"type": "scatter", "x": [1, 2], "y": [5, 6], "xaxis": "x", "yaxis": "y2"},
        ],
        layout,
    )
    assert sent(built) == sent(expected)


def test_a_grid_title_size_is_update_annotations():
    expected = make_subplots(rows=1, cols=3, subplot_titles=["a", "b", "c"])
    expected.update_annotations(font={"size": 12})
    built = figures.from_dicts([], figures.grid_layout(1, 3, ("a", "b", "c"), title_size=12))
    assert sent(built) == sent(expected)


def test_a_grid_layout_is_a_fresh_copy_each_time():
    first = figures.grid_layout(1, 3, ("a", "b", "c"))
    first["annotations"][0]["font"] = {"size": 99}
    first["xaxis"]["type"] = "date"
    second = figures.grid_layout(1, 3, ("a", "b", "c"))
    assert second["annotations"][0]["font"] != {"size": 99} and "type" not in second["xaxis"]


def test_update_axes_sets_every_axis_of_a_letter():
    layout = figures.grid_layout(1, 2)
    figures.update_axes(layout, "x", title={"text": "Step"})
    assert layout["xaxis"]["title"] == layout["xaxis2"]["title"] == {"text": "Step"}
    assert "title" not in layout["yaxis"]
    plain: dict = {}
    figures.update_axes(plain, "y", visible=False)
    assert plain == {"yaxis": {"visible": False}}
