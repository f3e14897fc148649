"""A/B Testing callbacks: the version table and per-version live trends."""

from __future__ import annotations

from dash import Dash, Input, Output
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.filters import FILTER_INPUTS, checked_filters, per_bucket, scope
from dashboard.callbacks.grid_export import register_export
from dashboard.components.soc_charts import SOC_KPIS, version_trend_figure
from dashboard.components.tables import version_rows
from dashboard.data import queries


def version_table(range_key: object, model: object, _tick: object = None) -> list[dict]:
    _range_key, model = checked_filters(range_key, model)
    return version_rows(queries.version_table(model))


def version_trends(range_key: object, model: object, _tick: object, kpi: object):
    range_key, model = checked_filters(range_key, model)
    if not isinstance(kpi, str) or kpi not in SOC_KPIS:
        raise PreventUpdate
    trends = queries.version_trends(range_key, model)
    subtitle = f"Live alerts · {scope(range_key, model)} · {per_bucket(range_key)}"
    return version_trend_figure(trends, kpi, subtitle)


def register(app: Dash) -> None:
    app.callback(Output(ids.AB_VERSIONS, "rowData"), *FILTER_INPUTS)(version_table)
    app.callback(
        Output(ids.AB_TRENDS, "figure"), *FILTER_INPUTS, Input(ids.AB_TREND_METRIC, "value")
    )(version_trends)
    register_export(app, ids.AB_VERSIONS_EXPORT, ids.AB_VERSIONS)
