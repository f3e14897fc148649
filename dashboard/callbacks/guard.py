"""How the dashboard registers its callbacks: a failure is a server error, and a page callback
explains a missing table instead of failing."""

from __future__ import annotations

import functools
from collections.abc import Callable

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import answered
from dashboard.callbacks.figure_updates import data_triggers, only_data_changed, partial_answer
from dashboard.components.theme import empty_figure
from dashboard.data.sources import MissingTable
from dashboard.errors import callback_failed


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


def server_callback(
    app: Dash, *dependencies: object, **options: object
) -> Callable[[Callable], Callable]:
    """`app.callback` for the dashboard's own callback functions: an exception one raises is
    answered 500 and logged with its traceback (`errors.callback_failed`), not taken for a
    forged request."""
    return app.callback(*dependencies, on_error=callback_failed, **options)


def page_callback(
    app: Dash, *dependencies: object, **options: object
) -> Callable[[Callable], Callable]:
    """Like `server_callback`: registers the function, answering MissingTable with a
    message, a chart whose data alone changed with a partial update (figure_updates), and, for
    a page's data callback, an answer equal to the last one with no update (answered)."""
    outputs = [dependency for dependency in dependencies if isinstance(dependency, Output)]
    others = [dependency for dependency in dependencies if not isinstance(dependency, Output)]
    inputs = [dependency for dependency in others if isinstance(dependency, Input)]
    triggers = data_triggers(inputs)
    page = answered.page_of(inputs)
    if page is not None:
        kept_output, kept_state = answered.kept_answer(page, outputs)
        dependencies = (*outputs, kept_output, *others, kept_state)

    def register(function: Callable) -> Callable:
        def answer_to(args: tuple[object, ...]) -> tuple[object, bool]:
            """The function's answer, and whether it is one (not a missing table's)."""
            try:
                return function(*args), True
            except MissingTable as missing:
                answers = missing_table_answers(outputs, missing)
                return (answers[0] if len(outputs) == 1 else tuple(answers)), False

        @functools.wraps(function)
        def guarded(*args: object) -> object:
            if page is not None:
                *args, last = args
            answer, computed = answer_to(tuple(args))
            seal = None if page is None else answered.digest(answer)
            if seal is not None and seal == last:
                raise PreventUpdate
            if computed and only_data_changed(triggers):
                answer = partial_answer(outputs, answer)
            if page is None:
                return answer
            return (*(tuple(answer) if len(outputs) > 1 else (answer,)), seal)

        server_callback(app, *dependencies, **options)(guarded)
        return function

    return register


def page_callback_when_seen(
    app: Dash, section_id: str, *dependencies: object, **options: object
) -> Callable[[Callable], Callable]:
    """Like `page_callback`, for outputs in a section below the fold (layout.when_seen): no
    request until the section has come into view, then as usual. The function's arguments are
    unchanged (the section's `seen` flag is taken off them)."""
    outputs = [dependency for dependency in dependencies if isinstance(dependency, Output)]
    inputs = [dependency for dependency in dependencies if isinstance(dependency, Input)]
    states = [dependency for dependency in dependencies if isinstance(dependency, State)]
    seen = Input(ids.seen(section_id), "data")

    def register(function: Callable) -> Callable:
        @functools.wraps(function)
        def when_seen(*args: object) -> object:
            values = list(args)
            if values.pop(len(inputs)) is not True:
                raise PreventUpdate
            return function(*values)

        page_callback(app, *outputs, *inputs, seen, *states, prevent_initial_call=True, **options)(
            when_seen
        )
        return function

    return register
