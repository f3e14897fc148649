"""The app shell: navbar generated from the page registry, global filters, live refresh."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.data.filters import DEFAULT_MODEL, DEFAULT_RANGE, MODEL_LABELS, TIME_RANGES


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


def refresh_control(refresh_seconds: int) -> html.Div:
    live = refresh_seconds > 0
    return html.Div(
        [
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
                filter_bar(),
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
            navbar,
            dbc.Container(
                [
                    html.Div(id=ids.FILTER_ERROR),
                    html.Div(id=ids.DATA_WARNING),
                    dash.page_container,
                ],
                fluid=True,
                className="page",
            ),
        ]
    )
