"""Shell callbacks: filters from the URL, the URL and nav links from the filters, live refresh."""

from __future__ import annotations

import json
import re

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Dash, Input, Output, State, html

from dashboard import ids
from dashboard.callbacks.guard import server_callback
from dashboard.components import format as fmt
from dashboard.components.shell import source_details
from dashboard.data.store import store
from dashboard.domain import (
    DEFAULT_MODEL,
    DEFAULT_RANGE,
    MODEL_LABELS,
    TIME_RANGES,
)

MAX_QUERY = 512


def data_status(_tick: object):
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


def source_status(_tick: object):
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


# The filters from the URL's query string (a link reproduces a view): an unknown value falls
# back to the default, with a message. In the browser, so that no server round trip stands
# between a page's first load and its first data callback.
FILTERS_FROM_URL = """
function(search, currentRange, currentModel) {
    const vocabulary = VOCABULARY;
    const query = new URLSearchParams(typeof search === 'string' ? search.slice(1, MAX_QUERY) : '');
    const wanted = {range: query.get('range') || vocabulary.defaults.range,
                    model: query.get('model') || vocabulary.defaults.model};
    const known = (labels, value) => Object.prototype.hasOwnProperty.call(labels, value);
    const problems = [];
    if (!known(vocabulary.ranges, wanted.range)) {
        problems.push(`time range '${wanted.range.slice(0, 40)}'`);
        wanted.range = vocabulary.defaults.range;
    }
    if (!known(vocabulary.models, wanted.model)) {
        problems.push(`model type '${wanted.model.slice(0, 40)}'`);
        wanted.model = vocabulary.defaults.model;
    }
    const noUpdate = dash_clientside.no_update;
    const message = `The link asks for an unknown ${problems.join(' and ')}; showing ` +
        `${vocabulary.ranges[wanted.range]}, ${vocabulary.models[wanted.model]} instead.`;
    return [
        wanted.range !== currentRange ? wanted.range : noUpdate,
        wanted.model !== currentModel ? wanted.model : noUpdate,
        problems.length ? message : noUpdate,
        problems.length > 0,
    ];
}
"""


def filter_vocabulary_script() -> str:
    """FILTERS_FROM_URL with the allowed values and labels of the domain module."""
    vocabulary = {
        "ranges": {key: label for key, (label, _) in TIME_RANGES.items()},
        "models": MODEL_LABELS,
        "defaults": {"range": DEFAULT_RANGE, "model": DEFAULT_MODEL},
    }
    return FILTERS_FROM_URL.replace("VOCABULARY", json.dumps(vocabulary)).replace(
        "MAX_QUERY", str(MAX_QUERY)
    )


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
    app.clientside_callback(
        filter_vocabulary_script(),
        Output(ids.RANGE, "value"),
        Output(ids.MODEL, "value"),
        Output(ids.FILTER_ERROR, "children"),
        Output(ids.FILTER_ERROR, "is_open"),
        Input(ids.URL, "search"),
        State(ids.RANGE, "value"),
        State(ids.MODEL, "value"),
    )
    server_callback(
        app,
        Output(ids.UPDATED_AT, "children"),
        Output(ids.DATA_WARNING, "children"),
        Input(ids.REFRESH, "n_intervals"),
    )(data_status)
    server_callback(
        app,
        Output(ids.DATA_SOURCE, "children"),
        Output(ids.DATA_SOURCE_DETAILS, "children"),
        Input(ids.REFRESH, "n_intervals"),
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
