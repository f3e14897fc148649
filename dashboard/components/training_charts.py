"""Charts of training sessions: accuracy and loss over time, durations, one session's curves."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.components.theme import SERIES, STATUS_COLOURS, empty_figure, titled

NO_SESSIONS = "No training sessions in this range for this model type"


def _completed(sessions: pd.DataFrame) -> pd.DataFrame:
    return sessions[sessions["status"] == "completed"]


def _failure_markers(figure: go.Figure, sessions: pd.DataFrame, column: str, factor: float) -> None:
    failed = sessions[sessions["status"] == "failed"]
    if failed.empty:
        return
    figure.add_trace(
        go.Scatter(
            x=failed["started_at"],
            y=failed[column] * factor,
            name="Failed session",
            mode="markers",
            marker={"symbol": "x", "size": 8, "color": STATUS_COLOURS["failed"]},
            customdata=failed[["session_id", "failure_reason"]].astype(str),
            hovertemplate="%{customdata[0]} failed: %{customdata[1]}<extra></extra>",
        )
    )


def _sessions_and_trend(
    figure: go.Figure,
    sessions: pd.DataFrame,
    trends: pd.DataFrame,
    metrics: tuple[tuple[str, str], ...],
    factor: float,
    unit: str,
) -> None:
    """Each completed session as a faint dot, and the mean per time bucket as a line."""
    completed = _completed(sessions)
    for index, (column, name) in enumerate(metrics):
        colour = SERIES[index]
        figure.add_trace(
            go.Scatter(
                x=completed["started_at"],
                y=completed[column] * factor,
                name=f"{name}, per session",
                mode="markers",
                marker={"size": 4, "color": colour, "opacity": 0.35},
                customdata=completed[["session_id", "model_version"]].astype(str),
                hovertemplate=f"%{{customdata[0]}} (%{{customdata[1]}})<br>{name}: %{{y:.3f}}{unit}"
                "<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=trends["bucket"],
                y=trends[column] * factor,
                name=f"{name}, mean",
                mode="lines",
                line={"color": colour, "width": 2.5},
                customdata=trends["sessions"],
                hovertemplate=f"%{{x}}<br>{name}: %{{y:.3f}}{unit} (mean of %{{customdata}})"
                "<extra></extra>",
            )
        )


# Why a day is shaded on the accuracy chart: legend entry and colour per reason.
DAY_MARKS = {
    "quality": ("Data quality below threshold", "#fb7185"),
    "drift": ("Feature drift vs week before", "#a78bfa"),
}


def marks_note(marked_days: pd.DataFrame) -> str:
    """' · shaded: data-quality warnings, feature drift' (the reasons present) for a subtitle."""
    reasons = [
        label
        for reason, label in (("quality", "data-quality warnings"), ("drift", "feature drift"))
        if (marked_days["reason"] == reason).any()
    ]
    return " · shaded: " + ", ".join(reasons) if reasons else ""


def _day_runs(days: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive days merged into (first day, day after the last) spans."""
    days = pd.Series(sorted(set(days)))
    if days.empty:
        return []
    run = (days.diff() != pd.Timedelta(days=1)).cumsum()
    return [
        (group.iloc[0], group.iloc[-1] + pd.Timedelta(days=1)) for _, group in days.groupby(run)
    ]


def _shade_marked_days(figure: go.Figure, marked_days: pd.DataFrame) -> None:
    for reason, (name, colour) in DAY_MARKS.items():
        spans = _day_runs(marked_days.loc[marked_days["reason"] == reason, "date"])
        for index, (start, end) in enumerate(spans):
            figure.add_vrect(
                x0=start,
                x1=end,
                fillcolor=colour,
                opacity=0.22,
                line_width=0,
                layer="below",
                name=name,
                legendgroup=reason,
                showlegend=index == 0,
            )


def accuracy_figure(
    sessions: pd.DataFrame,
    trends: pd.DataFrame,
    subtitle: str,
    marked_days: pd.DataFrame | None = None,
) -> go.Figure:
    """Final training and validation accuracy of completed sessions over time.

    `marked_days` (columns date, reason: "quality" or "drift") shades the days where data
    quality or feature drift needs attention, with a legend entry per reason.
    """
    title = "Accuracy over time: training vs validation"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    figure = go.Figure()
    _sessions_and_trend(
        figure,
        sessions,
        trends,
        (("train_accuracy", "Training"), ("val_accuracy", "Validation")),
        100,
        "%",
    )
    _failure_markers(figure, sessions, "val_accuracy", 100)
    if marked_days is not None:
        _shade_marked_days(figure, marked_days)
    figure.update_yaxes(title_text="Final accuracy (%)", ticksuffix="%")
    return titled(figure, title, subtitle)


