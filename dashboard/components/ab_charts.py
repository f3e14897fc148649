"""A/B charts: a forest plot of relative changes and the cumulative effect over the days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components import figures
from dashboard.components.ab_verdicts import (
    METRIC_BY_KEY,
    METRICS,
    MetricResult,
    interval_name,
    relative,
    tone,
)
from dashboard.components.theme import BAD, GOOD, MUTED, NEUTRAL, SERIES, empty_figure, titled

TONE_COLOURS = {"good": GOOD, "bad": BAD, "neutral": NEUTRAL}
ZERO_LINE = {"color": MUTED, "width": 1, "dash": "dot"}


def _direction_label(key: str) -> str:
    metric = METRIC_BY_KEY[key]
    return f"{metric.label} ({'↓' if metric.lower_is_better else '↑'} better)"


def forest_figure(results: list[MetricResult], subtitle: str) -> go.Figure:
    """Each metric's relative change with its Holm-level interval; green or red only if
    significant (the interval then excludes 0)."""
    title = "Relative change, with intervals"
    if not results:
        return empty_figure(title, "Nothing to compare")
    traces = []
    for result in reversed(results):  # the first metric on top
        metric = METRIC_BY_KEY[result["metric"]]
        colour = TONE_COLOURS[tone(metric, result)]
        lift, low, high = (
            result["relative_lift"] * 100,
            result["relative_ci_low"] * 100,
            result["relative_ci_high"] * 100,
        )
        traces.append(
            {
                "type": "scatter",
                "x": [lift],
                "y": [_direction_label(metric.key)],
                "mode": "markers+text",
                "text": [relative(result["relative_lift"])],
                "textposition": "top center",
                "textfont": {"color": colour},
                "marker": {"size": 11, "color": colour, "symbol": "diamond"},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [high - lift],
                    "arrayminus": [lift - low],
                    "color": colour,
                    "thickness": 2.5,
                    "width": 6,
                },
                "name": metric.label,
                "hovertemplate": f"{metric.label}: %{{x:+.1f}}% ({interval_name(result)} "
                f"{low:+.1f}% to {high:+.1f}%)<extra></extra>",
            }
        )
    layout = {
        "shapes": [figures.vertical_line(0, ZERO_LINE)],
        "showlegend": False,
        "xaxis": {
            "title": {"text": "Treatment vs control (%)"},
            "ticksuffix": "%",
            "zeroline": False,
        },
        # Room above the top metric for its label, which Plotly would cut at the plot's edge.
        "yaxis": {"automargin": True, "range": [-0.5, len(results) - 0.1]},
    }
    # The longest metric label, "False-positive rate (↓ better)", needs about 186 px.
    return titled(figures.from_dicts(traces, layout), title, subtitle, room={"l": 190, "b": 54})


def cumulative_figure(effects: pd.DataFrame, subtitle: str) -> go.Figure:
    """Per metric, treatment minus control on all alerts up to each day, with its always-valid
    interval: a confidence sequence, valid at every day's look at once, so a day on which it
    leaves 0 is a day the experiment could have been stopped.

    `effects` has columns day, metric, difference, ci_low, ci_high (rates as fractions).
    """
    title = "Cumulative effect over the days"
    if effects.empty:
        return empty_figure(
            title, "Both arms need alerts on the same days to follow the effect", height=420
        )
    layout = figures.grid_layout(
        2,
        2,
        tuple(f"{metric.label} ({'min' if metric.in_minutes else 'pts'})" for metric in METRICS),
        title_size=12,
        shared_xaxes=True,
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    traces: list[dict] = []
    shapes = []
    for index, metric in enumerate(METRICS):
        rows = effects[effects["metric"] == metric.key]
        factor, unit = (1.0, " min") if metric.in_minutes else (100.0, " pts")
        days = figures.times(rows["day"])
        axes = figures.subplot(index)
        traces.append(
            {
                "type": "scatter",
                "x": np.concatenate([days, days[::-1]]),
                "y": np.concatenate([rows["ci_high"], rows["ci_low"][::-1]]) * factor,
                "mode": "lines",
                "fill": "toself",
                "fillcolor": "rgba(148,163,184,0.18)",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "name": "Always-valid interval",
                "showlegend": index == 0,
                **axes,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": days,
                "y": (rows["difference"] * factor).to_numpy(),
                "mode": "lines+markers",
                "line": {"color": SERIES[index], "width": 2},
                "marker": {"size": 5},
                "name": metric.label,
                "showlegend": False,
                "customdata": (rows[["ci_low", "ci_high"]] * factor).to_numpy(),
                "hovertemplate": f"%{{x|%Y-%m-%d}}<br>{metric.label}: %{{y:+.2f}}{unit}"
                f"<br>always-valid CI %{{customdata[0]:+.2f}} to %{{customdata[1]:+.2f}}{unit}"
                "<extra></extra>",
                **axes,
            }
        )
        shapes.append(figures.horizontal_line(0, ZERO_LINE, index))
    layout.update(shapes=shapes, legend={"y": -0.12})
    figure = figures.from_dicts(traces, layout)
    return titled(figure, title, subtitle, height=420, room={"b": 72})
