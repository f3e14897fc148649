"""A page callback on a source that lacks its table answers with a message, not an error."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, no_update

from dashboard.callbacks.guard import missing_table_answers, page_callback
from dashboard.data.sources import MissingTable
from dashboard.errors import callback_failed

MISSING = MissingTable("alerts", "put alerts.parquet or alerts.csv in /srv/tables")


def test_the_first_text_output_names_the_table_and_how_to_provide_it():
    outputs = [
        Output("a", "children"),
        Output("b", "figure"),
        Output("c", "children"),
        Output("d", "rowData"),
        Output("e", "exportDataAsCsv"),
    ]
    alert, figure, second, rows, other = missing_table_answers(outputs, MISSING)
    assert isinstance(alert, dbc.Alert)
    assert "needs the alerts table: put alerts.parquet" in alert.children
    assert isinstance(figure, go.Figure)
    assert "alerts" in figure.layout.annotations[0].text
    assert second is None and rows == [] and other is no_update


class RecordingApp:
    def __init__(self):
        self.registered = None

    def callback(self, *dependencies, **options):
        self.options = options

        def keep(function):
            self.registered = function
            return function

        return keep


def test_page_callback_registers_a_guarded_function_and_returns_the_plain_one():
    def needs_alerts(_value):
        raise MISSING

    app = RecordingApp()
    plain = page_callback(app, Output("x", "children"), Input("y", "value"))(needs_alerts)
    assert plain is needs_alerts
    answer = app.registered("anything")
    assert isinstance(answer, dbc.Alert) and "alerts table" in answer.children
    # Any other exception is a server error, not a bad request.
    assert app.options["on_error"] is callback_failed
