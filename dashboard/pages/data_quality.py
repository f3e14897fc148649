"""Data Quality: eight indicators against thresholds, their trends, and feature drift."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components.drift import DRIFT_COLUMNS, drift_method_note, window_picker
from dashboard.components.layout import chart, loading, page_header, section, when_seen
from dashboard.components.quality import score_note
from dashboard.components.tables import data_grid, export_button

dash.register_page(
    __name__,
    path="/data-quality",
    name="Data Quality",
    title="Data Quality · AI Model Training",
    order=3,
    prefix=ids.DATA_QUALITY,
)


def _picker(label: str, picker_id: str, hint: str) -> dbc.Col:
    return dbc.Col(
        [
            html.Label(label, htmlFor=picker_id, className="filter-label d-block mb-1"),
            window_picker(picker_id, "From", "To"),
            html.Div(hint, className="form-text"),
        ],
        md="auto",
    )


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Data Quality",
                "Health of the training data over the selected range: each indicator against "
                "its thresholds and the previous period of equal length, and whether the "
                "features' distributions drifted.",
            ),
            loading(dbc.Row(id=ids.DQ_INDICATORS, className="g-3")),
            html.Div(score_note(), id=ids.DQ_SCORE_NOTE),
            section("Trends", chart(ids.DQ_TRENDS, height=460)),
            section(
                "Feature drift",
                when_seen(
                    html.Div(
                        [
                            dbc.Row(
                                [
                                    _picker(
                                        "Current window",
                                        ids.DQ_CURRENT_DATES,
                                        "Empty: the selected time range.",
                                    ),
                                    _picker(
                                        "Reference window",
                                        ids.DQ_REFERENCE_DATES,
                                        "Empty: the period of equal length before the current one.",
                                    ),
                                    dbc.Col(loading(html.Div(id=ids.DQ_WINDOWS)), className="pt-4"),
                                ],
                                className="g-4 mb-3",
                            ),
                            html.Div(id=ids.DQ_DRIFT_VERDICT),
                            loading(
                                data_grid(
                                    ids.DQ_DRIFT_TABLE,
                                    DRIFT_COLUMNS,
                                    height=330,
                                    export_name="feature-drift",
                                    selectable=True,
                                )
                            ),
                            dbc.Row(
                                [
                                    dbc.Col(chart(ids.DQ_DISTRIBUTION, height=380), lg=8),
                                    dbc.Col(drift_method_note(), lg=4),
                                ],
                                className="g-3 mt-1",
                            ),
                        ]
                    ),
                    ids.DQ_DRIFT_VIEW,
                ),
                extra=export_button(ids.DQ_DRIFT_EXPORT),
            ),
        ]
    )
