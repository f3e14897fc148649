"""Charts of GPU and host resources: utilisation, memory, and a per-GPU heatmap."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from dashboard.components import figures
from dashboard.components.theme import SERIES, compact, empty_figure, epoch_ms, titled

NO_ROWS = "No GPU samples in this range for this model type"
# Most heatmap cells sent to the browser; more GPUs get proportionally wider time cells.
HEATMAP_CELLS = 40_000
# Viridis, as plotly's validation spells the named scale out for the browser.
HEATMAP_COLOURS = [
    [index / (len(plotly.colors.sequential.Viridis) - 1), colour]
    for index, colour in enumerate(plotly.colors.sequential.Viridis)
]


def utilisation_figure(fleet: pd.DataFrame, subtitle: str) -> go.Figure:
    """Utilisation while training and over all GPU time, and how many GPUs were busy."""
    title = "GPU utilisation"
    if fleet.empty:
        return empty_figure(title, NO_ROWS)
    buckets = epoch_ms(fleet["bucket"])
    traces = [
        {
            "type": "scatter",
            "x": buckets,
            "y": compact(fleet["gpus_busy"]),
            "name": "GPUs busy",
            "mode": "lines",
            "line": {"width": 0, "shape": "hv"},
            "fill": "tozeroy",
            "fillcolor": "rgba(148,163,184,0.18)",
            "hovertemplate": "%{x}<br>%{y:.1f} GPUs busy<extra></extra>",
            "xaxis": "x",
            "yaxis": "y2",
        }
    ]
    for column, name, colour in (
        ("gpu_util_training", "While training", SERIES[0]),
        ("gpu_util_all", "All GPU time (idle included)", SERIES[2]),
    ):
        traces.append(
            {
                "type": "scatter",
                "x": buckets,
                "y": compact(fleet[column], 100),
                "name": name,
                "mode": "lines",
                "line": {"width": 1.6, "color": colour},
                "connectgaps": False,
                "hovertemplate": f"{name}<br>%{{x}}<br>%{{y:.0f}}%<extra></extra>",
                "xaxis": "x",
                "yaxis": "y",
            }
        )
    layout = figures.grid_layout(secondary_y=True)
    layout["xaxis"]["type"] = "date"
    layout["yaxis"].update(title={"text": "Utilisation (%)"}, range=[0, 100])
    # Plotly syncs an overlaying axis' ticks with the primary's by default: 0.77, 1.54, ... GPUs.
    layout["yaxis2"].update(
        title={"text": "GPUs busy"}, showgrid=False, rangemode="tozero", tickmode="auto"
    )
    figure = figures.from_dicts(traces, layout)
    return titled(figure, title, subtitle, room={"l": 62, "r": 36, "b": 78})


def memory_figure(fleet: pd.DataFrame, subtitle: str) -> go.Figure:
    """GPU and host memory while training: mean and peak per bucket."""
    title = "GPU and host memory while training"
    if fleet.empty:
        return empty_figure(title, NO_ROWS)
    lines = (
        ("gpu_mem_training_gb", "GPU memory, mean per GPU", SERIES[3], "solid"),
        ("gpu_mem_peak_gb", "GPU memory, peak", SERIES[3], "dot"),
        ("host_mem_training_gb", "Host memory, mean", SERIES[1], "solid"),
        ("host_mem_peak_gb", "Host memory, peak", SERIES[1], "dot"),
    )
    buckets = epoch_ms(fleet["bucket"])
    traces = [
        {
            "type": "scatter",
            "x": buckets,
            "y": compact(fleet[column]),
            "name": name,
            "mode": "lines",
            "line": {"color": colour, "dash": dash, "width": 1.5},
            "hovertemplate": f"{name}<br>%{{x}}<br>%{{y:.1f}} GB<extra></extra>",
        }
        for column, name, colour, dash in lines
    ]
    layout = {"xaxis": {"type": "date"}, "yaxis": {"title": {"text": "GB"}, "rangemode": "tozero"}}
    figure = figures.from_dicts(traces, layout)
    # The four legend entries take two rows at half the page's width.
    return titled(figure, title, subtitle, room={"b": 94})


def gpu_heatmap(
    trends: pd.DataFrame, subtitle: str, names: Mapping[int, str] | None = None
) -> go.Figure:
    """Utilisation of each GPU over time: idle gaps between sessions show as dark cells. A GPU
    is labelled by its name where `names` has one ("GPU 4 · gpu-node-b gpu 0")."""
    names = names or {}
    title = "Per-GPU utilisation"
    if trends.empty:
        return empty_figure(title, NO_ROWS)
    grid = trends.pivot_table(
        index="gpu_id", columns="bucket", values="gpu_util_mean", observed=True
    )
    merged = math.ceil(grid.size / HEATMAP_CELLS)
    if merged > 1:
        # Each cell becomes the mean of `merged` neighbouring buckets of its GPU.
        buckets = grid.columns
        grid = grid.T.groupby(np.arange(grid.shape[1]) // merged).mean().T
        grid.columns = buckets[::merged]
        subtitle += f" · {len(grid.index)} GPUs: each cell {merged} buckets"
    heatmap = {
        "type": "heatmap",
        "z": (grid.to_numpy() * 100).round(1).astype(np.float32),
        "x": epoch_ms(pd.Series(grid.columns)),
        "y": [f"GPU {gpu} · {names[gpu]}" if gpu in names else f"GPU {gpu}" for gpu in grid.index],
        "colorscale": HEATMAP_COLOURS,
        "zmin": 0,
        "zmax": 100,
        "colorbar": {"title": {"text": "%"}},
        "hovertemplate": "%{y}<br>%{x}<br>%{z:.0f}%<extra></extra>",
    }
    figure = figures.from_dicts([heatmap], {"xaxis": {"type": "date"}})
    height = max(260, min(40 * len(grid.index) + 140, 900))
    return titled(figure, title, subtitle, height=height, room={"r": 116})
