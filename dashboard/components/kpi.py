"""KPI cards: a label, a big value, and a line of context (change, period, population)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

TONES = {
    "good": "text-success",
    "bad": "text-danger",
    "neutral": "text-secondary",
    "info": "text-info",
}


def kpi_card(
    label: str,
    value: str,
    detail: str = "",
    tone: str = "neutral",
    icon: str = "bi-graph-up",
    card_id: str | None = None,
) -> dbc.Card:
    """One KPI. `tone` colours the detail line (good, bad, neutral, info)."""
    body = [
        html.Div([html.I(className=f"bi {icon} me-2"), label], className="kpi-label"),
        html.Div(value, className="kpi-value"),
        html.Div(detail, className=f"kpi-detail {TONES.get(tone, TONES['neutral'])}"),
    ]
    props = {"id": card_id} if card_id else {}
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100", **props)


def kpi_row(cards: list[dbc.Card]) -> dbc.Row:
    return dbc.Row(
        [dbc.Col(card, xs=12, sm=6, xl=12 // max(len(cards), 1) or 3) for card in cards],
        className="g-3",
    )


def change_tone(
    change: float | None, lower_is_better: bool = False, negligible: float = 0.0
) -> str:
    """'good' when the change goes the right way, 'bad' when the wrong way; 'neutral' when it
    is no larger than `negligible` (what rounds to zero on screen)."""
    if change is None or change != change or abs(change) <= negligible:
        return "neutral"
    return "good" if (change < 0) == lower_is_better else "bad"
