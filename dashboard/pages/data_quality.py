"""Data Quality: the eight indicators with their change, and their daily trends."""

import dash
from dash import html

from dashboard import ids
from dashboard.components.layout import chart, loading, page_header, section

dash.register_page(
    __name__,
    path="/data-quality",
    name="Data Quality",
    title="Data Quality · AI Model Training",
    order=3,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data Quality",
                "Health of the training data: indicators over the selected "
                "range against the previous period of equal length.",
            ),
            loading(html.Div(id=ids.DQ_INDICATORS, className="kpi-grid kpi-grid-4")),
            section("Trends", chart(ids.DQ_TRENDS, height=460)),
        ]
    )
