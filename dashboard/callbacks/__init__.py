"""Callbacks, one module per page plus the shell; each module exposes register(app)."""

from dash import Dash

from dashboard.callbacks import (
    ab_testing,
    alert_badge,
    data_quality,
    overview,
    resources,
    router,
    shell,
    training,
)


def register(app: Dash) -> None:
    for module in (
        shell,
        router,
        alert_badge,
        overview,
        training,
        ab_testing,
        data_quality,
        resources,
    ):
        module.register(app)
