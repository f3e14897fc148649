"""The navbar's alert badge: the alerting conditions that hold in the data now."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output

from dashboard import ids
from dashboard.callbacks.guard import server_callback
from dashboard.components.alert_badge import alert_badge
from dashboard.conditions import Condition, conditions_of
from dashboard.data.health import model_health
from dashboard.data.sources import MissingTable
from dashboard.data.store import store


def holding_conditions() -> list[Condition] | None:
    """The conditions that hold now, from the figures /metrics exports; None before data."""
    try:
        # Workers start with the master's figures; a worker without any waits for its first.
        health = model_health(wait=True)
    except MissingTable:
        return None
    status = store.status()
    checked = status["checked_at"]
    checked_at = None if checked is None else pd.Timestamp(checked)
    return conditions_of(health, checked_at, status["age_seconds"])


def badge(_tick: object):
    return alert_badge(holding_conditions())


def register(app: Dash) -> None:
    server_callback(
        app,
        Output(ids.ALERT_BADGE, "children"),
        # Filled on load and on each refresh, not on a page switch (a kept page costs no request).
        Input(ids.REFRESH, "n_intervals"),
    )(badge)
