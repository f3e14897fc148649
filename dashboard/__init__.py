"""AI Model Training Dashboard: a Dash app over cached, filtered contract tables."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Mapping
from pathlib import Path

import dash
import dash_bootstrap_components as dbc  # noqa: F401  (registers its components with Dash)
from dash import Dash, html

from dashboard import browser_cache, callbacks, errors, ops, security
from dashboard import pages as pages_package
from dashboard.callbacks.router import page_layout, routed_pages
from dashboard.components.shell import shell_layout
from dashboard.config import settings_from_env
from dashboard.data.cache import cache
from dashboard.data.ingest import ingester_for
from dashboard.data.store import store
from dashboard.request_bodies import DrainUnreadBody

ASSETS = Path(__file__).resolve().parent.parent / "assets"

INDEX = """<!DOCTYPE html>
<html lang="en" data-bs-theme="dark" data-ag-theme-mode="dark">
  <head>
    {%metas%}
    <title>{%title%}</title>
    {%favicon%}
    {%css%}
  </head>
  <body>
    {%app_entry%}
    <footer>{%config%}{%scripts%}{%renderer%}</footer>
  </body>
</html>"""


def register_pages() -> list[dict]:
    """Import every module of dashboard.pages (each registers itself) and give each registry
    entry its module's layout; the pages in the router's order."""
    for module in pkgutil.iter_modules(pages_package.__path__):
        importlib.import_module(f"{pages_package.__name__}.{module.name}")
    for page in dash.page_registry.values():
        if page.get("layout") is None:
            page["layout"] = sys.modules[page["module"]].layout
    return routed_pages()


def create_app(config: Mapping[str, object] | None = None) -> Dash:
    """Build the dashboard. `config` overrides settings read from the environment (tests)."""
    settings = settings_from_env()
    settings.update(config or {})
    # The pages register themselves (dash.page_registry); callbacks/router.py routes them.
    app = Dash(
        __name__,
        use_pages=False,
        assets_folder=str(ASSETS),
        title="AI Model Training Dashboard",
        update_title=None,
        suppress_callback_exceptions=False,
        serve_locally=True,
    )
    app.index_string = INDEX
    server = app.server
    server.config.update(settings)
    cache.init_app(server)
    ingester = ingester_for(server.config)
    server.config["DATA_DIR_PATH"] = str(ingester.data_dir)
    store.init_app(server, ingester.name)
    if settings["INGEST"] == "inline":
        ingester.run_once()
    ops.init_app(app)
    browser_cache.init_app(server)
    security.init_app(app)
    refresh_seconds = int(settings["REFRESH_SECONDS"])
    pages = register_pages()
    app.layout = lambda: shell_layout(pages, refresh_seconds)
    callbacks.register(app)
    # Every page's components as the router draws them, for Dash's checks of the callbacks
    # against the layout.
    app.validation_layout = html.Div(
        [shell_layout(pages, refresh_seconds), *(page_layout(page) for page in pages)]
    )
    errors.register(server)
    # Outermost, so that nothing the app answers leaves a request body on the connection.
    server.wsgi_app = DrainUnreadBody(server.wsgi_app)
    return app
