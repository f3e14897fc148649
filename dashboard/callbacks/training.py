"""Training callbacks: session charts and table for the filters, and one session's drill-down."""

from __future__ import annotations

from dash import Dash, Input, Output
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.data_quality import configured_thresholds
from dashboard.callbacks.filters import FILTER_INPUTS, checked_filters, per_bucket, scope
from dashboard.callbacks.grid_export import register_export
from dashboard.callbacks.guard import page_callback
from dashboard.components import format as fmt
from dashboard.components.kpi import kpi_card
from dashboard.components.live import live_session_panel
from dashboard.components.tables import session_rows
from dashboard.components.training_charts import (
    accuracy_figure,
    duration_figure,
    loss_figure,
    marks_note,
    session_curves_figure,
    session_gpu_figure,
)
from dashboard.data import quality as quality_data
from dashboard.data import queries
from dashboard.data.filters import model_label


def training_overview(range_key: object, model: object, _tick: object = None):
    """KPIs, live panel, accuracy, loss and duration charts, and the sessions table."""
    range_key, model = checked_filters(range_key, model)
    sessions = queries.sessions_in_range(range_key, model)
    trends = queries.session_trends(range_key, model)
    completed = sessions[sessions["status"] == "completed"]
    failed = sessions[sessions["status"] == "failed"]
    subtitle = (
        f"{scope(range_key, model)} · {len(completed):,} completed sessions · mean "
        f"{per_bucket(range_key)}"
    )
    marks = quality_data.quality_marks(range_key, model, configured_thresholds())
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
            "Most common: " + (failed["failure_reason"].mode().iloc[0] if len(failed) else "–"),
            tone="bad" if len(failed) else "good",
            icon="bi-exclamation-octagon",
        ),
    ]
    return (
        cards,
        live_session_panel(queries.active_sessions(model), model_label(model)),
        accuracy_figure(sessions, trends, subtitle + marks_note(marks), marked_days=marks),
        loss_figure(sessions, trends, subtitle),
        duration_figure(sessions, f"{scope(range_key, model)} · {len(sessions):,} sessions"),
        session_rows(sessions),
    )


def session_detail(selected: object, rows: object):
    """Learning curves and GPU of the selected session (default: the newest in the table)."""
    chosen = selected[0] if isinstance(selected, list) and selected else None
    if chosen is None and isinstance(rows, list) and rows:
        chosen = rows[0]
    session_id = chosen.get("session_id") if isinstance(chosen, dict) else None
    if not queries.session_exists(session_id):
        raise PreventUpdate
    session = queries.session_summary(session_id)
    label = f"{session_id} ({session['model_version']})"
    title = (
        f"{session_id} · {session['model_type'].replace('_', ' ').title()} · "
        f"{session['model_version']} · {session['status']} · started "
        f"{fmt.timestamp(session['started_at'])}"
    )
    if session["status"] == "failed":
        title += f" · failed: {session['failure_reason']}"
    return (
        title,
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
        Output(ids.TR_DURATION, "figure"),
        Output(ids.TR_SESSIONS, "rowData"),
        *FILTER_INPUTS,
    )(training_overview)
    register_export(app, ids.TR_SESSIONS_EXPORT, ids.TR_SESSIONS)
    page_callback(
        app,
        Output(ids.TR_DETAIL_TITLE, "children"),
        Output(ids.TR_DETAIL_CURVES, "figure"),
        Output(ids.TR_DETAIL_GPU, "figure"),
        Input(ids.TR_SESSIONS, "selectedRows"),
        Input(ids.TR_SESSIONS, "rowData"),
    )(session_detail)
