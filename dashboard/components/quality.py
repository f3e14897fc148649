"""Data-quality indicators: their labels, units, direction, cards and trend chart."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.components import format as fmt
from dashboard.components.kpi import change_tone, kpi_card
from dashboard.components.theme import SERIES, empty_figure, titled

# indicator -> (label, lower is better); freshness is in days, the rest are fractions.
INDICATORS: dict[str, tuple[str, bool]] = {
    "quality_score": ("Data quality score", False),
    "label_accuracy": ("Label accuracy", False),
    "completeness": ("Data completeness", False),
    "feature_coverage": ("Feature coverage", False),
    "freshness_days": ("Data freshness", True),
    "outlier_detection": ("Outlier detection", False),
    "diversity": ("Data diversity", False),
    "class_balance": ("Class balance", False),
}


def _value(indicator: str, value: float) -> str:
    return fmt.days(value) if indicator == "freshness_days" else fmt.percent(value)


def _change(indicator: str, change: float) -> str:
    if indicator == "freshness_days":
        return fmt.days(change, signed=True)
    return fmt.points(change)


def indicator_cards(summary: pd.DataFrame, compared_with: str) -> list:
    """A card per indicator: the range's mean and its change against the previous period."""
    cards = []
    for indicator, (label, lower_is_better) in INDICATORS.items():
        current, change = summary.loc[indicator, "current"], summary.loc[indicator, "change"]
        detail = (
            f"{_change(indicator, change)} vs {compared_with}"
            if not math.isnan(change)
            else "No previous period to compare with"
        )
        cards.append(
            kpi_card(
                label,
                _value(indicator, current),
                detail,
                tone=change_tone(change, lower_is_better),
                icon="bi-clipboard-check",
            )
        )
    return cards


def quality_trend_figure(daily: pd.DataFrame, subtitle: str) -> go.Figure:
    """Small multiples: one daily line per indicator."""
    title = "Data-quality indicators per day"
    if daily.empty:
        return empty_figure(title, "No data-quality measurements in this range", height=460)
    figure = make_subplots(
        rows=2,
        cols=4,
        shared_xaxes=True,
        vertical_spacing=0.16,
        horizontal_spacing=0.05,
        subplot_titles=[label for label, _ in INDICATORS.values()],
    )
    for index, indicator in enumerate(INDICATORS):
        row, col = divmod(index, 4)
        factor, unit = (1, " days") if indicator == "freshness_days" else (100, "%")
        figure.add_trace(
            go.Scatter(
                x=daily["date"],
                y=daily[indicator] * factor,
                mode="lines",
                name=INDICATORS[indicator][0],
                line={"color": SERIES[index % len(SERIES)], "width": 1.8},
                hovertemplate=f"%{{x|%Y-%m-%d}}<br>%{{y:.1f}}{unit}<extra></extra>",
            ),
            row=row + 1,
            col=col + 1,
        )
    figure.update_layout(showlegend=False)
    figure.update_annotations(font={"size": 12})
    return titled(figure, title, subtitle, height=460)
