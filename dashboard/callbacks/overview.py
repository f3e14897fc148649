"""Overview callbacks: headline KPIs, the live session, SOC impact, the last sessions."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Output, html

from dashboard import ids
from dashboard.callbacks.filters import checked_filters, filter_inputs, per_bucket, scope
from dashboard.callbacks.guard import page_callback
from dashboard.callbacks.views import memoised_view
from dashboard.components import format as fmt
from dashboard.components.kpi import change_tone, kpi_card
from dashboard.components.live import live_session_panel
from dashboard.components.soc_charts import SOC_KPIS, impact_figure
from dashboard.components.tables import session_rows
from dashboard.data import queries
from dashboard.data.sources import MissingTable
from dashboard.domain import model_label, range_label

LOWER_IS_BETTER = {"automation_rate": False, "false_positive_rate": True, "response_min": True}


def headline(range_key: object, model: object, _tick: object = None):
    """The four headline cards and the live panel of the session(s) training now."""
    range_key, model = checked_filters(range_key, model)
    sessions = queries.sessions_in_range(range_key, model)
    active = queries.active_sessions(model)
    try:
        version, no_version = queries.current_version(), "No stable release"
    except MissingTable:  # training runs without a release table: the other cards still apply
        version, no_version = None, "No model_versions table"
    completed = sessions[sessions["status"] == "completed"]
    failed = int((sessions["status"] == "failed").sum())
    scored = completed["val_accuracy"].dropna()
    best = completed.loc[scored.idxmax()] if not scored.empty else None
    cards = [
        kpi_card(
            "Current model version",
            fmt.DASH if version is None else fmt.text(version["version"]),
            no_version
            if version is None
            else f"Latest stable release, {fmt.date(version['released_at'])}",
            tone="info",
            icon="bi-tag",
        ),
        kpi_card(
            "Training status",
            "Active" if len(active) else "Idle",
            f"{len(active)} training now (incremental learning) · {failed} failed in range",
            tone="info" if len(active) else "neutral",
            icon="bi-arrow-repeat",
        ),
        kpi_card(
            "Training samples",
            fmt.count(sessions["samples"].sum()),
            f"{len(sessions):,} sessions started · {range_label(range_key)}",
            icon="bi-database",
        ),
        kpi_card(
            "Best model accuracy",
            fmt.percent(None if best is None else best["val_accuracy"]),
            best_note(best, completed),
            icon="bi-bullseye",
        ),
    ]
    return cards, live_session_panel(active, model_label(model))


def best_note(best: pd.Series | None, completed: pd.DataFrame) -> str | list:
    """Which session the best accuracy comes from (its name never broken at a hyphen), or why
    there is none."""
    if best is not None:
        version = fmt.text(best["model_version"], "version unknown")
        name = fmt.session_name(best.get("run_name"), best["session_id"])
        return [
            "Best validation accuracy · ",
            html.Span(name, className="text-nowrap"),
            f", {version}",
        ]
    if completed.empty:
        return "No completed session in range"
    return "No completed session in range logged a validation accuracy"


def impact(range_key: object, model: object, _tick: object = None):
    """Start, current and change of each SOC KPI, and their trends over the range."""
    range_key, model = checked_filters(range_key, model)
    return _impact_view(range_key, model)


@memoised_view
def _impact_view(range_key: str, model: str):
    change = queries.alert_kpi_change(range_key, model)
    trends = queries.alert_trends(range_key, model)
    period = fmt.period(change.attrs["period"])
    compared = (
        f"last {period} vs the {period} before"
        if change.attrs["compared_with"] == queries.PREVIOUS
        else f"first vs last {period} of the range"
    )
    still_open = change.attrs["open"]
    cards = []
    for kpi, (label, _unit, _factor) in SOC_KPIS.items():
        start, current, delta = change.loc[kpi, ["start", "current", "change"]]
        shown = fmt.minutes if kpi == "response_min" else fmt.percent
        moved = fmt.signed_minutes(delta) if kpi == "response_min" else fmt.points(delta)
        detail = f"{moved} · {compared}"
        if kpi == "response_min" and still_open:
            detail += f" · {still_open:,} still open, counted as waiting"
        cards.append(
            kpi_card(
                label,
                f"{shown(start)} → {shown(current)}",
                detail,
                tone=change_tone(
                    delta, LOWER_IS_BETTER[kpi], 0.05 if kpi == "response_min" else 0.0005
                ),
                icon="bi-activity",
            )
        )
    alerts = int(trends["alerts"].sum()) if not trends.empty else 0
    subtitle = (
        f"Live alerts · {scope(range_key, model)} · {alerts:,} alerts · {per_bucket(range_key)}"
    )
    return cards, impact_figure(trends, subtitle)


def last_sessions(range_key: object, model: object, _tick: object = None) -> list[dict]:
    range_key, model = checked_filters(range_key, model)
    return session_rows(queries.sessions_in_range(range_key, model).tail(10))


def register(app: Dash) -> None:
    page_callback(
        app,
        Output(ids.OV_KPIS, "children"),
        Output(ids.OV_LIVE, "children"),
        *filter_inputs(ids.OVERVIEW),
    )(headline)
    page_callback(
        app,
        Output(ids.OV_IMPACT, "children"),
        Output(ids.OV_IMPACT_CHART, "figure"),
        *filter_inputs(ids.OVERVIEW),
    )(impact)
    page_callback(app, Output(ids.OV_SESSIONS, "rowData"), *filter_inputs(ids.OVERVIEW))(
        last_sessions
    )
