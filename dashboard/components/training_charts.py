"""Charts of training sessions: accuracy and loss over time, durations, one session's curves."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components import figures
from dashboard.components import format as fmt
from dashboard.components.theme import (
    SERIES,
    STATUS_COLOURS,
    compact,
    empty_figure,
    epoch_ms,
    titled,
    translucent,
)
from dashboard.domain import Reduction

NO_SESSIONS = "No training sessions in this range for this model type"
ACCURACY_METRICS = (("train_accuracy", "Training"), ("val_accuracy", "Validation"))
LOSS_METRICS = (("train_loss", "Training loss"), ("val_loss", "Validation loss"))
# Positions of the traces in the accuracy and loss figures (a zoom patches the dots): each
# metric adds its band (each bucket's lowest to highest, empty unless banded), its dots (empty
# when banded) and its mean line; the accuracy figure then its failed sessions.
BAND_TRACES = (0, 3)
SESSION_TRACES = (1, 4)
FAILURE_TRACE = 6
BAND_NOTE = "band: lowest to highest per bucket; zoom in for each session"
DURATION_BIN_MIN = 10


# The sessions to draw as one series' dots (the data layer reduces them: session_dots), and
# how many of the series' sessions they are.
Dots = tuple[pd.DataFrame, Reduction]


def session_points(shown: pd.DataFrame, column: str, factor: float, extra: str) -> dict:
    """x, y and customdata (session name and id, and `extra`) of the sessions' dots."""
    return {
        "x": epoch_ms(shown["started_at"]),
        "y": compact(shown[column], factor),
        "customdata": np.column_stack(
            [fmt.session_names(shown), fmt.texts(shown[extra], fmt.UNKNOWN)]
        ),
    }


def completed_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions[sessions["status"] == "completed"]


def failed_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions[sessions["status"] == "failed"]


def _failure_markers(traces: list[dict], failed: Dots, column: str, factor: float) -> Reduction:
    # Always present (maybe empty), so that a zoom can patch it at FAILURE_TRACE.
    shown, reduction = failed
    traces.append(
        {
            "type": "scatter",
            **session_points(shown, column, factor, "failure_reason"),
            "name": "Failed session",
            "mode": "markers",
            "showlegend": reduction.total > 0,
            "marker": {"symbol": "x", "size": 8, "color": STATUS_COLOURS["failed"]},
            "hovertemplate": "%{customdata[0]} failed: %{customdata[1]}<extra></extra>",
        }
    )
    return reduction


def _sessions_and_trend(
    traces: list[dict],
    dots: Mapping[str, Dots],
    trends: pd.DataFrame,
    metrics: tuple[tuple[str, str], ...],
    factor: float,
    unit: str,
    banded: bool,
) -> list[Reduction]:
    """Per metric: its band of extremes when `banded`, each completed session in `dots` as a
    faint dot, and the mean per time bucket as a line.

    The means and extremes come from every session (`trends`); only the dots may be reduced.
    """
    reductions = []
    for index, (column, name) in enumerate(metrics):
        colour = SERIES[index]
        shown, reduction = dots[column]
        reductions.append(reduction)
        band = trends if banded else trends.iloc[:0]
        traces.append(_band(band, column, name, factor, colour))
        traces.append(
            {
                "type": "scatter",
                **session_points(shown, column, factor, "model_version"),
                "name": f"{name}, per session",
                "mode": "markers",
                "showlegend": not shown.empty,
                "marker": {"size": 4, "color": colour, "opacity": 0.35},
                "hovertemplate": f"%{{customdata[0]}} (%{{customdata[1]}})<br>{name}: "
                f"%{{y:.3f}}{unit}<extra></extra>",
            }
        )
        extremes = trends[[f"{column}_min", f"{column}_max"]].to_numpy() * factor
        traces.append(
            {
                "type": "scatter",
                "x": figures.times(trends["bucket"]),
                "y": (trends[column] * factor).to_numpy(),
                "name": f"{name}, mean",
                "mode": "lines",
                "line": {"color": colour, "width": 2.5},
                "customdata": np.column_stack([trends["sessions"], extremes]),
                "hovertemplate": f"%{{x}}<br>{name}: %{{y:.3f}}{unit} (mean of "
                f"%{{customdata[0]}}; lowest %{{customdata[1]:.3f}}{unit}, highest "
                f"%{{customdata[2]:.3f}}{unit})<extra></extra>",
            }
        )
    return reductions


