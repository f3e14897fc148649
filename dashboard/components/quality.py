"""Data-quality indicators: labels, status badges, cards, the weights note and trend chart."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.analysis.quality import (
    COMPOSITE_WEIGHTS,
    FAILING,
    LOWER_IS_BETTER,
    NO_DATA,
    OK,
    WARNING,
    Threshold,
)
from dashboard.components import figures
from dashboard.components import format as fmt
from dashboard.components.kpi import TONES, change_tone
from dashboard.components.theme import BAD, GOOD, MUTED, SERIES, empty_figure, titled

INDICATORS: dict[str, str] = {
    "quality_score": "Data quality score",
    "label_accuracy": "Label accuracy",
    "completeness": "Data completeness",
    "feature_coverage": "Feature coverage",
    "freshness_days": "Data freshness",
    "outlier_detection": "Outlier detection",
    "diversity": "Data diversity",
    "class_balance": "Class balance",
}
WARNING_COLOUR = "#f59e0b"
# Up to this many days, the trend lines also mark each day.
FEW_DAYS = 7
TREND_TITLE = "Data-quality indicators per day"
# status -> (badge text, Bootstrap colour, colour of the card's edge and of threshold lines)
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    OK: ("OK", "success", GOOD),
    WARNING: ("Warning", "warning", WARNING_COLOUR),
    FAILING: ("Failing", "danger", BAD),
    NO_DATA: ("No data", "secondary", MUTED),
}


def _value(indicator: str, value: float) -> str:
    return fmt.days(value) if indicator == "freshness_days" else fmt.percent(value)


def _change(indicator: str, change: float) -> str:
    if indicator == "freshness_days":
        return fmt.days(change, signed=True)
    return fmt.points(change)


def threshold_value(indicator: str, value: float) -> str:
    """A threshold as set: '88%', '92.5%', '4 days'."""
    if indicator == "freshness_days":
        return fmt.days(value, digits=0 if float(value).is_integer() else 1)
    whole = math.isclose(value * 100, round(value * 100), abs_tol=1e-9)
    return fmt.percent(value, digits=0 if whole else 1)


def threshold_text(indicator: str, threshold: Threshold) -> str:
    """'Warning < 88% · failing < 85%' ('>' for freshness, which is better when lower)."""
    side = ">" if threshold.lower_is_better else "<"
    return (
        f"Warning {side} {threshold_value(indicator, threshold.warning)} · failing {side} "
        f"{threshold_value(indicator, threshold.failing)}"
    )


def status_badge(status: str) -> dbc.Badge:
    text, colour, _ = STATUS_LOOK[status]
    return dbc.Badge(
        text,
        color=colour,
        text_color="dark" if status == WARNING else None,
        className="ms-2 align-middle",
        style={"fontSize": ".72rem", "letterSpacing": ".03em"},
    )


def _flagged_text(days_below: int, days: int, all_models: bool) -> tuple[str, str]:
    """'4 of 90 days past a threshold (some model type)' and its tone, or a clean-days line."""
    if days == 0:
        return "No days measured", "neutral"
    if days_below == 0:
        text = (
            "The day is within thresholds" if days == 1 else f"All {days:,} days within thresholds"
        )
        return text, "neutral"
    text = f"{days_below:,} of {days:,} day{'' if days == 1 else 's'} past a threshold"
    return (f"{text} (in some model type)" if all_models else text), "bad"


def _whole(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _status_text(row: pd.Series, all_models: bool) -> str | None:
    """Which model type the status is judged on, and when: the worst one on the latest day."""
    worst = row.get("worst_model_type")
    if not all_models or worst is None or (isinstance(worst, float) and math.isnan(worst)):
        return None
    if row.get("status") not in (WARNING, FAILING):
        return "Status: every model type within thresholds on the latest day"
    return f"Status: {str(worst).replace('_', ' ').title()}, the worst on the latest day"


def _change_tone(indicator: str, change: float) -> str:
    # A change that rounds to zero on screen (0.0 days, 0.0 pts) is shown as no change.
    negligible = 0.05 if indicator == "freshness_days" else 0.0005
    return change_tone(change, indicator in LOWER_IS_BETTER, negligible)


def indicator_card(
    indicator: str,
    row: pd.Series,
    threshold: Threshold,
    compared_with: str,
    all_models: bool,
    extra: str | None = None,
) -> dbc.Card:
    """One indicator: the range's mean with the status of its latest day (the worst model
    type's), the change, thresholds, and the days some model type was past a threshold."""
    status = row.get("status")
    status = status if isinstance(status, str) else NO_DATA
    change = row["change"]
    detail = (
        f"{_change(indicator, change)} vs {compared_with}"
        if not math.isnan(change)
        else "No previous period to compare with"
    )
    flagged, flagged_tone = _flagged_text(
        _whole(row.get("days_below")), _whole(row.get("days")), all_models
    )
    lines = [
        html.Div(
            [html.I(className="bi bi-clipboard-check me-2"), INDICATORS[indicator]],
            className="kpi-label",
        ),
        html.Div(
            [html.Span(_value(indicator, row["current"])), status_badge(status)],
            className="kpi-value",
        ),
        html.Div(
            detail,
            className=f"kpi-detail {TONES[_change_tone(indicator, change)]}",
        ),
        html.Div(threshold_text(indicator, threshold), className="kpi-detail text-secondary"),
        html.Div(flagged, className=f"kpi-detail {TONES[flagged_tone]}"),
    ]
    judged_on = _status_text(row, all_models)
    if judged_on:
        lines.append(html.Div(judged_on, className="kpi-detail text-secondary"))
    if extra:
        lines.append(html.Div(extra, className="kpi-detail text-secondary"))
    edge = STATUS_LOOK[status][2] if status in (WARNING, FAILING) else "var(--bs-border-color)"
    return dbc.Card(
        dbc.CardBody(lines),
        className="kpi-card h-100",
        style={"borderLeft": f"4px solid {edge}"},
    )


