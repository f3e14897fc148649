"""The drill-down's title: a session by name then id, its state, and a link to its MLflow run."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dash import html

from dashboard.components import format as fmt

MLFLOW_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def mlflow_run_url(ui_url: str, session_id: str) -> str | None:
    """Where MLflow's UI shows the run `session_id` (its direct run page), or None when there
    is no UI to link to or the id is no MLflow run id."""
    if not ui_url or not MLFLOW_RUN_ID.match(session_id):
        return None
    return f"{ui_url.rstrip('/')}/#/runs/{session_id}"


def session_title(session: Mapping[str, object], run_url: str | None) -> list:
    """'orca-sentinel-17 · 3f9c… · Threat Detection · v5.2.1 · failed · started …', then
    'Open in MLflow' when the run has a page there."""
    name = fmt.text(session.get("run_name"), "")
    session_id = str(session["session_id"])
    words = [
        *([name] if name and name != session_id else []),
        session_id,
        str(session["model_type"]).replace("_", " ").title(),
        fmt.text(session["model_version"], "version unknown"),
        str(session["status"]),
        f"started {fmt.timestamp(session['started_at'])}",
    ]
    if session["status"] == "failed":
        words.append(f"failed: {fmt.text(session['failure_reason'], fmt.UNKNOWN)}")
    title: list = [" · ".join(words)]
    if run_url:
        title += [
            " · ",
            html.A(
                [html.I(className="bi bi-box-arrow-up-right me-1"), "Open in MLflow"],
                href=run_url,
                target="_blank",
                rel="noopener noreferrer",
                className="session-mlflow-link",
            ),
        ]
    return title
