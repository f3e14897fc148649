"""Feature drift: window pickers, the per-feature table, the verdict, and the distributions."""

from __future__ import annotations

import math
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.analysis.drift import (
    DATASET_DRIFT_SHARE,
    DISTANCE_THRESHOLD,
    FEW_UNIQUE_MAX,
    P_VALUE_THRESHOLD,
    PSI_MIN_SAMPLES,
    PSI_MODERATE,
    PSI_SIGNIFICANT,
    SMALL_REFERENCE_MAX,
)
from dashboard.components import format as fmt
from dashboard.components.theme import BAD, GOOD, MUTED, SERIES, empty_figure, titled

TEST_NAMES = {
    "ks": "Kolmogorov–Smirnov",
    "wasserstein": "Wasserstein (÷ ref. std)",
    "jensenshannon": "Jensen–Shannon distance",
    "chisquare": "Chi-square",
    "z": "Two-proportion z",
}
DRIFTED, STABLE, UNTESTED = "Drifted", "No drift", "Not tested"
BANDS = {"stable": "Stable", "moderate": "Moderate", "significant": "Significant"}
REFERENCE_COLOUR, CURRENT_COLOUR = MUTED, SERIES[0]
WARNING_COLOUR = "#f59e0b"


def _colour_rules(colours: dict[str, str]) -> dict[str, Any]:
    return {
        "cellStyle": {
            "styleConditions": [
                {
                    "condition": f"params.value === '{value}'",
                    "style": {"color": colour, "fontWeight": 600},
                }
                for value, colour in colours.items()
            ]
        }
    }


_NUMBER = "params.value == null ? '–' : d3.format('{}')(params.value)"

DRIFT_COLUMNS = [
    # Widths that fit a 1366 px screen; a long note wraps onto a second line.
    {"field": "feature", "headerName": "Feature", "width": 150, "minWidth": 145, "pinned": "left"},
    {
        "field": "verdict",
        "headerName": "Verdict",
        "minWidth": 95,
        **_colour_rules({DRIFTED: BAD, STABLE: GOOD}),
    },
    {"field": "test", "headerName": "Test", "minWidth": 190},
    {
        "field": "statistic",
        "headerName": "Statistic",
        "minWidth": 100,
        "type": "numericColumn",
        "valueFormatter": {"function": _NUMBER.format(".3f")},
    },
    {
        "field": "p_value",
        "headerName": "p-value",
        "minWidth": 90,
        "type": "numericColumn",
        "valueFormatter": {
            "function": "params.value == null ? '–' : "
            "(params.value < 0.001 ? '< 0.001' : d3.format('.3f')(params.value))"
        },
    },
    {"field": "drift_when", "headerName": "Drift when", "minWidth": 85},
    {
        "field": "psi",
        "headerName": "PSI",
        "minWidth": 75,
        "type": "numericColumn",
        "valueFormatter": {"function": _NUMBER.format(".3f")},
    },
    {
        "field": "band",
        "headerName": "PSI band",
        "minWidth": 105,
        **_colour_rules({"Significant": BAD, "Moderate": WARNING_COLOUR, "Stable": GOOD}),
    },
    {
        "field": "n_reference",
        "headerName": "n ref.",
        "headerTooltip": "Samples in the reference window",
        "minWidth": 75,
        "type": "numericColumn",
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
    },
    {
        "field": "n_current",
        "headerName": "n cur.",
        "headerTooltip": "Samples in the current window",
        "minWidth": 75,
        "type": "numericColumn",
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
    },
    {"field": "note", "headerName": "Note", "minWidth": 180, "wrapText": True, "autoHeight": True},
]


def window_picker(picker_id: str, start_text: str, end_text: str) -> dcc.DatePickerRange:
    """Whole UTC days, both ends included; cleared, the window falls back to its default."""
    return dcc.DatePickerRange(
        id=picker_id,
        start_date_placeholder_text=start_text,
        end_date_placeholder_text=end_text,
        clearable=True,
        updatemode="bothdates",
        minimum_nights=0,
        display_format="YYYY-MM-DD",
        first_day_of_week=1,
        style={"width": "19rem"},
    )


