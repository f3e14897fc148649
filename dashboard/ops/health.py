"""`/health`: the process answers. `/ready`: it can serve (data loaded), and how well.

Both answer JSON and are public (see dashboard.security), but `/ready` tells everyone only its
status (`ready`, `degraded`, `unavailable`); the data, the cache and the warnings go to
signed-in users and to callers on this machine. It is 503 until data is loaded; an unreachable
cache or a failed re-read of the source leave it 200 but "degraded", with a warning, since the
dashboard still answers (slower, or from older data). It reads the data's state from
`store.readiness()` alone, so that a probe never makes the dashboard read its source.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify

from dashboard import security
from dashboard.config import open_to_network
from dashboard.data.cache import cache
from dashboard.data.store import store

OPEN_WARNING = (
    "no sign-in (DASHBOARD_AUTH=none) on a network address: every page and /metrics are open "
    "to anyone who can reach this port"
)


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
    if data.get("ingest_stalled"):
        warnings.append(
            f"no new generation for {data['published_seconds_ago']:.0f} s: the ingest has "
            "stopped; serving the last data it published"
        )
    status = "degraded" if warnings else "ready"
    if not data["loaded"]:
        status = "unavailable"
    if open_to_network(current_app.config):
        warnings.append(OPEN_WARNING)
    body: dict[str, object] = {"status": status}
    if security.signed_in_user() is not None or security.from_this_machine():
        source = security.without_credentials(str(data["source"]))
        body.update(data={**data, "source": source}, cache=cache_status, warnings=warnings)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if data["loaded"] else 503


def init_app(server: Flask) -> None:
    server.add_url_rule("/health", "health", health)
    server.add_url_rule("/ready", "ready", ready)
