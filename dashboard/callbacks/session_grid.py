"""Sessions grids on AG Grid's infinite row model: one block of rows per request, sorted and
filtered on the server, refreshed when the filters change, exported whole as CSV."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.filters import checked_filters, filter_inputs
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
        if (typeof trigger === "string" && trigger.endsWith("-tick")) {
            api.refreshInfiniteCache();
        } else {
            api.purgeInfiniteCache();
        }
    } catch (error) {
        return dash_clientside.no_update;
    }
    return [rangeKey, model];
}
"""


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
    app: Dash,
    prefix: str,
    grid_id: str,
    shown_id: str,
    export_id: str,
    download_id: str,
    filename: str,
) -> None:
    """The grid of the page of `prefix`: its blocks of rows, refreshed with the filters that
    page shows, and its CSV download."""
    page_range, page_model = (ids.page_filter(prefix, name) for name in ("range", "model"))
    # Not called when the page mounts: the grid has not asked for a block yet (Dash would send
    # an empty request, a second round trip and sessions query next to the grid's own).
    server_callback(
        app,
        Output(grid_id, "getRowsResponse"),
        Input(grid_id, "getRowsRequest"),
        State(page_range, "data"),
        State(page_model, "data"),
        prevent_initial_call=True,
    )(session_page)
    app.clientside_callback(
        REFRESH_ROWS,
        Output(shown_id, "data"),
        *filter_inputs(prefix),
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
        State(page_range, "data"),
        State(page_model, "data"),
        prevent_initial_call=True,
    )(export)
