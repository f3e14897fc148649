"""Partial figure updates: a chart whose filters changed gets a Patch, not a whole figure.

A filter change or the live refresh changes what a chart shows, not how it is built: the same
builder draws it, with the same house template. The answer then replaces the traces and every
layout entry the builder set, drops the entries a previous answer may have left (an empty
state's message, notes, marks), and leaves the template in the browser: about 7 kB of JSON a
chart, sent once with the page (components/theme.py placeholder_figure). Only answers to the
page's filters, its live refresh tick, its `seen` flag or its first call are partial: a chart
redrawn for another control (an A/B comparison's mode) gets its whole figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import plotly.graph_objects as go
from dash import Input, Output, Patch, callback_context

from dashboard import ids
from dashboard.components.theme import empty_figure, house_template

# Layout entries a figure of the same chart may have had that the new one may lack: the empty
# state's (message, hidden axes) and what is drawn over the data only at times.
LINGERING = tuple(
    sorted(
        {*empty_figure("", "").to_plotly_json()["layout"], "annotations", "shapes", "images"}
        - {"template"}
    )
)


def figure_patch(figure: go.Figure) -> Patch:
    """The Patch that turns the chart in the browser (this chart before, or its placeholder)
    into `figure`, without sending the template when the browser has it."""
    full = figure.to_plotly_json()
    layout = dict(full["layout"])
    template = layout.pop("template", None)
    patch = Patch()
    patch["data"] = full["data"]
    if template is not None and template != house_template():
        layout["template"] = template
    patch["layout"].update(layout)
    for key in LINGERING:
        if key not in layout:
            del patch["layout"][key]
    return patch


def data_triggers(inputs: Iterable[Input]) -> frozenset[str]:
    """The prop ids among `inputs` whose change alters only the data a page's charts show:
    the page's filters and refresh tick (callbacks/filters.py filter_inputs) and `seen` flags."""
    return frozenset(
        f"{dependency.component_id}.{dependency.component_property}"
        for dependency in inputs
        if isinstance(dependency.component_id, str)
        and (ids.is_page_filter(dependency.component_id) or ids.is_seen(dependency.component_id))
    )


def only_data_changed(triggers: frozenset[str]) -> bool:
    """Whether the running callback was called for `triggers` alone, or for its first call."""
    try:
        triggered = set(callback_context.triggered_prop_ids)
    except (AttributeError, TypeError):  # a forged changedPropIds ([null], [5]): whole figures
        return False
    return triggered <= triggers


def partial_answer(outputs: Sequence[Output], answer: object) -> object:
    """`answer` with each figure (for a `figure` output) as its Patch."""
    if len(outputs) == 1:
        return _partial(outputs[0], answer)
    if not isinstance(answer, list | tuple):
        return answer
    return tuple(_partial(output, value) for output, value in zip(outputs, answer, strict=True))


def _partial(output: Output, value: object) -> object:
    if output.component_property == "figure" and isinstance(value, go.Figure):
        return figure_patch(value)
    return value
