"""Training callbacks: session charts and table for the filters, and one session's drill-down."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, Patch
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard import ids
from dashboard.callbacks.data_quality import configured_thresholds
from dashboard.callbacks.filters import checked_filters, filter_inputs, per_bucket, scope
from dashboard.callbacks.guard import page_callback, page_callback_when_seen
from dashboard.callbacks.session_grid import register_session_grid
from dashboard.callbacks.views import memoised_view
from dashboard.callbacks.zoom import register_zoom, zoom_window
from dashboard.components import format as fmt
from dashboard.components.kpi import kpi_card
from dashboard.components.live import live_session_panel
from dashboard.components.session_title import mlflow_run_url, session_title
from dashboard.components.training_charts import (
    ACCURACY_METRICS,
    FAILURE_TRACE,
    LOSS_METRICS,
    SESSION_TRACES,
    accuracy_figure,
    completed_sessions,
    duration_figure,
    failed_sessions,
    loss_figure,
    marks_note,
    noted,
    reduction_note,
    session_curves_figure,
    session_gpu_figure,
    session_points,
)
from dashboard.data import downsample, queries
from dashboard.data import quality as quality_data
from dashboard.data.downsample import point_limit, session_dots
from dashboard.domain import DEFAULT_MODEL, DEFAULT_RANGE, Reduction, model_label


def training_overview(range_key: object, model: object, _tick: object = None):
    """KPIs, live panel, and the accuracy and loss charts (the sessions grid asks for its
    rows itself: session_grid; the durations and drill-down below wait until seen)."""
    range_key, model = checked_filters(range_key, model)
    return _training_charts(range_key, model)


@memoised_view
def _training_charts(range_key: str, model: str):
    sessions = queries.sessions_in_range(range_key, model)
    trends = queries.session_trends(range_key, model)
    completed = sessions[sessions["status"] == "completed"]
    failed = sessions[sessions["status"] == "failed"]
    subtitle = chart_subtitle(range_key, model, len(completed))
    marks = quality_data.quality_marks(range_key, model, configured_thresholds())
    banded = downsample.banded(completed)
    dots, failed_dots = _dots(sessions, banded)
    failure_share = len(failed) / len(sessions) if len(sessions) else None
    cards = [
        kpi_card(
            "Sessions",
            fmt.count(len(sessions)),
            f"{len(completed):,} completed · {len(failed):,} failed",
            icon="bi-collection",
        ),
        kpi_card(
            "Mean training accuracy",
            fmt.percent(completed["train_accuracy"].mean()),
            f"Validation {fmt.percent(completed['val_accuracy'].mean())} · completed sessions",
            icon="bi-bullseye",
        ),
        kpi_card(
            "Mean training time",
            fmt.duration(completed["duration_min"].mean()),
            f"Range {fmt.duration(completed['duration_min'].min())} to "
            f"{fmt.duration(completed['duration_min'].max())}",
            icon="bi-stopwatch",
        ),
        kpi_card(
            "Failure rate",
            fmt.percent(failure_share),
            "Most common: " + most_common_reason(failed),
            tone="bad" if len(failed) else "good",
            icon="bi-exclamation-octagon",
        ),
    ]
    return (
        cards,
        live_session_panel(queries.active_sessions(model), model_label(model)),
        accuracy_figure(sessions, trends, subtitle, dots, failed_dots, marks, banded),
        loss_figure(sessions, trends, subtitle, dots, banded),
    )


def training_durations(range_key: object, model: object, _tick: object = None):
    """The training time per session chart (below the fold: drawn once seen)."""
    range_key, model = checked_filters(range_key, model)
    return _duration_view(range_key, model)


@memoised_view
def _duration_view(range_key: str, model: str):
    sessions = queries.sessions_in_range(range_key, model)
    return duration_figure(sessions, f"{scope(range_key, model)} · {len(sessions):,} sessions")


def _dots(sessions: pd.DataFrame, banded: bool):
    """The completed sessions to draw per accuracy and loss column (none when `banded`), and
    the failed ones."""
    limit = point_limit()
    columns = [column for column, _ in (*ACCURACY_METRICS, *LOSS_METRICS)]
    completed = completed_sessions(sessions)
    if banded:
        none = completed.iloc[:0]
        dots = {column: (none, Reduction(0, len(completed))) for column in columns}
    else:
        dots = session_dots(completed, columns, limit)
    failed = session_dots(failed_sessions(sessions), ["val_accuracy"], limit)["val_accuracy"]
    return dots, failed


def most_common_reason(failed: pd.DataFrame) -> str:
    """The most frequent failure reason ('unknown' when none is recorded, a dash without
    failures); ties go to the reason first in alphabetical order."""
    if failed.empty:
        return fmt.DASH
    reasons = failed["failure_reason"].dropna()
    reasons = reasons[reasons.astype(str).str.strip() != ""]
    return fmt.UNKNOWN if reasons.empty else str(reasons.mode().iloc[0])


def chart_subtitle(range_key: str, model: str, completed: int) -> str:
    scoped = scope(range_key, model)
    return f"{scoped} · {completed:,} completed sessions · mean {per_bucket(range_key)}"


def zoomed_figure(relayout: object, range_key: object, model: object, figure: str) -> Patch:
    """A zoom on the accuracy or loss chart: the dots of the zoomed window at full resolution
    (reduced again only if the window still holds more than the bound), over the band if the
    range has one; reset: the range as first drawn (dots, or none over a band)."""
    span = zoom_window(relayout)
    range_key, model = checked_filters(range_key, model)
    sessions = queries.sessions_in_range(range_key, model)
    completed = completed_sessions(sessions)
    if sessions.empty:
        raise PreventUpdate
    total_completed = len(completed)
    banded = downsample.banded(completed)
    if span is None and banded:
        completed = completed.iloc[:0]
    if span is not None:
        sessions = queries.time_slice(sessions, "started_at", span)
        completed = queries.time_slice(completed, "started_at", span)
    metrics, factor = (ACCURACY_METRICS, 100) if figure == "accuracy" else (LOSS_METRICS, 1)
    limit = point_limit()
    patch = Patch()
    reductions = []
    dots = session_dots(completed, [column for column, _ in metrics], limit)
    for trace, (column, _name) in zip(SESSION_TRACES, metrics, strict=True):
        shown, reduction = dots[column]
        reductions.append(reduction)
        for key, values in session_points(shown, column, factor, "model_version").items():
            patch["data"][trace][key] = values
        patch["data"][trace]["showlegend"] = not shown.empty
    marks = ""
    if figure == "accuracy":
        failed = session_dots(failed_sessions(sessions), ["val_accuracy"], limit)
        shown, reduction = failed["val_accuracy"]
        points = session_points(shown, "val_accuracy", 100, "failure_reason")
        reductions.append(reduction)
        for key, values in points.items():
            patch["data"][FAILURE_TRACE][key] = values
        marked = quality_data.quality_marks(range_key, model, configured_thresholds())
        marks = marks_note(marked)
    patch["layout"]["title"]["subtitle"]["text"] = noted(
        chart_subtitle(range_key, model, total_completed),
        marks,
        reduction_note(reductions, zoomed=span is not None, banded=banded),
    )
    return patch


def zoomed_accuracy(relayout: object, range_key: object, model: object) -> Patch:
    return zoomed_figure(relayout, range_key, model, "accuracy")


def zoomed_loss(relayout: object, range_key: object, model: object) -> Patch:
    return zoomed_figure(relayout, range_key, model, "loss")


def session_detail(
    selected: object,
    range_key: object = DEFAULT_RANGE,
    model: object = DEFAULT_MODEL,
    _tick: object = None,
):
    """Learning curves and GPU of the selected session (default: the newest in the range)."""
    if selected is not None and not isinstance(selected, list):
        raise PreventUpdate
    chosen = selected[0] if selected else None
    if chosen is None:
        range_key, model = checked_filters(range_key, model)
        sessions = queries.sessions_in_range(range_key, model)
        chosen = None if sessions.empty else {"session_id": sessions["session_id"].iloc[-1]}
    session_id = chosen.get("session_id") if isinstance(chosen, dict) else None
    if not queries.session_exists(session_id):
        raise PreventUpdate
    return _session_detail(session_id)


@memoised_view
def _session_detail(session_id: str):
    session = queries.session_summary(session_id)
    version = fmt.text(session["model_version"], "version unknown")
    label = f"{fmt.session_name(session.get('run_name'), session_id)}, {version}"
    run_url = mlflow_run_url(str(current_app.config.get("MLFLOW_UI_URL") or ""), session_id)
    return (
        session_title(session, run_url),
        session_curves_figure(queries.session_metrics(session_id), label),
        session_gpu_figure(queries.session_resources(session_id), label),
    )


def register(app: Dash) -> None:
    page_callback(
        app,
        Output(ids.TR_KPIS, "children"),
        Output(ids.TR_LIVE, "children"),
        Output(ids.TR_ACCURACY, "figure"),
        Output(ids.TR_LOSS, "figure"),
        *filter_inputs(ids.TRAINING),
    )(training_overview)
    page_callback_when_seen(
        app, ids.TR_DURATION_VIEW, Output(ids.TR_DURATION, "figure"), *filter_inputs(ids.TRAINING)
    )(training_durations)
    # A zoom patches its chart alone (a partial update).
    register_zoom(app, ids.TRAINING, ids.TR_ACCURACY, ids.TR_ACCURACY_ZOOM, zoomed_accuracy)
    register_zoom(app, ids.TRAINING, ids.TR_LOSS, ids.TR_LOSS_ZOOM, zoomed_loss)
    register_session_grid(
        app,
        ids.TRAINING,
        ids.TR_SESSIONS,
        ids.TR_SESSIONS_SHOWN,
        ids.TR_SESSIONS_EXPORT,
        ids.TR_SESSIONS_DOWNLOAD,
        "training-sessions",
    )
    page_callback_when_seen(
        app,
        ids.TR_DETAIL_VIEW,
        Output(ids.TR_DETAIL_TITLE, "children"),
        Output(ids.TR_DETAIL_CURVES, "figure"),
        Output(ids.TR_DETAIL_GPU, "figure"),
        Input(ids.TR_SESSIONS, "selectedRows"),
        *filter_inputs(ids.TRAINING),
    )(session_detail)
