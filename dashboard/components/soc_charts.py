"""Charts of live SOC alert KPIs: automation, false positives, response time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.components.theme import SERIES, empty_figure, titled

# KPI column -> (label, unit on screen, multiply by)
SOC_KPIS = {
    "automation_rate": ("Automation rate", "%", 100.0),
    "false_positive_rate": ("False-positive rate", "%", 100.0),
    "response_min": ("Mean response time", "min", 1.0),
}


def impact_figure(trends: pd.DataFrame, subtitle: str) -> go.Figure:
    """Three small multiples of the SOC KPIs per time bucket (`trends` from alert_trends)."""
    title = "SOC impact of the triage models"
    if trends.empty:
        return empty_figure(title, "No alerts in this range for this model type")
    figure = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.07,
        subplot_titles=[f"{label} ({unit})" for label, unit, _ in SOC_KPIS.values()],
    )
    for column, (label, unit, factor) in SOC_KPIS.items():
        col = list(SOC_KPIS).index(column) + 1
        figure.add_trace(
            go.Scatter(
                x=trends["bucket"],
                y=trends[column] * factor,
                name=label,
                mode="lines",
                line={"color": SERIES[col - 1], "width": 2},
                customdata=trends["alerts"],
                hovertemplate=f"%{{x}}<br>{label}: %{{y:.1f}} {unit}<br>%{{customdata:,}} alerts"
                "<extra></extra>",
            ),
            row=1,
            col=col,
        )
    figure.update_layout(showlegend=False)
    figure.update_annotations(font={"size": 12})
    return titled(figure, title, subtitle, height=300)


def version_trend_figure(trends: pd.DataFrame, kpi: str, subtitle: str) -> go.Figure:
    """One KPI per time bucket, a line per model version (its incremental learning)."""
    label, unit, factor = SOC_KPIS[kpi]
    title = f"{label} by model version, live alerts"
    if trends.empty:
        return empty_figure(title, "No alerts in this range for this model type")
    figure = go.Figure()
    for version, rows in trends.groupby("model_version", sort=False, observed=True):
        figure.add_trace(
            go.Scatter(
                x=rows["bucket"],
                y=rows[kpi] * factor,
                name=str(version),
                mode="lines",
                customdata=rows["alerts"],
                hovertemplate=f"{version}<br>%{{x}}<br>{label}: %{{y:.1f}} {unit}<br>"
                "%{customdata:,} alerts<extra></extra>",
            )
        )
    figure.update_yaxes(title_text=f"{label} ({unit})")
    return titled(figure, title, subtitle, room={"b": 78})
