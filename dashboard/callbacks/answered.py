"""Unchanged answers are not sent again: a page callback whose answer equals the one its
outputs last got answers "no update", and the browser redraws nothing.

A new answer is often the one before: an A/B comparison of whole experiments does not depend on
the time range, and a live refresh that brought nothing for a view (a finished experiment, the
day's data quality) draws the same figures. Dash would still replace the components and Plotly
redraw the charts: 150-250 ms of the browser's main thread on the A/B page, for nothing.

Each such callback keeps a digest of its last answer in a store of its page (drawn with the page
into its slot, so that a page drawn anew starts with none). The browser sends it with the
callback's inputs; an answer with the same digest raises PreventUpdate. An answer that cannot
be serialised (one with `no_update` in it) or that is a Patch is always sent.
"""

from __future__ import annotations

import hashlib
import threading

from cachetools import LRUCache
from dash import Input, Output, Patch, State, dcc
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

from dashboard import ids

# The stores each page's callbacks keep their digests in, by page prefix (the same for every
# app: ids are fixed).
_STORES: dict[str, list[str]] = {}
_LOCK = threading.Lock()
# Digests of recent answers, by identity: a memoised view (callbacks/views.py) returns the
# same objects until the data changes, and is then hashed once, not on every call.
_RECENT: LRUCache = LRUCache(maxsize=32)


def page_of(inputs: list[Input]) -> str | None:
    """The page whose filters are among a callback's inputs (None: not a page's data callback)."""
    for dependency in inputs:
        component_id = dependency.component_id
        if isinstance(component_id, str) and (prefix := ids.filtered_page(component_id)):
            return prefix
    return None


def kept_answer(prefix: str, outputs: list[Output]) -> tuple[Output, State]:
    """The output and state of the store keeping the digest of a callback's last answer,
    named after its first output, and registered for its page's layout."""
    store = ids.answered(str(outputs[0].component_id))
    with _LOCK:
        stores = _STORES.setdefault(prefix, [])
        if store not in stores:
            stores.append(store)
    return Output(store, "data"), State(store, "data")


def with_answer_stores(layout: Component, prefix: str) -> Component:
    """A page's layout with the digest stores of its callbacks (empty: nothing answered yet)."""
    with _LOCK:
        stores = [dcc.Store(id=store) for store in _STORES.get(prefix, [])]
    if not stores:
        return layout
    children = layout.children if isinstance(layout.children, list) else [layout.children]
    layout.children = [*children, *stores]
    return layout


def digest(answer: object) -> str | None:
    """A digest of the answer as Dash sends it; None for an answer that cannot be serialised
    or holds a Patch (which acts on what the browser has, so that sending it again may not be
    a no-op)."""
    values = answer if isinstance(answer, tuple | list) else (answer,)
    if any(isinstance(value, Patch) for value in values):
        return None
    with _LOCK:
        recent = _RECENT.get(id(answer))
    if recent is not None and recent[0] is answer:
        return recent[1]
    try:
        text = to_json_plotly(answer)
    except (TypeError, ValueError):
        return None
    value = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    with _LOCK:
        _RECENT[id(answer)] = (answer, value)
    return value