def _band(trends: pd.DataFrame, column: str, name: str, factor: float, colour: str) -> dict:
    """One closed path from each bucket's highest value to its lowest: the band of a series'
    extremes (empty for no buckets)."""
    edges = trends[["bucket", f"{column}_min", f"{column}_max"]].dropna()
    times = epoch_ms(edges["bucket"])
    return {
        "type": "scatter",
        "x": np.concatenate([times, times[::-1]]),
        "y": np.concatenate(
            [compact(edges[f"{column}_max"], factor), compact(edges[f"{column}_min"], factor)[::-1]]
        ),
        "name": f"{name}, lowest to highest",
        "mode": "lines",
        "fill": "toself",
        "fillcolor": translucent(colour, 0.16),
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": not edges.empty,
    }


def reduction_note(reductions: list[Reduction], zoomed: bool = False, banded: bool = False) -> str:
    """What the dots leave out: 'band: ...' for series drawn as bands (`banded`, unzoomed);
    'dots: 500 of 98,113 sessions per series, extremes kept; zoom in for all' when a series'
    dots were reduced; 'zoomed: every session in the window' for a zoomed window drawn whole;
    else ''."""
    band = BAND_NOTE if banded and not zoomed else ""
    # A banded series sends no dots: its (0 of N) is said by the band's note.
    reduced = [reduction for reduction in reductions if reduction.reduced and reduction.shown]
    if not reduced:
        return band or ("zoomed: every session in the window" if zoomed else "")
    biggest = max(reduced, key=lambda reduction: reduction.total)
    where = "in the window" if zoomed else "zoom in for all"
    dots = f"dots: {biggest.note('sessions')} per series, extremes kept; {where}"
    return f"{band} · {dots}" if band else dots


def noted(subtitle: str, *notes: str) -> str:
    """`subtitle`, then the notes there are on a line of their own: at half a 1366-px screen
    one line cannot hold them all."""
    shown = [note for note in notes if note]
    return subtitle + ("<br>" + " · ".join(shown) if shown else "")


# Why a day is shaded on the accuracy chart: legend entry and colour per reason.
DAY_MARKS = {
    "quality": ("Data quality below threshold", "#fb7185"),
    "drift": ("Feature drift vs week before", "#a78bfa"),
}


def marks_note(marked_days: pd.DataFrame) -> str:
    """'shaded: data-quality warnings, feature drift' (the reasons present), or ''."""
    reasons = [
        label
        for reason, label in (("quality", "data-quality warnings"), ("drift", "feature drift"))
        if (marked_days["reason"] == reason).any()
    ]
    return "shaded: " + ", ".join(reasons) if reasons else ""


