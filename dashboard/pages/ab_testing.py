"""A/B Testing: each model version in its release experiment, and per-version live trends."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components.layout import chart, loading, page_header, section
from dashboard.components.soc_charts import SOC_KPIS
from dashboard.components.tables import VERSION_COLUMNS, data_grid, export_button

dash.register_page(
    __name__,
    path="/ab-testing",
    name="A/B Testing",
    title="A/B Testing · AI Model Training",
    order=2,
)


def layout(**_query: str) -> html.Div:
    metric_choice = dbc.RadioItems(
        id=ids.AB_TREND_METRIC,
        inline=True,
        value="automation_rate",
        className="metric-choice",
        options=[{"label": label, "value": kpi} for kpi, (label, _, _) in SOC_KPIS.items()],
    )
    return html.Div(
        [
            page_header(
                "A/B Testing",
                "Model versions compared on the pilot cohort of their "
                "release experiments, and how each version performs on live alerts.",
            ),
            section(
                "Model versions in their release experiments",
                loading(
                    data_grid(
                        ids.AB_VERSIONS, VERSION_COLUMNS, height=330, export_name="model-versions"
                    )
                ),
                extra=export_button(ids.AB_VERSIONS_EXPORT),
            ),
            section(
                "Per-version trends on live alerts", html.Div([metric_choice, chart(ids.AB_TRENDS)])
            ),
        ]
    )
