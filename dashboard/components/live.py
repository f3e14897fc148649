"""The live panel of the session(s) training now: progress and current metrics."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.components import format as fmt


def _metric(label: str, value: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="live-label"), html.Div(value, className="live-value")],
        className="live-metric",
    )


def live_session_panel(active: pd.DataFrame, model_name: str) -> dbc.Card:
    """One row per active session: name and id, model, version, progress, accuracy and loss
    now."""
    header = dbc.CardHeader([html.Span(className="live-dot me-2"), "Training now"])
    if active.empty:
        body = html.P(
            f"No {model_name} session is training right now.", className="text-secondary mb-0"
        )
        return dbc.Card([header, dbc.CardBody(body)], className="live-card")
    rows = []
    for session in active.head(4).itertuples(index=False):
        progress = getattr(session, "progress", float("nan"))
        progress = 0.0 if pd.isna(progress) else float(progress)
        rows.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Strong(
                                fmt.text(getattr(session, "run_name", None), session.session_id),
                                className="me-2",
                            ),
                            html.Span(
                                session.session_id
                                if fmt.text(getattr(session, "run_name", None), "")
                                else "",
                                className="text-secondary small me-2 live-session-id",
                            ),
                            html.Span(
                                f"{session.model_type.replace('_', ' ').title()} · "
                                f"{fmt.text(session.model_version, 'version unknown')}",
                                className="text-secondary",
                            ),
                            html.Span(
                                f"started {fmt.timestamp(session.started_at)}, running "
                                f"{fmt.duration(session.duration_min)}",
                                className="text-secondary ms-2 small",
                            ),
                        ]
                    ),
                    # No label inside the bar: a session just started has no bar to hold one.
                    dbc.Progress(
                        value=round(progress * 100), className="my-2 live-progress", color="info"
                    ),
                    html.Div(
                        [
                            _metric("Progress", f"{progress:.0%} of {session.epochs} epochs"),
                            _metric("Train accuracy", fmt.percent(session.train_accuracy)),
                            _metric("Validation accuracy", fmt.percent(session.val_accuracy)),
                            _metric("Train loss", fmt.decimal(session.train_loss)),
                            _metric("Validation loss", fmt.decimal(session.val_loss)),
                            _metric("Samples so far", fmt.count(session.samples)),
                        ],
                        className="live-metrics",
                    ),
                ],
                className="live-session",
            )
        )
    return dbc.Card([header, dbc.CardBody(rows)], className="live-card")