def _day_runs(days: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive days merged into (first day, day after the last) spans."""
    days = pd.Series(sorted(set(days)))
    if days.empty:
        return []
    run = (days.diff() != pd.Timedelta(days=1)).cumsum()
    return [
        (group.iloc[0], group.iloc[-1] + pd.Timedelta(days=1)) for _, group in days.groupby(run)
    ]


def _marked_day_shapes(marked_days: pd.DataFrame) -> list[dict]:
    """A shaded span per run of marked days, across the chart's height (as add_vrect)."""
    return [
        {
            "type": "rect",
            "x0": start.isoformat(),
            "x1": end.isoformat(),
            "xref": "x",
            "y0": 0,
            "y1": 1,
            "yref": "y domain",
            "fillcolor": colour,
            "opacity": 0.22,
            "line": {"width": 0},
            "layer": "below",
            "name": name,
            "legendgroup": reason,
            "showlegend": index == 0,
        }
        for reason, (name, colour) in DAY_MARKS.items()
        for index, (start, end) in enumerate(
            _day_runs(marked_days.loc[marked_days["reason"] == reason, "date"])
        )
    ]


def accuracy_figure(
    sessions: pd.DataFrame,
    trends: pd.DataFrame,
    subtitle: str,
    dots: Mapping[str, Dots],
    failed: Dots,
    marked_days: pd.DataFrame | None = None,
    banded: bool = False,
) -> go.Figure:
    """Final training and validation accuracy of completed sessions over time.

    `dots` holds the completed sessions to draw per accuracy column, `failed` the failed
    sessions; the subtitle says when they are fewer than there are. `banded`: each series is
    drawn as the band of its extremes per bucket (its dots are then empty). `marked_days` (columns
    date, reason: "quality" or "drift") shades the days where data quality or feature drift
    needs attention, with a legend entry per reason.
    """
    title = "Accuracy over time: training vs validation"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    traces: list[dict] = []
    reductions = _sessions_and_trend(traces, dots, trends, ACCURACY_METRICS, 100, "%", banded)
    reductions.append(_failure_markers(traces, failed, "val_accuracy", 100))
    layout = {
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": "Final accuracy (%)"}, "ticksuffix": "%"},
    }
    shapes = _marked_day_shapes(marked_days) if marked_days is not None else []
    if shapes:
        layout["shapes"] = shapes
    # Past four legend entries (failed sessions, shaded days) the legend takes a second row.
    entries = sum(1 for trace in traces if trace.get("showlegend") is not False)
    entries += sum(1 for shape in shapes if shape["showlegend"])
    room = {"l": 64, "b": 101 if entries > 4 else 80}
    marks = marks_note(marked_days) if marked_days is not None else ""
    note = reduction_note(reductions, banded=banded)
    figure = figures.from_dicts(traces, layout)
    return titled(figure, title, noted(subtitle, marks, note), room=room)


def loss_figure(
    sessions: pd.DataFrame,
    trends: pd.DataFrame,
    subtitle: str,
    dots: Mapping[str, Dots],
    banded: bool = False,
) -> go.Figure:
    """Final training and validation loss of completed sessions over time (`dots`: the
    completed sessions to draw per loss column; `banded`: as for accuracy_figure)."""
    title = "Loss over time: training vs validation"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    traces: list[dict] = []
    reductions = _sessions_and_trend(traces, dots, trends, LOSS_METRICS, 1, "", banded)
    layout = {"xaxis": {"type": "date"}, "yaxis": {"title": {"text": "Final cross-entropy loss"}}}
    figure = figures.from_dicts(traces, layout)
    # The four legend entries take two rows at half the page's width.
    subtitle = noted(subtitle, reduction_note(reductions, banded=banded))
    return titled(figure, title, subtitle, room={"l": 66, "b": 96})


def duration_figure(sessions: pd.DataFrame, subtitle: str) -> go.Figure:
    """How long sessions trained: sessions per 10 minutes of training, stacked by how they
    ended (counted here, so the browser gets one bar per bin, not one value per session)."""
    title = "Training time per session"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    traces = []
    top = int(np.ceil(max(float(sessions["duration_min"].max()), 0.0) / DURATION_BIN_MIN))
    edges = np.arange(top + 2) * DURATION_BIN_MIN
    for status in ("completed", "failed", "active"):
        rows = sessions[sessions["status"] == status]
        if rows.empty:
            continue
        counts, _ = np.histogram(rows["duration_min"].to_numpy(dtype="float64"), bins=edges)
        shown = counts > 0
        traces.append(
            {
                "type": "bar",
                "x": edges[:-1][shown] + DURATION_BIN_MIN / 2,
                "y": counts[shown],
                "width": DURATION_BIN_MIN,
                "name": status.title(),
                "marker": {"color": STATUS_COLOURS[status]},
                "customdata": np.column_stack([edges[:-1][shown], edges[1:][shown]]),
                "hovertemplate": "%{customdata[0]}-%{customdata[1]} min: %{y} sessions"
                "<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        "bargap": 0.05,
        "xaxis": {"title": {"text": "Minutes per session"}},
        "yaxis": {"title": {"text": "Sessions"}},
    }
    return titled(figures.from_dicts(traces, layout), title, subtitle, room={"r": 24, "b": 80})


def session_curves_figure(metrics: pd.DataFrame, session_label: str) -> go.Figure:
    """One session's accuracy and loss curves against its steps."""
    title = f"Learning curves · {session_label}"
    if metrics.empty:
        return empty_figure(title, "This session has logged no metrics yet")
    layout = figures.grid_layout(1, 2, ("Accuracy (%)", "Loss"), horizontal_spacing=0.08)
    curves = (
        ("train_accuracy", "Training accuracy", 0, 100, SERIES[0]),
        ("val_accuracy", "Validation accuracy", 0, 100, SERIES[1]),
        ("train_loss", "Training loss", 1, 1, SERIES[0]),
        ("val_loss", "Validation loss", 1, 1, SERIES[1]),
    )
    traces = []
    for metric, name, index, factor, colour in curves:
        rows = metrics[metrics["metric"] == metric]
        traces.append(
            {
                "type": "scatter",
                "x": rows["step"].to_numpy(),
                "y": (rows["value"] * factor).to_numpy(),
                "name": name,
                "mode": "lines",
                "line": {"color": colour, "dash": "solid" if metric.startswith("train") else "dot"},
                "hovertemplate": f"step %{{x}}<br>{name}: %{{y:.3f}}<extra></extra>",
                **figures.subplot(index),
            }
        )
    figures.update_axes(layout, "x", title={"text": "Step"})
    figure = figures.from_dicts(traces, layout)
    subtitle = "Every logged step of this session"
    # Room on the right for the last step label, up to five digits.
    return titled(figure, title, subtitle, height=320, room={"r": 32, "b": 70})


def session_gpu_figure(rows: pd.DataFrame, session_label: str) -> go.Figure:
    """GPU utilisation and memory of one session, per minute."""
    # The label goes below the title: a long one beside the toolbar would be hidden by it.
    title = "GPU during the session"
    if rows.empty:
        return empty_figure(title, "No GPU samples for this session yet", height=320)
    times = figures.times(rows["timestamp"])
    traces = [
        {
            "type": "scatter",
            "x": times,
            "y": (rows["gpu_util"] * 100).to_numpy(),
            "name": "GPU utilisation",
            "mode": "lines",
            "line": {"color": SERIES[2]},
            "hovertemplate": "%{x}<br>%{y:.0f}%<extra></extra>",
            "xaxis": "x",
            "yaxis": "y",
        },
        {
            "type": "scatter",
            "x": times,
            "y": rows["gpu_mem_used_gb"].to_numpy(),
            "name": "GPU memory",
            "mode": "lines",
            "line": {"color": SERIES[3]},
            "hovertemplate": "%{x}<br>%{y:.1f} GB<extra></extra>",
            "xaxis": "x",
            "yaxis": "y2",
        },
    ]
    layout = figures.grid_layout(secondary_y=True)
    layout["yaxis"].update(title={"text": "Utilisation (%)"}, range=[0, 100])
    memory_top = float(rows["gpu_mem_total_gb"].max())
    layout["yaxis2"].update(
        title={"text": "Memory (GB)"}, showgrid=False, range=[0, memory_top], tickformat=".0f"
    )
    figure = figures.from_dicts(traces, layout)
    gpus = ", ".join(str(gpu) for gpu in sorted(rows["gpu_id"].unique()))
    room = {"l": 62, "r": 30, "b": 75}
    return titled(
        figure, title, f"{session_label} · GPU {gpus} · per minute", height=320, room=room
    )
