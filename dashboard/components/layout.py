"""Page-level building blocks: headers, sections, chart containers with loading states."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.theme import placeholder_figure


def page_header(title: str, description: str) -> html.Div:
    return html.Div(
        [html.H2(title, className="page-title"), html.P(description, className="page-description")],
        className="page-header",
    )


def loading(children: object, target_id: str | None = None) -> dcc.Loading:
    """A loading indicator that appears only when a callback takes a noticeable time."""
    return dcc.Loading(
        children,
        type="dot",
        delay_show=250,
        color="#38bdf8",
        **({"target_components": {target_id: "*"}} if target_id else {}),
    )


def chart(graph_id: str, height: int = 340) -> dbc.Card:
    """A card holding one graph, with a loading state, sized and styled before data arrives."""
    graph = dcc.Graph(
        id=graph_id,
        figure=placeholder_figure(height),
        config={"displaylogo": False, "responsive": True},
        style={"height": f"{height}px"},
    )
    return dbc.Card(dbc.CardBody(loading(graph)), className="chart-card")


def section(title: str, children: object, extra: object = None) -> html.Section:
    heading = html.Div(
        [html.H5(title, className="section-title"), extra], className="section-heading"
    )
    return html.Section([heading, children], className="page-section")


def when_seen(children: object, section_id: str) -> html.Div:
    """`children`, drawn only once they come into view: assets/when_seen.js sets the section's
    `seen` store when it nears the viewport, and its callbacks wait for that
    (callbacks/guard.py: page_callback_when_seen)."""
    store = ids.seen(section_id)
    return html.Div(
        [children, dcc.Store(id=store, data=False)], id=section_id, **{"data-seen-store": store}
    )