def loss_figure(sessions: pd.DataFrame, trends: pd.DataFrame, subtitle: str) -> go.Figure:
    """Final training and validation loss of completed sessions over time."""
    title = "Loss over time: training vs validation"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    figure = go.Figure()
    _sessions_and_trend(
        figure,
        sessions,
        trends,
        (("train_loss", "Training loss"), ("val_loss", "Validation loss")),
        1,
        "",
    )
    figure.update_yaxes(title_text="Final cross-entropy loss")
    return titled(figure, title, subtitle)


def duration_figure(sessions: pd.DataFrame, subtitle: str) -> go.Figure:
    """How long sessions trained: a histogram of minutes, stacked by how they ended."""
    title = "Training time per session"
    if sessions.empty:
        return empty_figure(title, NO_SESSIONS)
    figure = go.Figure()
    for status in ("completed", "failed", "active"):
        rows = sessions[sessions["status"] == status]
        if rows.empty:
            continue
        figure.add_trace(
            go.Histogram(
                x=rows["duration_min"],
                name=status.title(),
                marker_color=STATUS_COLOURS[status],
                xbins={"start": 0, "size": 10},
                hovertemplate="%{x} min: %{y} sessions<extra></extra>",
            )
        )
    figure.update_layout(barmode="stack", bargap=0.05)
    figure.update_xaxes(title_text="Minutes per session")
    figure.update_yaxes(title_text="Sessions")
    return titled(figure, title, subtitle)


def session_curves_figure(metrics: pd.DataFrame, session_label: str) -> go.Figure:
    """One session's accuracy and loss curves against its steps."""
    title = f"Learning curves · {session_label}"
    if metrics.empty:
        return empty_figure(title, "This session has logged no metrics yet")
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=["Accuracy (%)", "Loss"], horizontal_spacing=0.08
    )
    curves = (
        ("train_accuracy", "Training accuracy", 1, 100, SERIES[0]),
        ("val_accuracy", "Validation accuracy", 1, 100, SERIES[1]),
        ("train_loss", "Training loss", 2, 1, SERIES[0]),
        ("val_loss", "Validation loss", 2, 1, SERIES[1]),
    )
    for metric, name, col, factor, colour in curves:
        rows = metrics[metrics["metric"] == metric]
        figure.add_trace(
            go.Scatter(
                x=rows["step"],
                y=rows["value"] * factor,
                name=name,
                mode="lines",
                line={"color": colour, "dash": "solid" if metric.startswith("train") else "dot"},
                hovertemplate=f"step %{{x}}<br>{name}: %{{y:.3f}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
    figure.update_xaxes(title_text="Step")
    return titled(figure, title, "Every logged step of this session", height=320)


def session_gpu_figure(rows: pd.DataFrame, session_label: str) -> go.Figure:
    """GPU utilisation and memory of one session, per minute."""
    title = f"GPU during {session_label}"
    if rows.empty:
        return empty_figure(title, "No GPU samples for this session yet", height=320)
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(
        go.Scatter(
            x=rows["timestamp"],
            y=rows["gpu_util"] * 100,
            name="GPU utilisation",
            mode="lines",
            line={"color": SERIES[2]},
            hovertemplate="%{x}<br>%{y:.0f}%<extra></extra>",
        ),
        secondary_y=False,
    )
    figure.add_trace(
        go.Scatter(
            x=rows["timestamp"],
            y=rows["gpu_mem_used_gb"],
            name="GPU memory",
            mode="lines",
            line={"color": SERIES[3]},
            hovertemplate="%{x}<br>%{y:.1f} GB<extra></extra>",
        ),
        secondary_y=True,
    )
    figure.update_yaxes(title_text="Utilisation (%)", range=[0, 100], secondary_y=False)
    memory_top = float(rows["gpu_mem_total_gb"].max())
    figure.update_yaxes(
        title_text="Memory (GB)",
        secondary_y=True,
        showgrid=False,
        range=[0, memory_top],
        tickformat=".0f",
    )
    gpus = ", ".join(str(gpu) for gpu in sorted(rows["gpu_id"].unique()))
    return titled(figure, title, f"GPU {gpus} · per minute", height=320)
