"""Data Quality callbacks: indicator cards and trends for the filters."""

from __future__ import annotations

from dash import Dash, Output

from dashboard import ids
from dashboard.callbacks.filters import FILTER_INPUTS, checked_filters, scope
from dashboard.components.quality import indicator_cards, quality_trend_figure
from dashboard.data import queries
from dashboard.data.filters import TIME_RANGES


def quality(range_key: object, model: object, _tick: object = None):
    range_key, model = checked_filters(range_key, model)
    summary = queries.quality_summary(range_key, model)
    daily = queries.quality_daily(range_key, model)
    length = TIME_RANGES[range_key][1]
    compared_with = (
        "the previous period"
        if length is None
        else f"the previous {TIME_RANGES[range_key][0].removeprefix('Last ').lower()}"
    )
    subtitle = f"Daily mean over model types · {scope(range_key, model)} · {len(daily):,} days"
    return indicator_cards(summary, compared_with), quality_trend_figure(daily, subtitle)


def register(app: Dash) -> None:
    app.callback(
        Output(ids.DQ_INDICATORS, "children"), Output(ids.DQ_TRENDS, "figure"), *FILTER_INPUTS
    )(quality)
