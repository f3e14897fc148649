"""Data Quality callbacks: indicator cards and trends, and feature drift between two windows."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard import ids
from dashboard.analysis.quality import (
    Threshold,
    composite_score,
    quality_thresholds,
)
from dashboard.callbacks.filters import checked_filters, filter_inputs, scope
from dashboard.callbacks.grid_export import register_export
from dashboard.callbacks.guard import page_callback, page_callback_when_seen
from dashboard.callbacks.views import memoised_view
from dashboard.components import format as fmt
from dashboard.components.drift import (
    DRIFTED,
    TEST_NAMES,
    distribution_figure,
    drift_message,
    drift_rows,
    drift_verdict,
    empty_distribution,
    windows_summary,
)
from dashboard.components.quality import (
    TREND_TITLE,
    indicator_cards,
    quality_trend_figure,
    unavailable_cards,
)
from dashboard.components.theme import empty_figure
from dashboard.data import quality as quality_data
from dashboard.data import queries
from dashboard.data.filters import Window
from dashboard.data.sources import MissingTable
from dashboard.domain import ALL_MODELS, TIME_RANGES, model_label, range_label


def configured_thresholds() -> dict[str, Threshold]:
    """The thresholds in force: the defaults with the app's QUALITY_THRESHOLDS on top."""
    return quality_thresholds(current_app.config.get("QUALITY_THRESHOLDS"))


def quality(range_key: object, model: object, _tick: object = None):
    """The eight indicator cards and their daily trends, with statuses against thresholds."""
    range_key, model = checked_filters(range_key, model)
    return _quality_view(range_key, model)


@memoised_view
def _quality_view(range_key: str, model: str):
    thresholds = configured_thresholds()
    try:
        summary = quality_data.quality_summary(range_key, model, thresholds)
        daily = quality_data.quality_daily(range_key, model)
    except MissingTable as missing:
        message = f"No data-quality indicators: {missing.hint}"
        return unavailable_cards(message), empty_figure(TREND_TITLE, message, height=460)
    length = TIME_RANGES[range_key][1]
    compared_with = (
        "the previous period"
        if length is None
        else f"the previous {TIME_RANGES[range_key][0].removeprefix('Last ').lower()}"
    )
    days = f"{len(daily):,} day{'' if len(daily) == 1 else 's'}"
    population = (
        "Daily, model types weighted by their training samples (freshness: the oldest)"
        if model == ALL_MODELS
        else "Daily values"
    )
    subtitle = f"{population} · {scope(range_key, model)} · {days}"
    cards = indicator_cards(
        summary, compared_with, thresholds, composite_score(summary["current"]), model == ALL_MODELS
    )
    return cards, quality_trend_figure(daily, subtitle, thresholds)


@dataclass(frozen=True)
class DriftWindows:
    """The two windows compared, and how to name them on screen."""

    current: Window
    reference: Window
    current_label: str
    reference_label: str


def _chosen(dates: tuple[object, object], name: str) -> Window | None:
    """The window of two picked dates, None when both are empty; ValueError otherwise."""
    start, end = dates
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise ValueError(f"Choose both a start and an end date for the {name} window.")
    try:
        return quality_data.day_window(start, end)
    except ValueError as error:
        raise ValueError(f"{name.capitalize()} window: {error}.") from None


def drift_windows(
    range_key: str, current_dates: tuple[object, object], reference_dates: tuple[object, object]
) -> DriftWindows:
    """Current: the chosen dates, else the time range. Reference: the chosen dates, else the
    period of equal length before the current window. ValueError says what is missing."""
    current = _chosen(current_dates, "current")
    current_label = "chosen dates"
    if current is None:
        current, current_label = queries.window(range_key), range_label(range_key)
    reference = _chosen(reference_dates, "reference")
    reference_label = "chosen dates"
    if reference is None:
        reference = current.previous()
        if reference is None:
            raise ValueError(
                "All Time has no previous period to compare with: choose a reference window "
                "(or a shorter time range)."
            )
        reference_label = f"the {fmt.period(current.length)} before"
    return DriftWindows(current, reference, current_label, reference_label)


def drift(
    range_key: object,
    model: object,
    _tick: object,
    current_start: object = None,
    current_end: object = None,
    reference_start: object = None,
    reference_end: object = None,
):
    """Which windows are compared, the verdict, and a row per feature."""
    range_key, model = checked_filters(range_key, model)
    try:
        windows = drift_windows(
            range_key, (current_start, current_end), (reference_start, reference_end)
        )
    except ValueError as error:
        return None, drift_message(str(error), "info"), []
    try:
        report = quality_data.drift_report(model, windows.current, windows.reference)
    except MissingTable as missing:
        return None, drift_message(f"No feature samples to test: {missing.hint}", "info"), []
    summary = windows_summary(
        model_label(model),
        windows.current_label,
        report.current_days,
        windows.reference_label,
        report.reference_days,
        report.overlap,
    )
    empty = [
        name
        for name, days in (("current", report.current_days), ("reference", report.reference_days))
        if days is None
    ]
    if empty:
        return (
            summary,
            drift_message(
                f"No feature samples of {model_label(model)} in the {' or the '.join(empty)} "
                "window: choose other dates.",
                "info",
            ),
            [],
        )
    rows = drift_rows(report.features)
    drifted = [row["feature"] for row in rows if row["verdict"] == DRIFTED]
    by_p_value = report.features["p_value"].notna() & report.features["drifted"].eq(True)
    return summary, drift_verdict(report.dataset, drifted, bool(by_p_value.any())), rows


