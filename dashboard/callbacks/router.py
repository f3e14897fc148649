"""The pages router: each page drawn once into its own slot, then shown or hidden in the browser.

Dash's own router draws a page again on every visit: a server round trip for its layout, then
every one of its callbacks and charts. Here a visit to a page already drawn only unhides its
slot, and its callbacks see the global filters through the page's own stores, which change
only while it shows: coming back with the same filters costs no request and no redraw, and a
hidden page is never re-queried (not even by the live refresh). A filter changed elsewhere
reaches a page when it shows again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import dash
from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks import answered
from dashboard.callbacks.ab_testing import initial_choices
from dashboard.callbacks.guard import server_callback

NOT_FOUND_PATH = "/404"
# What a page's layout is drawn with besides its ids: data read when it is drawn.
LAYOUT_DATA: dict[str, Callable[[], dict[str, object]]] = {
    ids.AB_TESTING: lambda: {"choices": initial_choices()},
}

# pathname -> which slot shows (the 404 page's for any unknown path), the document's title,
# and the page to draw when its slot is still empty. A hidden slot keeps its layout and
# drawing (CSS content-visibility, not display: none, which would zero every chart's size and
# have Plotly draw it again when shown).
ROUTE = """
function(pathname, ...drawn) {
    const pages = PAGES;
    const path = (pathname || '/').replace(/(.)\\/+$/, '$1');
    let shown = pages.findIndex(page => page.path === path);
    if (shown < 0) { shown = pages.findIndex(page => page.path === NOT_FOUND); }
    document.title = pages[shown].title;
    const classes = pages.map((_, index) => index === shown ? SHOWN : HIDDEN);
    const wanted = drawn[shown] ? dash_clientside.no_update : pages[shown].path;
    return [...classes, wanted];
}
"""

# The global filters and the refresh tick reach the page that shows, and no other. A page
# shown again gets changed filters at once, and the tick only when it missed two refreshes or
# more: one missed refresh waits for the next (at most one interval), so that coming back
# soon costs nothing.
SHOWN_FILTERS = """
function(pathname, range, model, tick, ...current) {
    const pages = PAGES;
    const path = (pathname || '/').replace(/(.)\\/+$/, '$1');
    const shown = pages.findIndex(page => page.path === path);
    const ticked = dash_clientside.callback_context.triggered_id === REFRESH;
    const wanted = [range, model, tick || 0];
    return pages.flatMap((page, index) => wanted.map((value, offset) => {
        const now = current[index * wanted.length + offset];
        const changed = offset < 2 || ticked ? value !== now : value - (now || 0) >= 2;
        return index === shown && changed ? value : dash_clientside.no_update;
    }));
}
"""


def routed_pages() -> list[dict]:
    """The registered pages, in order, with the 404 page last."""
    pages = list(dash.page_registry.values())
    return sorted(pages, key=lambda page: page["path"] == NOT_FOUND_PATH)


def page_for(path: object) -> dict:
    """The registered page at `path`, the 404 page for an unknown path; PreventUpdate for
    anything but a path (forged)."""
    if not isinstance(path, str):
        raise PreventUpdate
    pages = routed_pages()
    return next((page for page in pages if page["path"] == path), pages[-1])


def page_layout(page: dict, **data: object):
    """A page's layout, with the stores its callbacks keep their last answers' digests in."""
    return answered.with_answer_stores(page["layout"](**data), page["prefix"])


def draw_page(path: object):
    """The layout of the page at `path`, into its slot; the other slots keep theirs."""
    page = page_for(path)
    data = LAYOUT_DATA.get(page["prefix"], dict)()
    layout = page_layout(page, **data)
    return tuple(layout if other is page else no_update for other in routed_pages())


SHOWN_CLASS = "page-slot"
HIDDEN_CLASS = "page-slot page-slot-hidden"


def _script(template: str, pages: list[dict]) -> str:
    known = [{"path": page["path"], "title": page["title"]} for page in pages]
    values = {
        "PAGES": known,
        "NOT_FOUND": NOT_FOUND_PATH,
        "SHOWN": SHOWN_CLASS,
        "HIDDEN": HIDDEN_CLASS,
        "REFRESH": ids.REFRESH,
    }
    for name, value in values.items():
        template = template.replace(name, json.dumps(value))
    return template


def register(app: Dash) -> None:
    pages = routed_pages()
    slots = [ids.page_slot(page["prefix"]) for page in pages]
    app.clientside_callback(
        _script(ROUTE, pages),
        *[Output(slot, "className") for slot in slots],
        Output(ids.PAGE_WANTED, "data"),
        Input(ids.URL, "pathname"),
        *[State(slot, "children") for slot in slots],
    )
    server_callback(
        app,
        *[Output(slot, "children") for slot in slots],
        Input(ids.PAGE_WANTED, "data"),
        prevent_initial_call=True,
    )(draw_page)
    stores = [ids.page_filter(page["prefix"], name) for page in pages for name in ids.PAGE_FILTERS]
    app.clientside_callback(
        _script(SHOWN_FILTERS, pages),
        *[Output(store, "data") for store in stores],
        Input(ids.URL, "pathname"),
        Input(ids.RANGE, "value"),
        Input(ids.MODEL, "value"),
        Input(ids.REFRESH, "n_intervals"),
        *[State(store, "data") for store in stores],
    )
