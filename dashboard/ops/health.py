"""`/health`: the process answers. `/ready`: it can serve (data loaded), and how well.

Both answer JSON and are public (see dashboard.security). `/ready` is 503 until data is loaded;
an unreachable cache or a failed re-read of the source leave it 200 but "degraded", with a warning,
since the dashboard still answers (slower, or from older data).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from dashboard.data.cache import cache
from dashboard.data.store import store


def health() -> Response:
    response = jsonify(status="alive")
    response.headers["Cache-Control"] = "no-store"
    return response


def ready() -> tuple[Response, int]:
    data = store.readiness()
    cache_status = cache.status()
    warnings = []
    if cache_status["status"] != "ok":
        warnings.append("cache unreachable: queries are computed from the source, slower")
    if data["last_error"]:
        warnings.append("the last read of the data source failed: serving the last good data")
    status = "degraded" if warnings else "ready"
    if not data["loaded"]:
        status = "unavailable"
    response = jsonify(status=status, data=data, cache=cache_status, warnings=warnings)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if data["loaded"] else 503


def init_app(server: Flask) -> None:
    server.add_url_rule("/health", "health", health)
    server.add_url_rule("/ready", "ready", ready)
