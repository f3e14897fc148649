"""The app shell: navbar generated from the page registry, global filters, live refresh."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.domain import DEFAULT_MODEL, DEFAULT_RANGE, MODEL_LABELS, TIME_RANGES

# While a worker computes its first health figures the badge asks again this often.
BADGE_RETRY_MS = 2_000


def nav_links(pages: list[dict]) -> list[dbc.NavItem]:
    """One link per registered page, in page order (the 404 page is not registered in nav)."""
    return [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                id={"type": ids.NAV_LINK, "path": page["path"]},
            )
        )
        for page in pages
        if page.get("nav", True)
    ]


def filter_bar() -> html.Div:
    return html.Div(
        [
            html.Label("Time range", htmlFor=ids.RANGE, className="filter-label"),
            dbc.Select(
                id=ids.RANGE,
                value=DEFAULT_RANGE,
                size="sm",
                className="filter-select",
                options=[{"label": label, "value": key} for key, (label, _) in TIME_RANGES.items()],
            ),
            html.Label("Model type", htmlFor=ids.MODEL, className="filter-label"),
            dbc.Select(
                id=ids.MODEL,
                value=DEFAULT_MODEL,
                size="sm",
                className="filter-select",
                options=[{"label": label, "value": key} for key, label in MODEL_LABELS.items()],
            ),
        ],
        className="filter-bar",
    )


def source_status() -> html.Span:
    """Where the data comes from, in short; a click shows its tables, rows and age."""
    return html.Span(
        [
            html.Span(id=ids.DATA_SOURCE, className="updated-at", role="button", tabIndex="0"),
            dbc.Popover(
                id=ids.DATA_SOURCE_DETAILS,
                target=ids.DATA_SOURCE,
                trigger="legacy",
                placement="bottom",
                body=True,
            ),
        ]
    )


def source_details(status: dict, hints: dict[str, str], as_of: str, age: str) -> html.Div:
    """The popover of `source_status`: the source, the data's time and age, rows per table."""
    tables = status["tables"] or {}
    rows = [
        html.Tr([html.Td(name), html.Td(f"{count:,}", className="text-end")])
        for name, count in tables.items()
    ]
    rows += [
        html.Tr(
            [html.Td(name), html.Td("missing", className="text-end text-warning")],
            title=hints.get(name, ""),
        )
        for name in status["missing_tables"] or []
    ]
    return html.Div(
        [
            html.Div(status["source"], className="fw-semibold text-break"),
            html.Div(f"Data as of {as_of} · {age} old", className="small text-body-secondary"),
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th("table"), html.Th("rows", className="text-end")])),
                    html.Tbody(rows),
                ],
                size="sm",
                className="mt-2 mb-0 small",
            ),
        ]
    )


def refresh_control(refresh_seconds: int) -> html.Div:
    live = refresh_seconds > 0
    return html.Div(
        [
            source_status(),
            html.Span(id=ids.UPDATED_AT, className="updated-at"),
            dbc.Switch(
                id=ids.REFRESH_PAUSE,
                label="Live",
                value=live,
                disabled=not live,
                className="refresh-switch",
            ),
            dcc.Interval(
                id=ids.REFRESH, interval=max(refresh_seconds, 1) * 1000, disabled=not live
            ),
        ],
        className="refresh-control",
    )


def page_slots(pages: list[dict]) -> html.Div:
    """An empty, hidden slot per page (the router draws a page into its slot once), and the
    filters each page last showed, which its callbacks take as inputs."""
    slots = []
    for page in pages:
        prefix = page["prefix"]
        slots.append(html.Div(id=ids.page_slot(prefix), className="page-slot page-slot-hidden"))
        initial = {"range": DEFAULT_RANGE, "model": DEFAULT_MODEL, "tick": 0}
        slots += [
            dcc.Store(id=ids.page_filter(prefix, name), data=initial[name])
            for name in ids.PAGE_FILTERS
        ]
    return html.Div(slots, id=ids.PAGES)


def shell_layout(pages: list[dict], refresh_seconds: int) -> html.Div:
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-cpu me-2"), "AI Model Training"],
                    href="/",
                    className="brand",
                ),
                dbc.Nav(nav_links(pages), className="me-auto", navbar=True),
                html.Div(id=ids.ALERT_BADGE, className="alert-badge-slot"),
                dcc.Interval(id=ids.ALERT_BADGE_RETRY, interval=BADGE_RETRY_MS, disabled=True),
                refresh_control(refresh_seconds),
            ],
            fluid=True,
        ),
        className="app-navbar",
        color="dark",
        dark=True,
        expand="xl",
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.PAGE_WANTED),
            navbar,
            html.Div(dbc.Container(filter_bar(), fluid=True), className="filter-strip"),
            dbc.Container(
                [
                    dbc.Alert(
                        id=ids.FILTER_ERROR,
                        is_open=False,
                        color="warning",
                        dismissable=True,
                        className="mt-3 mb-0",
                    ),
                    html.Div(id=ids.DATA_WARNING),
                    page_slots(pages),
                ],
                fluid=True,
                className="page",
            ),
        ]
    )
