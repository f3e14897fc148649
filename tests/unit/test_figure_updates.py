"""Partial figure updates (callbacks/figure_updates.py): the Patch applied to the chart in the
browser gives the new figure, without the template travelling again."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from dash import Input, Patch
from plotly.utils import PlotlyJSONEncoder

from dashboard import ids
from dashboard.callbacks.figure_updates import data_triggers, figure_patch
from dashboard.components.theme import empty_figure, house_template, placeholder_figure, titled


def plain(value: object) -> object:
    """JSON as the browser holds it (numpy arrays and all)."""
    return json.loads(json.dumps(value, cls=PlotlyJSONEncoder))


def applied(patch: Patch, figure: dict) -> dict:
    """What Dash's renderer makes of `figure` with `patch` (its Assign, Merge and Delete)."""
    result = plain(figure)
    for operation in plain(patch._operations):
        *path, last = operation["location"]
        target = result
        for key in path:
            target = target.setdefault(key, {})
        if operation["operation"] == "Assign":
            target[last] = operation["params"]["value"]
        elif operation["operation"] == "Merge":
            target.setdefault(last, {}).update(operation["params"]["value"])
        elif operation["operation"] == "Delete":
            target.pop(last, None)
        else:
            raise AssertionError(f"unexpected operation {operation['operation']}")
    return result


def accuracy_like(points: int, note: str | None = None) -> go.Figure:
    figure = go.Figure(
        [
            go.Scatter(x=list(range(points)), y=[0.5] * points, name="Validation", mode="lines"),
            go.Scatter(x=[1, 2], y=[0.4, 0.9], name="Sessions", mode="markers"),
        ]
    )
    figure.update_yaxes(title="Accuracy (%)", range=[0, 100])
    if note:
        figure.add_annotation(text=note, x=1, y=1, xref="paper", yref="paper")
        figure.add_vline(x=1)
    return titled(figure, "Accuracy", f"All Models · {points} points")


@pytest.mark.parametrize(
    "before",
    [
        placeholder_figure(340),
        empty_figure("Accuracy", "No sessions in the range").to_plotly_json(),
        accuracy_like(5, note="2 days marked").to_plotly_json(),
        accuracy_like(50).to_plotly_json(),
    ],
    ids=["placeholder", "empty state", "with notes", "same chart"],
)
def test_the_patch_turns_what_the_browser_holds_into_the_new_figure(before):
    after = accuracy_like(7)
    assert applied(figure_patch(after), before) == plain(after.to_plotly_json())


def test_an_empty_state_after_data_shows_its_message_on_hidden_axes():
    after = empty_figure("Accuracy", "No sessions in the range")
    shown = applied(figure_patch(after), accuracy_like(9, note="marked").to_plotly_json())
    assert shown == plain(after.to_plotly_json())
    assert [note["text"] for note in shown["layout"]["annotations"]] == ["No sessions in the range"]
    assert shown["layout"]["xaxis"] == {"visible": False}


def test_the_house_template_stays_in_the_browser_and_another_one_is_sent():
    operations = plain(figure_patch(accuracy_like(3))._operations)
    assert "template" not in json.dumps(operations)
    assert all(op["location"][:1] in (["data"], ["layout"]) for op in operations)
    other = accuracy_like(3)
    other.layout.template = pio.templates["plotly_white"]
    shown = applied(figure_patch(other), placeholder_figure())
    assert shown["layout"]["template"] != plain(house_template())
    assert shown == plain(other.to_plotly_json())


def test_only_the_page_filters_tick_and_seen_flags_count_as_data_changes():
    inputs = [
        Input(ids.page_filter(ids.TRAINING, "range"), "data"),
        Input(ids.page_filter(ids.TRAINING, "tick"), "data"),
        Input(ids.seen(ids.TR_DURATION_VIEW), "data"),
        Input(ids.AB_MODE, "value"),
        Input(ids.RANGE, "value"),
    ]
    assert data_triggers(inputs) == {
        f"{ids.page_filter(ids.TRAINING, 'range')}.data",
        f"{ids.page_filter(ids.TRAINING, 'tick')}.data",
        f"{ids.seen(ids.TR_DURATION_VIEW)}.data",
    }
