"""Training: accuracy and loss over sessions, training time, sessions table, drill-down."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.layout import chart, loading, page_header, section, when_seen
from dashboard.components.tables import SESSION_GRID_COLUMNS, data_grid, export_button

dash.register_page(
    __name__,
    path="/training",
    name="Training",
    title="Training · AI Model Training",
    order=1,
    prefix=ids.TRAINING,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Training",
                "Every training session of the triage models: how well it "
                "learned, how long it took, and how it ended.",
            ),
            loading(html.Div(id=ids.TR_KPIS, className="kpi-grid")),
            html.Div(id=ids.TR_LIVE, className="mt-3"),
            dbc.Row(
                [dbc.Col(chart(ids.TR_ACCURACY), lg=6), dbc.Col(chart(ids.TR_LOSS), lg=6)],
                className="g-3 mt-1",
            ),
            dbc.Row(
                dbc.Col(when_seen(chart(ids.TR_DURATION, height=300), ids.TR_DURATION_VIEW)),
                className="g-3 mt-1",
            ),
            section(
                "Sessions",
                loading(
                    data_grid(
                        ids.TR_SESSIONS,
                        SESSION_GRID_COLUMNS,
                        height=420,
                        export_name="training-sessions",
                        selectable=True,
                        page_size=12,
                        infinite=True,
                    )
                ),
                extra=export_button(ids.TR_SESSIONS_EXPORT),
            ),
            dcc.Store(id=ids.TR_SESSIONS_SHOWN),
            dcc.Store(id=ids.TR_ACCURACY_ZOOM),
            dcc.Store(id=ids.TR_LOSS_ZOOM),
            dcc.Download(id=ids.TR_SESSIONS_DOWNLOAD),
            section(
                "Session drill-down",
                when_seen(
                    html.Div(
                        [
                            html.P(
                                "Select a session in the table to see its learning curves and GPU.",
                                id=ids.TR_DETAIL_TITLE,
                                className="text-secondary",
                            ),
                            dbc.Row(
                                [
                                    dbc.Col(chart(ids.TR_DETAIL_CURVES, height=320), lg=7),
                                    dbc.Col(chart(ids.TR_DETAIL_GPU, height=320), lg=5),
                                ],
                                className="g-3",
                            ),
                        ],
                        id=ids.TR_DETAIL,
                    ),
                    ids.TR_DETAIL_VIEW,
                ),
            ),
        ]
    )
