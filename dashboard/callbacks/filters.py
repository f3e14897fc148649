"""The global filters as callback inputs, checked before anything reaches the query layer."""

from __future__ import annotations

import pandas as pd
from dash import Input
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import format as fmt
from dashboard.data.queries import TREND_BUCKETS
from dashboard.domain import model_label, range_label, validate_model, validate_range


def filter_inputs(prefix: str) -> list[Input]:
    """What every data callback of a page takes first: the time range, model type and live
    refresh tick that page shows (they change only while it shows: callbacks/router.py)."""
    return [Input(ids.page_filter(prefix, name), "data") for name in ids.PAGE_FILTERS]


def checked_filters(range_key: object, model: object) -> tuple[str, str]:
    """The filters if both are allowed values; otherwise no update (forged or stale input)."""
    try:
        return validate_range(range_key), validate_model(model)
    except ValueError:
        raise PreventUpdate from None


def checked_model(model: object) -> str:
    """The model type if allowed; otherwise no update (for a view of every time range)."""
    try:
        return validate_model(model)
    except ValueError:
        raise PreventUpdate from None


def scope(range_key: str, model: str) -> str:
    """'All Models · Last 30 Days': the population and period a figure measures."""
    return f"{model_label(model)} · {range_label(range_key)}"


def per_bucket(range_key: str) -> str:
    """'per day': the time bucket of the range's trend charts."""
    return "per " + fmt.period(pd.Timedelta(TREND_BUCKETS[range_key]))
