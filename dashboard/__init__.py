"""AI Model Training Dashboard: a Dash app over cached, filtered contract tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dash
import dash_bootstrap_components as dbc  # noqa: F401  (registers its components with Dash)
from dash import Dash

from dashboard import callbacks, errors, ops, security
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


def create_app(config: Mapping[str, object] | None = None) -> Dash:
    """Build the dashboard. `config` overrides settings read from the environment (tests)."""
    settings = settings_from_env()
    settings.update(config or {})
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).resolve().parent / "pages"),
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
    security.init_app(app)
    refresh_seconds = int(settings["REFRESH_SECONDS"])
    app.layout = lambda: shell_layout(list(dash.page_registry.values()), refresh_seconds)
    callbacks.register(app)
    errors.register(server)
    # Outermost, so that nothing the app answers leaves a request body on the connection.
    server.wsgi_app = DrainUnreadBody(server.wsgi_app)
    return app
