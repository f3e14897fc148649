"""One look for every chart: colours, fonts, status colours, and the empty-state figure."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.components import figures

TEMPLATE = "soc_dark"

BACKGROUND = "rgba(0,0,0,0)"
GRID = "rgba(148,163,184,0.15)"
TEXT = "#cbd5e1"
MUTED = "#94a3b8"

# Session status colours, shared by charts and tables (green completed, blue active, red failed).
STATUS_COLOURS = {"completed": "#22c55e", "active": "#3b82f6", "failed": "#ef4444"}
# Series colours in order; training vs validation, control vs treatment use the first two.
SERIES = ["#38bdf8", "#f59e0b", "#a78bfa", "#34d399", "#f472b6", "#facc15", "#60a5fa", "#fb7185"]
GOOD, BAD, NEUTRAL = "#22c55e", "#ef4444", "#94a3b8"


def translucent(colour: str, alpha: float) -> str:
    """'rgba(56,189,248,0.2)' for '#38bdf8' at alpha 0.2: a fill in a series' colour."""
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _register_template() -> None:
    template = go.layout.Template(pio.templates["plotly_dark"])
    template.layout.update(
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=BACKGROUND,
        font={"family": "Inter, system-ui, -apple-system, Segoe UI, sans-serif", "color": TEXT},
        colorway=SERIES,
        margin={"l": 56, "r": 16, "t": 64, "b": 44},
        title={"x": 0.01, "xanchor": "left", "font": {"size": 15}},
        legend={"orientation": "h", "y": -0.18, "x": 0, "bgcolor": BACKGROUND},
        hoverlabel={"namelength": -1},
        xaxis={"gridcolor": GRID, "zeroline": False},
        yaxis={"gridcolor": GRID, "zeroline": False},
    )
    pio.templates[TEMPLATE] = template
    # The default, so that every figure gets it when created: setting a template on a figure
    # validates a copy of it (~17 ms a figure), taking the default does not.
    pio.templates.default = TEMPLATE


_register_template()


@functools.cache
def house_template() -> dict:
    """The template as the browser gets it (plain JSON), the same for every chart."""
    return go.Figure().to_plotly_json()["layout"]["template"]


def placeholder_figure(height: int = 340) -> dict:
    """What a chart holds before its first answer: no data, the house template. Answers that
    change only the data leave the template in the browser (callbacks/figure_updates.py), so
    it is there from the start."""
    return {"data": [], "layout": {"template": house_template(), "height": height}}


def titled(
    figure: go.Figure,
    title: str,
    subtitle: str,
    height: int = 340,
    room: dict[str, int] | None = None,
) -> go.Figure:
    """Give `figure` a title and a subtitle naming population and period (and the house
    template, which every figure made after this module is imported has by default).

    `room` widens margins (px) for what the chart draws outside its plot area: the legend
    below it, long tick labels, a second axis or a colour bar. Plotly fits such things by
    drawing the chart again with wider margins (`margin.autoexpand`), which doubles the cost
    of every draw; a chart that reserves the room it needs at the usual widths is drawn once,
    and autoexpand stays as the safety net for narrower screens.
    """
    # Subplot titles sit above the plot area, so they need room below the figure's subtitle.
    has_subplot_titles = any(
        annotation.yref == "paper" and annotation.y is not None and annotation.y >= 1
        for annotation in figure.layout.annotations
    )
    # Each further line of subtitle needs a line's height more above the plot, and a little
    # more, so that the top tick label (centred on the plot's edge) stays clear of it.
    top = (96 if has_subplot_titles else 64) + 24 * subtitle.count("<br>")
    # Set, not merged (update_layout): no builder sets these, and merging costs ~2.5 ms a chart.
    figure.layout.height = height
    figure.layout.margin = {"t": top, **(room or {})}
    figure.layout.title = {
        "text": title,
        "subtitle": {"text": subtitle, "font": {"color": MUTED, "size": 12}},
    }
    return figure


def empty_figure(title: str, message: str, height: int = 340) -> go.Figure:
    """A chart-sized figure that says why there is nothing to draw."""
    message_annotation = {
        "text": message,
        "showarrow": False,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "font": {"size": 14, "color": MUTED},
    }
    layout = {
        "annotations": [message_annotation],
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    }
    figure = figures.from_dicts([], layout)
    return titled(figure, title, "No data for the current filters", height)


def epoch_ms(times: pd.Series) -> np.ndarray:
    """UTC times as epoch milliseconds, for an x axis of type "date": a third of the bytes of
    the ISO strings plotly would send otherwise."""
    return times.array.asi8 / (pd.Timedelta(milliseconds=1) // pd.Timedelta(microseconds=1))


def compact(values: pd.Series, factor: float = 1.0) -> np.ndarray:
    """Chart values as float32 (half the bytes; ample for what a chart shows)."""
    return (values.to_numpy(dtype="float64", na_value=np.nan) * factor).astype("float32")