def indicator_cards(
    summary: pd.DataFrame,
    compared_with: str,
    thresholds: Mapping[str, Threshold],
    composite: float,
    all_models: bool,
) -> list[dbc.Card]:
    """A column per indicator holding its card (four to a row on wide screens): the range's
    mean, status and change; the quality score's card also shows the composite."""
    return [
        dbc.Col(
            indicator_card(
                indicator,
                summary.loc[indicator],
                thresholds[indicator],
                compared_with,
                all_models,
                extra=f"Composite of the indicators*: {fmt.percent(composite)}"
                if indicator == "quality_score"
                else None,
            ),
            xs=12,
            md=6,
            xl=3,
        )
        for indicator in INDICATORS
    ]


def unavailable_cards(message: str) -> list[dbc.Col]:
    """In place of the cards when there is nothing to measure, saying why."""
    return [dbc.Col(dbc.Alert(message, color="info", className="mb-0"), xs=12)]


def _weights_text() -> str:
    weights = {
        INDICATORS[name].lower(): Fraction(w).limit_denominator(100)
        for name, w in COMPOSITE_WEIGHTS.items()
    }
    names = list(weights)
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    if len(set(weights.values())) == 1:
        return f"{listed}, weighted equally ({next(iter(weights.values()))} each)"
    return ", ".join(f"{name} {weight}" for name, weight in weights.items())


def score_note() -> html.Div:
    """How the quality score relates to the other indicators, and what the statuses mean."""
    return html.Div(
        [
            html.Div(
                "Data quality score: as reported by the training-data pipeline, which does not "
                "publish how it weighs its parts. * Composite: the dashboard's own score, of "
                f"{_weights_text()}; freshness, in days, is judged by its own thresholds."
            ),
            html.Div(
                "Status: the latest day of the range against the indicator's warning and "
                "failing thresholds, for its worst model type (one failing model type is never "
                "averaged away); the days counted are those on which some model type crossed "
                "one of them. The value shown is the range's mean."
            ),
        ],
        className="text-secondary small mt-2",
    )


def quality_trend_figure(
    daily: pd.DataFrame, subtitle: str, thresholds: Mapping[str, Threshold]
) -> go.Figure:
    """Small multiples: one daily line per indicator, with its warning and failing lines."""
    title = TREND_TITLE
    if daily.empty:
        return empty_figure(title, "No data-quality measurements in this range", height=460)
    layout = figures.grid_layout(
        2,
        4,
        tuple(INDICATORS.values()),
        title_size=12,
        shared_xaxes=True,
        vertical_spacing=0.16,
        horizontal_spacing=0.05,
    )
    traces: list[dict] = []
    shapes: list[dict] = []
    for index, indicator in enumerate(INDICATORS):
        factor, unit = (1, " days") if indicator == "freshness_days" else (100, "%")
        traces.append(
            {
                "type": "scatter",
                "x": figures.times(daily["date"]),
                "y": (daily[indicator] * factor).to_numpy(),
                "mode": "lines" if len(daily) > FEW_DAYS else "lines+markers",
                "name": INDICATORS[indicator],
                "line": {"color": SERIES[index % len(SERIES)], "width": 1.8},
                "hovertemplate": f"%{{x|%Y-%m-%d}}<br>%{{y:.1f}}{unit}<extra></extra>",
                **figures.subplot(index),
            }
        )
        # Each threshold spans its subplot's width.
        threshold = thresholds[indicator]
        for level, dash, status in (
            (threshold.warning, "dash", WARNING),
            (threshold.failing, "dot", FAILING),
        ):
            line = {"color": STATUS_LOOK[status][2], "width": 1, "dash": dash}
            shapes.append({**figures.horizontal_line(level * factor, line, index), "opacity": 0.8})
    layout.update(shapes=shapes, showlegend=False)
    if len(daily) == 1:
        # One day has no extent of its own; show it in the middle of three.
        day = daily["date"].iloc[0]
        figures.update_axes(
            layout,
            "x",
            range=[day - pd.Timedelta(days=1), day + pd.Timedelta(days=1)],
            dtick=pd.Timedelta(days=1).total_seconds() * 1000,
            tickformat="%b %d",
        )
    return titled(
        figures.from_dicts(traces, layout),
        title,
        f"{subtitle} · dashed: warning threshold · dotted: failing threshold",
        height=460,
    )
