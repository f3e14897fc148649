"""What ops see: health and readiness checks, Prometheus metrics, structured logs."""

from __future__ import annotations

from dash import Dash

from dashboard.ops import health, metrics


def init_app(app: Dash) -> None:
    health.init_app(app.server)
    metrics.init_app(app)
