"""The navbar's alert badge: the alerting conditions that hold in the data now."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output

from dashboard import ids
from dashboard.callbacks.guard import server_callback
from dashboard.components.alert_badge import alert_badge
from dashboard.conditions import Condition, conditions_of
from dashboard.data.health import PENDING_HINT, model_health
from dashboard.data.sources import MissingTable
from dashboard.data.store import store


def holding_conditions() -> list[Condition]:
    """The conditions that hold now, from the figures /metrics exports.

    MissingTable before the first data, and while a worker computes its first figures in the
    background (a worker forked before the master had any): the badge never waits the
    seconds they take (20 s at scale 100), it says they are being checked."""
    health = model_health()
    status = store.status()
    checked = status["checked_at"]
    checked_at = None if checked is None else pd.Timestamp(checked)
    return conditions_of(health, checked_at, status["age_seconds"])


def badge(_tick: object, _retry: object = None):
    """The badge, and whether to ask again shortly (while the figures are being computed)."""
    try:
        return alert_badge(holding_conditions()), True
    except MissingTable as missing:
        checking = missing.hint == PENDING_HINT
        return alert_badge(None, checking=checking), not checking


def register(app: Dash) -> None:
    server_callback(
        app,
        Output(ids.ALERT_BADGE, "children"),
        Output(ids.ALERT_BADGE_RETRY, "disabled"),
        # Filled on load and on each refresh, not on a page switch (a kept page costs no
        # request); asked again every 2 s while a worker computes its first figures.
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.ALERT_BADGE_RETRY, "n_intervals"),
    )(badge)
