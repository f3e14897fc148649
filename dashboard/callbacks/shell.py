"""Shell callbacks: filters from the URL, the URL and nav links from the filters, live refresh."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Dash, Input, Output, State, html, no_update

from dashboard import ids
from dashboard.callbacks.guard import server_callback
from dashboard.components import format as fmt
from dashboard.components.shell import source_details
from dashboard.data.filters import (
    DEFAULT_MODEL,
    DEFAULT_RANGE,
    MODEL_LABELS,
    TIME_RANGES,
    model_label,
    range_label,
)
from dashboard.data.store import store

MAX_QUERY = 512


def filters_from_url(search: object, current_range: object, current_model: object):
    """Set the filters from the URL's query string; unknown values fall back with a message."""
    query = parse_qs(search[1:MAX_QUERY] if isinstance(search, str) else "")
    wanted = {
        "range": query.get("range", [DEFAULT_RANGE])[0],
        "model": query.get("model", [DEFAULT_MODEL])[0],
    }
    problems = []
    if wanted["range"] not in TIME_RANGES:
        problems.append(f"time range {wanted['range'][:40]!r}")
        wanted["range"] = DEFAULT_RANGE
    if wanted["model"] not in MODEL_LABELS:
        problems.append(f"model type {wanted['model'][:40]!r}")
        wanted["model"] = DEFAULT_MODEL
    message = None
    if problems:
        message = dbc.Alert(
            f"The link asks for an unknown {' and '.join(problems)}; showing "
            f"{range_label(wanted['range'])}, {model_label(wanted['model'])} instead.",
            color="warning",
            dismissable=True,
            className="mt-3 mb-0",
        )
    return (
        wanted["range"] if wanted["range"] != current_range else no_update,
        wanted["model"] if wanted["model"] != current_model else no_update,
        message,
    )


def data_status(_tick: object, _pathname: object):
    """The 'data as of' time, and a warning (reason and the data's age) when a read failed."""
    status = store.status()
    if not status["loaded"]:
        if status["last_error"]:
            return "No data", dbc.Alert(
                f"Could not read {status['source']}: {status['last_error']}. No data is loaded "
                "yet; the dashboard tries again on every refresh.",
                color="danger",
                className="mt-3 mb-0",
            )
        return "Loading data…", None
    as_of = fmt.timestamp(pd.Timestamp(status["as_of"]))
    updated = f"Data as of {as_of}"
    warning = None
    if status["last_error"]:
        age = fmt.duration(max(status["age_seconds"] or 0, 0) / 60.0)
        warning = dbc.Alert(
            f"Could not re-read {status['source']}: {status['last_error']}. Showing the last good "
            f"data, as of {as_of} (last read {age} ago); it updates again by itself once the "
            "source is fixed.",
            color="danger",
            className="mt-3 mb-0",
        )
    elif status["ingest_stalled"]:
        silence = fmt.duration(status["published_seconds_ago"] / 60.0)
        warning = dbc.Alert(
            f"The data has not been refreshed for {silence}: the ingest that reads "
            f"{status['source']} has stopped. Showing the data as of {as_of}; the server's log "
            "says why.",
            color="warning",
            className="mt-3 mb-0",
        )
    return updated, warning


def source_kind(name: str) -> str:
    """'directory /srv/x' -> 'Directory'; 'MLflow … + directory …' -> 'MLflow + Directory'."""
    kinds = [re.match(r"[A-Za-z]*", part.strip()).group() for part in name.split(" + ")]
    return " + ".join(kind[:1].upper() + kind[1:] for kind in kinds)


def source_status(_tick: object, _pathname: object):
    """The kind of source and how many tables it holds; the popover details rows and age."""
    status = store.status()
    label = [html.I(className="bi bi-database me-1"), source_kind(status["source"])]
    if not status["loaded"]:
        details = html.Div([html.Div(status["source"]), html.Div("No data loaded yet")])
        return [*label, " · not loaded"], details
    count = len(status["tables"])
    label.append(f" · {count} of {count + len(status['missing_tables'])} tables")
    age = fmt.duration(max(status["age_seconds"] or 0, 0) / 60.0)
    as_of = fmt.timestamp(pd.Timestamp(status["as_of"]))
    details = source_details(status, dict(status["hints"]), as_of, age)
    return label, details


def pause_refresh(live: object) -> bool:
    return live is not True


# Keeps the address bar and every nav link carrying the current filters, without a reload.
SYNC_URL = """
function(range, model, pathname, linkIds) {
    const query = '?' + new URLSearchParams({range: range, model: model}).toString();
    if (window.location.search !== query) {
        window.history.replaceState(window.history.state, '', window.location.pathname + query);
    }
    return [linkIds.map(id => id.path + query), linkIds.map(id => id.path === pathname)];
}
"""


def register(app: Dash) -> None:
    server_callback(
        app,
        Output(ids.RANGE, "value"),
        Output(ids.MODEL, "value"),
        Output(ids.FILTER_ERROR, "children"),
        Input(ids.URL, "search"),
        State(ids.RANGE, "value"),
        State(ids.MODEL, "value"),
    )(filters_from_url)
    server_callback(
        app,
        Output(ids.UPDATED_AT, "children"),
        Output(ids.DATA_WARNING, "children"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.URL, "pathname"),
    )(data_status)
    server_callback(
        app,
        Output(ids.DATA_SOURCE, "children"),
        Output(ids.DATA_SOURCE_DETAILS, "children"),
        Input(ids.REFRESH, "n_intervals"),
        Input(ids.URL, "pathname"),
    )(source_status)
    server_callback(app, Output(ids.REFRESH, "disabled"), Input(ids.REFRESH_PAUSE, "value"))(
        pause_refresh
    )
    app.clientside_callback(
        SYNC_URL,
        Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
        Output({"type": ids.NAV_LINK, "path": ALL}, "active"),
        Input(ids.RANGE, "value"),
        Input(ids.MODEL, "value"),
        Input(ids.URL, "pathname"),
        State({"type": ids.NAV_LINK, "path": ALL}, "id"),
    )
