"""The CSV button of a grid: a click asks the grid to export what it shows."""

from __future__ import annotations

from dash import Dash, Input, Output
from dash.exceptions import PreventUpdate

from dashboard.callbacks.guard import server_callback


def export_on_click(n_clicks: object) -> bool:
    if not isinstance(n_clicks, int) or n_clicks < 1:
        raise PreventUpdate
    return True


def register_export(app: Dash, button_id: str, grid_id: str) -> None:
    server_callback(app, Output(grid_id, "exportDataAsCsv"), Input(button_id, "n_clicks"))(
        export_on_click
    )