def _verdict(drifted: object) -> str:
    if drifted is None or (isinstance(drifted, float) and math.isnan(drifted)):
        return UNTESTED
    return DRIFTED if drifted else STABLE


def _drift_when(test: object, threshold: object) -> str:
    if not isinstance(test, str):
        return "–"
    if test == "ks":
        return f"p ≤ {threshold:g}"
    if test in ("chisquare", "z"):
        return f"p < {threshold:g}"
    return f"≥ {threshold:g}"


def _number(value: object, digits: int = 4) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def drift_rows(features: pd.DataFrame) -> list[dict]:
    """Grid rows, drifted features first, then by PSI (largest first)."""
    order = features.assign(
        _rank=features["drifted"].map({True: 0, False: 1}).fillna(2),
        _psi=features["psi"].astype(float).fillna(-1.0),
    ).sort_values(["_rank", "_psi"], ascending=[True, False])
    return [
        {
            "id": row["feature"],
            "feature": row["feature"],
            "verdict": _verdict(row["drifted"]),
            "test": TEST_NAMES.get(row["test"], "–"),
            "statistic": _number(row["statistic"]),
            "p_value": _number(row["p_value"], 6),
            "drift_when": _drift_when(row["test"], row["threshold"]),
            # Without a band the PSI is noise (too few samples): the note says so.
            "psi": _number(row["psi"]) if isinstance(row["band"], str) else None,
            "band": BANDS.get(row["band"], "–"),
            "n_reference": int(row["n_reference"]),
            "n_current": int(row["n_current"]),
            "note": row["note"],
        }
        for _, row in order.iterrows()
    ]


def _days_text(days: tuple[pd.Timestamp, pd.Timestamp] | None) -> str:
    if days is None:
        return "no samples"
    count = (days[1] - days[0]).days + 1
    return f"{fmt.date(days[0])} → {fmt.date(days[1])} ({count} day{'s' if count != 1 else ''})"


def windows_summary(
    population: str,
    current_label: str,
    current_days: tuple[pd.Timestamp, pd.Timestamp] | None,
    reference_label: str,
    reference_days: tuple[pd.Timestamp, pd.Timestamp] | None,
    overlap: bool = False,
) -> html.Div:
    """Which days each window holds, by the dates of the samples of `population` in it."""
    lines = [
        html.Div(
            [
                html.Span("Current window: ", className="fw-semibold"),
                f"{current_label} · {_days_text(current_days)}",
            ]
        ),
        html.Div(
            [
                html.Span("Reference window: ", className="fw-semibold"),
                f"{reference_label} · {_days_text(reference_days)}",
            ]
        ),
        html.Div(f"Feature samples of {population}, per model type and day."),
    ]
    if overlap:
        lines.append(
            html.Div(
                "The windows share days, which hides drift between them.",
                className="text-warning",
            )
        )
    return html.Div(lines, className="small text-secondary")


def drift_verdict(
    dataset: dict[str, Any] | None, drifted_features: list[str], by_p_value: bool = False
) -> dbc.Alert:
    """The data set's verdict in one sentence, naming the features that drifted.

    `by_p_value`: some feature was called drifted by a p-value test, which at p 0.05 flags
    about one stable feature in twenty by chance; the verdict then says so.
    """
    if dataset is None:
        return drift_message(
            "No feature has enough samples in both windows to be tested.", "secondary"
        )
    n, share, cut = dataset["n_features"], dataset["share"], dataset["drift_share"]
    if not drifted_features:
        return drift_message(f"No drift: none of the {n} features changed distribution.", "success")
    names = ", ".join(drifted_features)
    counted = f"{len(drifted_features)} of {n} features drifted ({share:.0%}): {names}."
    if dataset["drifted"]:
        text, colour = (
            f"Dataset drift: {counted} That is at least the {cut:.0%} share at which the data "
            "set as a whole counts as drifted.",
            "danger",
        )
    else:
        text, colour = (
            f"{counted} The data set as a whole is not drifted: that takes {cut:.0%} of features.",
            "warning",
        )
    if by_p_value:
        text += (
            " With samples this small the tests give p-values, and about one stable feature in "
            "twenty crosses p 0.05 by chance: check its distribution below."
        )
    return drift_message(text, colour)


