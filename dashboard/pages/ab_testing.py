"""A/B Testing: a control vs treatment comparison with its verdicts, each model version in its
release experiment, and per-version live trends."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components.ab_controls import NO_CHOICES, PickerChoices, comparison_picker
from dashboard.components.layout import chart, loading, page_header, section, when_seen
from dashboard.components.soc_charts import SOC_KPIS
from dashboard.components.tables import VERSION_COLUMNS, data_grid, export_button

dash.register_page(
    __name__,
    path="/ab-testing",
    name="A/B Testing",
    title="A/B Testing · AI Model Training",
    order=2,
    prefix=ids.AB_TESTING,
)


def layout(choices: PickerChoices = NO_CHOICES, **_query: str) -> html.Div:
    """`choices`: the comparison picker's, read by the router when it draws the page, so that
    the comparison is asked for with the page's first callbacks."""
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
                "Is a new model version really better? Control vs treatment on the pilot cohort "
                "of an experiment, with intervals and significance corrected for testing four "
                "metrics at once, and valid at every look while the experiment runs.",
            ),
            comparison_picker(choices),
            html.Div(loading(html.Div(id=ids.AB_SUMMARY)), className="mt-3"),
            html.Div(id=ids.AB_SRM, className="mt-3"),
            html.Div(id=ids.AB_GUARDRAIL, className="mt-3"),
            section("Verdict per metric", loading(html.Div(id=ids.AB_VERDICTS))),
            dbc.Row(
                [
                    dbc.Col(chart(ids.AB_FOREST, height=380), xs=12, xl=5),
                    dbc.Col(chart(ids.AB_CUMULATIVE, height=380), xs=12, xl=7),
                ],
                className="g-3 mt-1",
            ),
            section(
                "The figures behind the verdicts",
                dbc.Card(dbc.CardBody(html.Div(id=ids.AB_RESULTS)), className="chart-card"),
            ),
            section(
                "Model versions in their release experiments (treatment arm, 95% intervals)",
                loading(
                    data_grid(
                        ids.AB_VERSIONS, VERSION_COLUMNS, height=330, export_name="model-versions"
                    )
                ),
                extra=export_button(ids.AB_VERSIONS_EXPORT),
            ),
            section(
                "Per-version trends on live alerts",
                when_seen(html.Div([metric_choice, chart(ids.AB_TRENDS)]), ids.AB_TRENDS_VIEW),
            ),
        ]
    )
