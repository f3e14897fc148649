"""Charts of live SOC alert KPIs: automation, false positives, response time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import figures
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
    layout = figures.grid_layout(
        1,
        3,
        tuple(f"{label} ({unit})" for label, unit, _ in SOC_KPIS.values()),
        title_size=12,
        horizontal_spacing=0.07,
    )
    traces = [
        {
            "type": "scatter",
            "x": figures.times(trends["bucket"]),
            "y": (trends[column] * factor).to_numpy(),
            "name": label,
            "mode": "lines",
            "line": {"color": SERIES[index], "width": 2},
            "customdata": trends["alerts"].to_numpy(),
            "hovertemplate": f"%{{x}}<br>{label}: %{{y:.1f}} {unit}<br>%{{customdata:,}} alerts"
            "<extra></extra>",
            **figures.subplot(index),
        }
        for index, (column, (label, unit, factor)) in enumerate(SOC_KPIS.items())
    ]
    layout["showlegend"] = False
    return titled(figures.from_dicts(traces, layout), title, subtitle, height=300)


def version_trend_figure(trends: pd.DataFrame, kpi: str, subtitle: str) -> go.Figure:
    """One KPI per time bucket, a line per model version (its incremental learning)."""
    label, unit, factor = SOC_KPIS[kpi]
    title = f"{label} by model version, live alerts"
    if trends.empty:
        return empty_figure(title, "No alerts in this range for this model type")
    traces = [
        {
            "type": "scatter",
            "x": figures.times(rows["bucket"]),
            "y": (rows[kpi] * factor).to_numpy(),
            "name": str(version),
            "mode": "lines",
            "customdata": rows["alerts"].to_numpy(),
            "hovertemplate": f"{version}<br>%{{x}}<br>{label}: %{{y:.1f}} {unit}<br>"
            "%{customdata:,} alerts<extra></extra>",
        }
        for version, rows in trends.groupby("model_version", sort=False, observed=True)
    ]
    layout = {"yaxis": {"title": {"text": f"{label} ({unit})"}}}
    return titled(figures.from_dicts(traces, layout), title, subtitle, room={"b": 78})
