"""Overview: model version, training status, samples, best accuracy, SOC impact, last sessions."""

import dash
from dash import html

from dashboard import ids
from dashboard.components.layout import chart, loading, page_header, section
from dashboard.components.tables import SESSION_COLUMNS, data_grid

dash.register_page(
    __name__,
    path="/",
    name="Overview",
    title="Overview · AI Model Training",
    order=0,
    prefix=ids.OVERVIEW,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Overview",
                "How the SOC's alert-triage models are training and what they "
                "change for the analysts.",
            ),
            loading(html.Div(id=ids.OV_KPIS, className="kpi-grid")),
            html.Div(id=ids.OV_LIVE, className="mt-3"),
            section(
                "SOC impact",
                html.Div(
                    [
                        html.Div(id=ids.OV_IMPACT, className="kpi-grid mb-3"),
                        chart(ids.OV_IMPACT_CHART, height=300),
                    ]
                ),
            ),
            section(
                "Last 10 training sessions",
                loading(
                    data_grid(
                        ids.OV_SESSIONS, SESSION_COLUMNS, height=None, export_name="last-sessions"
                    )
                ),
            ),
        ]
    )
