"""Sessions grids on AG Grid's infinite row model: one block of rows per request, sorted and
filtered on the server, refreshed when the filters change, exported whole as CSV."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.filters import checked_filters
from dashboard.callbacks.guard import server_callback
from dashboard.components.csv_export import csv_text
from dashboard.components.tables import (
    SESSION_GRID,
    SESSION_GRID_DEFAULT_SORT,
    session_rows,
)
from dashboard.data import queries
from dashboard.data.paging import matching_rows, page_of

# A filter change empties the grid's blocks (back to the first page); a refresh tick reloads
# them in place. Before the grid is ready there is nothing to do: it asks for rows itself.
REFRESH_ROWS = """
function (rangeKey, model, _tick, gridId) {
    try {
        const api = dash_ag_grid.getApi(gridId);
        const trigger = dash_clientside.callback_context.triggered_id;
        if (trigger === "REFRESH_ID") {
            api.refreshInfiniteCache();
        } else {
            api.purgeInfiniteCache();
        }
    } catch (error) {
        return dash_clientside.no_update;
    }
    return [rangeKey, model];
}
""".replace("REFRESH_ID", ids.REFRESH)


def session_page(request: object, range_key: object, model: object) -> dict:
    """The block of session rows the grid asks for, and how many rows match in all."""
    range_key, model = checked_filters(range_key, model)
    sessions = queries.sessions_in_range(range_key, model)
    try:
        page, count = page_of(sessions, request, SESSION_GRID, SESSION_GRID_DEFAULT_SORT)
    except ValueError:
        raise PreventUpdate from None
    return {"rowData": session_rows(page, newest_first=False), "rowCount": count}


def session_csv(
    n_clicks: object, request: object, range_key: object, model: object, filename: str
) -> dict:
    """Every session the grid would show (its filters and sort), as a CSV download."""
    if not isinstance(n_clicks, int) or n_clicks < 1:
        raise PreventUpdate
    range_key, model = checked_filters(range_key, model)
    sessions = queries.sessions_in_range(range_key, model)
    try:
        rows = matching_rows(sessions, request, SESSION_GRID, SESSION_GRID_DEFAULT_SORT)
    except ValueError:
        raise PreventUpdate from None
    table = pd.DataFrame(session_rows(rows, newest_first=False)).drop(columns="id", errors="ignore")
    return {"content": csv_text(table), "filename": f"{filename}.csv", "base64": False}


def register_session_grid(
    app: Dash, grid_id: str, shown_id: str, export_id: str, download_id: str, filename: str
) -> None:
    server_callback(
        app,
        Output(grid_id, "getRowsResponse"),
        Input(grid_id, "getRowsRequest"),
        State(ids.RANGE, "value"),
        State(ids.MODEL, "value"),
    )(session_page)
    app.clientside_callback(
        REFRESH_ROWS,
        Output(shown_id, "data"),
        Input(ids.RANGE, "value"),
        Input(ids.MODEL, "value"),
        Input(ids.REFRESH, "n_intervals"),
        State(grid_id, "id"),
        prevent_initial_call=True,
    )

    def export(n_clicks: object, request: object, range_key: object, model: object) -> dict:
        return session_csv(n_clicks, request, range_key, model, filename)

    server_callback(
        app,
        Output(download_id, "data"),
        Input(export_id, "n_clicks"),
        State(grid_id, "getRowsRequest"),
        State(ids.RANGE, "value"),
        State(ids.MODEL, "value"),
        prevent_initial_call=True,
    )(export)