def drift_message(text: str, colour: str = "secondary") -> dbc.Alert:
    return dbc.Alert(text, color=colour, className="py-2 mb-2")


def _bar(name: str, colour: str, **kwargs: Any) -> go.Bar:
    return go.Bar(name=name, marker={"color": colour, "line": {"width": 0}}, **kwargs)


def distribution_figure(feature: str, shares: dict[str, Any], subtitle: str) -> go.Figure:
    """The feature's reference and current distributions overlaid, as shares of each sample."""
    title = f"{feature}: reference vs current"
    reference = np.asarray(shares["reference_shares"]) * 100
    current = np.asarray(shares["current_shares"]) * 100
    names = (
        f"Reference (n={fmt.count(shares['n_reference'])})",
        f"Current (n={fmt.count(shares['n_current'])})",
    )
    figure = go.Figure()
    if shares["edges"] is not None:
        # Reference as bars, current as the outline of its own bars: both stay readable where
        # they overlap.
        edges = np.asarray(shares["edges"])
        bounds = np.stack([edges[:-1], edges[1:]], axis=1)
        figure.add_trace(
            _bar(
                names[0],
                REFERENCE_COLOUR,
                x=(edges[:-1] + edges[1:]) / 2,
                y=reference,
                width=np.diff(edges),
                opacity=0.55,
                customdata=bounds,
                hovertemplate=f"{names[0]}<br>%{{customdata[0]:.3g}} to %{{customdata[1]:.3g}}: "
                "%{y:.1f}%<extra></extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=np.repeat(edges, 2)[1:-1],
                y=np.repeat(current, 2),
                name=names[1],
                mode="lines",
                line={"color": CURRENT_COLOUR, "width": 2.5},
                hovertemplate=f"{names[1]}<br>{feature} %{{x:.3g}}: %{{y:.1f}}%<extra></extra>",
            )
        )
        figure.update_layout(bargap=0)
    else:
        categories = [
            f"{value:g}" if isinstance(value, float) else str(value)
            for value in shares["categories"]
        ]
        for name, values, colour in (
            (names[0], reference, REFERENCE_COLOUR),
            (names[1], current, CURRENT_COLOUR),
        ):
            figure.add_trace(
                _bar(
                    name,
                    colour,
                    x=categories,
                    y=values,
                    hovertemplate=f"{name}<br>{feature} = %{{x}}: %{{y:.1f}}%<extra></extra>",
                )
            )
        figure.update_layout(barmode="group", bargap=0.25)
        figure.update_xaxes(type="category")
    figure.update_xaxes(title_text=feature)
    figure.update_yaxes(title_text="Share of samples (%)", ticksuffix="%")
    return titled(figure, title, subtitle, height=380, room={"l": 64, "b": 84})


def empty_distribution(message: str) -> go.Figure:
    return empty_figure("Feature distribution: reference vs current", message, height=380)


def drift_method_note() -> dbc.Card:
    """How a feature is tested and what the PSI bands and the data-set verdict mean."""
    items = [
        "Select a feature in the table to overlay its two distributions.",
        f"Up to {SMALL_REFERENCE_MAX:,} reference samples: Kolmogorov–Smirnov for numbers "
        f"(drift when p ≤ {P_VALUE_THRESHOLD:g}); chi-square, or a two-proportion z-test for two "
        f"values, when there are at most {FEW_UNIQUE_MAX} distinct values (p < "
        f"{P_VALUE_THRESHOLD:g}).",
        f"More samples: Wasserstein distance over the reference's standard deviation, or "
        f"Jensen–Shannon distance for few values (drift when ≥ {DISTANCE_THRESHOLD:g}). These are "
        "Evidently's defaults.",
        f"PSI on the reference's deciles: stable below {PSI_MODERATE:g}, moderate up to "
        f"{PSI_SIGNIFICANT:g}, significant above; banded from {PSI_MIN_SAMPLES:,} samples per "
        "window.",
        f"The data set counts as drifted when at least {DATASET_DRIFT_SHARE:.0%} of its features "
        "drifted.",
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H6("How drift is judged", className="mb-2"),
                html.Ul([html.Li(item) for item in items], className="small mb-0 ps-3"),
            ]
        ),
        className="chart-card h-100 text-secondary",
    )
