"""Page callbacks that explain a missing table instead of failing."""

from __future__ import annotations

import functools
from collections.abc import Callable

import dash_bootstrap_components as dbc
from dash import Dash, Output, no_update

from dashboard.components.theme import empty_figure
from dashboard.data.sources import MissingTable


def missing_table_answers(outputs: list[Output], missing: MissingTable) -> list[object]:
    """What each output shows when the source lacks a table: one message, then empty places."""
    message = f"This view needs the {missing.table} table: {missing.hint}"
    answers: list[object] = []
    told = False
    for output in outputs:
        prop = output.component_property
        if prop == "figure":
            answers.append(empty_figure("Data needed", message))
        elif prop == "children" and not told:
            answers.append(dbc.Alert(message, color="warning", className="mb-0"))
            told = True
        elif prop == "children":
            answers.append(None)
        elif prop == "rowData":
            answers.append([])
        else:
            answers.append(no_update)
    return answers


def page_callback(
    app: Dash, *dependencies: object, **options: object
) -> Callable[[Callable], Callable]:
    """Like `app.callback`: registers the function, answering MissingTable with a message."""
    outputs = [dependency for dependency in dependencies if isinstance(dependency, Output)]

    def register(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args: object) -> object:
            try:
                return function(*args)
            except MissingTable as missing:
                answers = missing_table_answers(outputs, missing)
                return answers[0] if len(outputs) == 1 else tuple(answers)

        app.callback(*dependencies, **options)(guarded)
        return function

    return register
