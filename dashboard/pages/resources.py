"""Resources: GPU utilisation and memory, per GPU and by session."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.layout import chart, loading, page_header, section, when_seen
from dashboard.components.tables import RESOURCE_SESSION_GRID_COLUMNS, data_grid, export_button

dash.register_page(
    __name__,
    path="/resources",
    name="Resources",
    title="Resources · AI Model Training",
    order=4,
    prefix=ids.RESOURCES,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_header(
                "Resources",
                "What the training GPUs and hosts are doing: utilisation, "
                "memory, idle time, and each session's footprint.",
            ),
            loading(html.Div(id=ids.RS_KPIS, className="kpi-grid")),
            dbc.Row(
                [dbc.Col(chart(ids.RS_UTILISATION), lg=6), dbc.Col(chart(ids.RS_MEMORY), lg=6)],
                className="g-3 mt-1",
            ),
            dbc.Row(
                dbc.Col(when_seen(chart(ids.RS_HEATMAP, height=300), ids.RS_HEATMAP_VIEW)),
                className="g-3 mt-1",
            ),
            section(
                "By session",
                loading(
                    data_grid(
                        ids.RS_SESSIONS,
                        RESOURCE_SESSION_GRID_COLUMNS,
                        height=400,
                        export_name="session-resources",
                        page_size=12,
                        infinite=True,
                    )
                ),
                extra=export_button(ids.RS_SESSIONS_EXPORT),
            ),
            dcc.Store(id=ids.RS_WIDTH),
            dcc.Store(id=ids.RS_UTILISATION_ZOOM),
            dcc.Store(id=ids.RS_MEMORY_ZOOM),
            dcc.Store(id=ids.RS_SESSIONS_SHOWN),
            dcc.Download(id=ids.RS_SESSIONS_DOWNLOAD),
        ]
    )