def _chosen_feature(selected: object, rows: object) -> str | None:
    """The selected row's feature, else the table's first; PreventUpdate for forged values."""
    if selected is not None and not isinstance(selected, list):
        raise PreventUpdate
    chosen = selected[0] if selected else None
    if chosen is None and isinstance(rows, list) and rows:
        chosen = rows[0]
    if chosen is None:
        return None
    feature = chosen.get("feature") if isinstance(chosen, dict) else None
    if not isinstance(feature, str) or feature not in quality_data.features():
        raise PreventUpdate
    return feature


def _verdict_text(row: pd.Series) -> str:
    if pd.isna(row["drifted"]):
        return "Not tested"
    word = "Drifted" if row["drifted"] else "No drift"
    test = TEST_NAMES[row["test"]]
    if pd.isna(row["p_value"]):
        return f"{word} ({test} {row['statistic']:.3f})"
    return f"{word} ({test} p = {row['p_value']:.3g})"


def distribution(
    selected: object,
    rows: object,
    range_key: object,
    model: object,
    current_start: object = None,
    current_end: object = None,
    reference_start: object = None,
    reference_end: object = None,
):
    """The selected feature's reference and current distributions, overlaid."""
    range_key, model = checked_filters(range_key, model)
    try:
        feature = _chosen_feature(selected, rows)
        if feature is None:
            return empty_distribution("No feature to show for these windows")
        windows = drift_windows(
            range_key, (current_start, current_end), (reference_start, reference_end)
        )
        shares = quality_data.feature_distribution(
            model, feature, windows.current, windows.reference
        )
    except MissingTable as missing:
        return empty_distribution(f"No feature samples: {missing.hint}")
    except ValueError as error:
        return empty_distribution(str(error))
    report = quality_data.drift_report(model, windows.current, windows.reference)
    row = report.features.set_index("feature").loc[feature]
    subtitle = (
        f"{_verdict_text(row)} · {model_label(model)} · share of samples per bin<br>reference "
        f"{fmt.date(report.reference_days[0])} → {fmt.date(report.reference_days[1])}, current "
        f"{fmt.date(report.current_days[0])} → {fmt.date(report.current_days[1])}"
    )
    return distribution_figure(feature, shares, subtitle)


def picker_bounds(_tick: object = None):
    """Both date pickers offer the days that have feature samples, opening on the last."""
    dates = quality_data.sample_dates()
    if dates is None:
        raise PreventUpdate
    first, last = fmt.date(dates[0]), fmt.date(dates[1])
    return first, last, last, first, last, last


def register(app: Dash) -> None:
    # A bad DASHBOARD_QUALITY_THRESHOLDS stops the app at start, not at the first request.
    quality_thresholds(app.server.config.get("QUALITY_THRESHOLDS"))
    page_callback(
        app,
        Output(ids.DQ_INDICATORS, "children"),
        Output(ids.DQ_TRENDS, "figure"),
        *filter_inputs(ids.DATA_QUALITY),
    )(quality)
    pickers = [
        (picker, prop)
        for picker in (ids.DQ_CURRENT_DATES, ids.DQ_REFERENCE_DATES)
        for prop in ("start_date", "end_date")
    ]
    page_callback_when_seen(
        app,
        ids.DQ_DRIFT_VIEW,
        Output(ids.DQ_WINDOWS, "children"),
        Output(ids.DQ_DRIFT_VERDICT, "children"),
        Output(ids.DQ_DRIFT_TABLE, "rowData"),
        *filter_inputs(ids.DATA_QUALITY),
        *(Input(picker, prop) for picker, prop in pickers),
    )(drift)
    page_callback(
        app,
        Output(ids.DQ_DISTRIBUTION, "figure"),
        Input(ids.DQ_DRIFT_TABLE, "selectedRows"),
        Input(ids.DQ_DRIFT_TABLE, "rowData"),
        State(ids.page_filter(ids.DATA_QUALITY, "range"), "data"),
        State(ids.page_filter(ids.DATA_QUALITY, "model"), "data"),
        *(State(picker, prop) for picker, prop in pickers),
    )(distribution)
    page_callback(
        app,
        *(
            Output(picker, prop)
            for picker in (ids.DQ_CURRENT_DATES, ids.DQ_REFERENCE_DATES)
            for prop in ("min_date_allowed", "max_date_allowed", "initial_visible_month")
        ),
        Input(ids.REFRESH, "n_intervals"),
    )(picker_bounds)
    register_export(app, ids.DQ_DRIFT_EXPORT, ids.DQ_DRIFT_TABLE)
