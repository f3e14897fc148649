"""The page for any unknown path."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids

dash.register_page(
    __name__,
    path="/404",
    name="Not found",
    title="Not found · AI Model Training",
    nav=False,
    prefix=ids.NOT_FOUND,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H2("Page not found", className="page-title"),
            html.P(
                "There is no report at this address. Pick one from the navigation bar, or go to "
                "the overview.",
                className="page-description",
            ),
            dbc.Button("Go to the overview", href="/", color="primary"),
        ],
        className="not-found",
    )
