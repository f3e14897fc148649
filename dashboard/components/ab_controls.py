"""The A/B comparison picker: an experiment, or any two versions."""

from __future__ import annotations

from typing import NamedTuple

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard import ids
from dashboard.components import format as fmt

EXPERIMENT_MODE, VERSIONS_MODE = "experiment", "versions"
MODES = {EXPERIMENT_MODE: "An experiment", VERSIONS_MODE: "Any two versions"}
HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}


class PickerChoices(NamedTuple):
    """What the selects offer and hold: experiments and the chosen one, versions and the
    chosen pair."""

    experiments: list[dict[str, str]]
    experiment: str | None
    versions: list[dict[str, str]]
    control: str | None
    treatment: str | None


NO_CHOICES = PickerChoices([], None, [], None, None)


def experiment_options(experiments: pd.DataFrame) -> list[dict[str, str]]:
    """'EXP-006 · v5.2.1 → v5.3.0 · running since 2026-11-21', newest first as given."""
    options = []
    for row in experiments.itertuples(index=False):
        when = (
            f"running since {fmt.date(row.started_at)}"
            if pd.isna(row.ended_at)
            else f"{fmt.date(row.started_at)} to {fmt.date(row.ended_at)}"
        )
        options.append(
            {
                "label": f"{row.experiment_id} · {row.control_version} → "
                f"{row.treatment_version} · {when}",
                "value": str(row.experiment_id),
            }
        )
    return options


def version_options(versions: list[str]) -> list[dict[str, str]]:
    return [{"label": version, "value": version} for version in versions]


def _labelled(label: str, control: object, width: str) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=control.id, className="filter-label mb-1"), control],
        style={"minWidth": width},
    )


def _select(select_id: str, options: list[dict[str, str]], value: str | None) -> dbc.Select:
    return dbc.Select(id=select_id, options=options, value=value, className="filter-select")


def comparison_picker(choices: PickerChoices = NO_CHOICES) -> dbc.Card:
    """Mode switch, the experiment select, and the two version selects (shown by mode),
    holding `choices` from the start."""
    mode = dbc.RadioItems(
        id=ids.AB_MODE,
        value=EXPERIMENT_MODE,
        inline=True,
        options=[{"label": label, "value": value} for value, label in MODES.items()],
        className="metric-choice mb-0",
    )
    experiment = _select(ids.AB_EXPERIMENT, choices.experiments, choices.experiment)
    control = _select(ids.AB_CONTROL, choices.versions, choices.control)
    treatment = _select(ids.AB_TREATMENT, choices.versions, choices.treatment)
    return dbc.Card(
        dbc.CardBody(
            html.Div(
                [
                    _labelled("Compare", mode, "15rem"),
                    html.Div(
                        _labelled("Experiment", experiment, "26rem"), id=ids.AB_EXPERIMENT_PICKER
                    ),
                    html.Div(
                        # The flex layout sits inside: Bootstrap's d-flex would override the
                        # inline display:none that hides the picker.
                        html.Div(
                            [
                                _labelled("Control version", control, "10rem"),
                                _labelled("Treatment version", treatment, "10rem"),
                            ],
                            className="d-flex gap-3",
                        ),
                        id=ids.AB_VERSION_PICKER,
                        style=HIDDEN,
                    ),
                ],
                className="d-flex flex-wrap align-items-end gap-4",
            )
        ),
        className="chart-card",
    )
