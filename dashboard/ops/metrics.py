"""Prometheus metrics: their definitions, the request hooks that feed them, and `/metrics`.

Under gunicorn, gunicorn.conf.py sets `PROMETHEUS_MULTIPROC_DIR` before anything imports
prometheus_client: every worker then writes its samples to files there and `/metrics` adds them
up, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from dash import Dash
from flask import Flask, Response, g, request
from flask_caching.signals import cache_memoize_hit, cache_memoize_miss
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from werkzeug.exceptions import HTTPException

from dashboard import security
from dashboard.data.cache import cache_failed
from dashboard.data.store import store
from dashboard.ops.domain_metrics import health_collector

CALLBACK_PATH = "/_dash-update-component"
# Callback latencies run from a millisecond (no update) to seconds (a cold query on big data).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "dashboard_http_requests",
    "HTTP requests answered, by kind of endpoint, method and status code",
    ["endpoint", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "dashboard_http_request_duration_seconds",
    "Time to answer an HTTP request, by kind of endpoint",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
CALLBACK_REQUESTS = Counter(
    "dashboard_callback_requests",
    "Dash callback requests, by callback (its output string) and status code",
    ["callback", "status"],
)
CALLBACK_LATENCY = Histogram(
    "dashboard_callback_duration_seconds",
    "Time to answer a Dash callback request, by callback (its output string)",
    ["callback"],
    buckets=LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "dashboard_cache_lookups",
    "Cached query lookups, by query function and result (hit or miss)",
    ["function", "result"],
)
CACHE_ERRORS = Counter(
    "dashboard_cache_errors",
    "Cache backend operations that failed; the query was then computed from the source",
    ["operation"],
)

# Paths with a fixed meaning; every other GET serves the page shell.
_ENDPOINTS = {
    CALLBACK_PATH: "callback",
    "/_dash-layout": "layout",
    "/_dash-dependencies": "dependencies",
    "/health": "health",
    "/ready": "ready",
    "/metrics": "metrics",
}
_PREFIXES = (("/_dash-component-suites/", "component_suites"), ("/assets/", "assets"))


def endpoint_of(path: str) -> str:
    """A bounded name for the kind of endpoint `path` is: a label that cannot grow."""
    if path in _ENDPOINTS:
        return _ENDPOINTS[path]
    for prefix, name in _PREFIXES:
        if path.startswith(prefix):
            return name
    return "dash_other" if path.startswith("/_") else "page"


def _query_name(function: object) -> str:
    module = getattr(function, "__module__", "") or ""
    return f"{module.rsplit('.', 1)[-1]}.{getattr(function, '__qualname__', '?')}"


def _count_hit(_cache: object, **extra: object) -> None:
    CACHE_LOOKUPS.labels(_query_name(extra.get("f")), "hit").inc()


def _count_miss(_cache: object, **extra: object) -> None:
    CACHE_LOOKUPS.labels(_query_name(extra.get("f")), "miss").inc()


def _count_cache_error(_backend: object, **extra: object) -> None:
    CACHE_ERRORS.labels(str(extra.get("operation"))).inc()


def _callback_name(callback_map: dict, status_code: int) -> str:
    """The output string of a known callback, or 'unknown' (forged requests stay one label).
    A 5xx is a callback that failed on the server: it keeps its name."""
    if 400 <= status_code < 500:  # refused: its body may not even parse
        return "unknown"
    try:
        body = request.get_json(silent=True)
    except (HTTPException, RecursionError):
        return "unknown"
    output = body.get("output") if isinstance(body, dict) else None
    return output if isinstance(output, str) and output in callback_map else "unknown"


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _DataFreshness:
    """Collector of the data facts of the worker answering the scrape."""

    def __init__(self, status: dict[str, object]) -> None:
        self.status = status

    def collect(self) -> Iterator[Metric]:
        loaded = GaugeMetricFamily(
            "dashboard_data_loaded", "1 when the worker holds data from the source", labels=[]
        )
        loaded.add_metric([], 1.0 if self.status["loaded"] else 0.0)
        yield loaded
        # The ingest counts its failed reads in the store's manifest, for every worker to tell.
        errors = CounterMetricFamily(
            "dashboard_source_errors",
            "Failed reads of the data source (the last good data is served meanwhile)",
            labels=[],
        )
        errors.add_metric([], float(self.status["errors_total"]))
        yield errors
        generation = GaugeMetricFamily(
            "dashboard_data_generation", "The store's generation the workers serve", labels=[]
        )
        generation.add_metric([], float(self.status["generation"]))
        yield generation
        if self.status["age_seconds"] is not None:
            age = GaugeMetricFamily(
                "dashboard_data_age_seconds",
                "Seconds between now and the time the served data is as of",
                labels=["source"],
            )
            source = security.without_credentials(str(self.status["source"]))
            age.add_metric([source], float(self.status["age_seconds"]))
            yield age


def metrics_view() -> Response:
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    freshness = CollectorRegistry()
    status = store.readiness()
    freshness.register(_DataFreshness(status))
    freshness.register(health_collector(status))
    body = generate_latest(registry) + generate_latest(freshness)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Dash) -> None:
    """Time every request, count callbacks by name, serve `/metrics`."""
    server: Flask = app.server

    @server.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @server.after_request
    def observe(response: Response) -> Response:
        started = g.pop("request_started", None)
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        endpoint = endpoint_of(request.path)
        status = str(response.status_code)
        HTTP_REQUESTS.labels(endpoint, request.method, status).inc()
        HTTP_LATENCY.labels(endpoint).observe(elapsed)
        if endpoint == "callback" and request.method == "POST":
            callback = _callback_name(app.callback_map, response.status_code)
            CALLBACK_REQUESTS.labels(callback, status).inc()
            CALLBACK_LATENCY.labels(callback).observe(elapsed)
        return response

    server.add_url_rule("/metrics", "metrics", metrics_view)
    # The signals are process-wide; connecting the same receiver again is a no-op.
    cache_memoize_hit.connect(_count_hit, weak=False)
    cache_memoize_miss.connect(_count_miss, weak=False)
    cache_failed.connect(_count_cache_error, weak=False)
