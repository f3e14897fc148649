"""How long the browser may keep what it fetches besides callbacks.

Dash serves its favicon at a URL that carries Dash's version (`/_favicon.ico?v=4.4.1`) but
with no caching header at all, so Chromium fetched it again on every change of the address bar
(each filter change rewrites the query string). A versioned URL never changes content: the
browser may keep it for a year.
"""

from __future__ import annotations

from flask import Flask, Response, request

FAVICON_PATH = "/_favicon.ico"
A_YEAR = 365 * 24 * 3600


def init_app(server: Flask) -> None:
    @server.after_request
    def cache_versioned_favicon(response: Response) -> Response:
        if request.path == FAVICON_PATH and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={A_YEAR}, immutable"
        return response
