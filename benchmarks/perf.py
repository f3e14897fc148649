"""Performance benchmark: the deployed server at several data scales, optimised and naive.

    .venv/bin/python -m benchmarks.perf            # scales 1, 5, 20: about 7 minutes
    .venv/bin/python -m benchmarks.perf --quick    # scale 1, two ranges: about 2 minutes

(from the repository root). For each scale it times the simulator in a child process, then
starts gunicorn with gunicorn.conf.py on a free 127.0.0.1 port twice: optimised (the defaults:
in-process cache, downsampling, rollups) and naive (`DASHBOARD_CACHE_TYPE=NullCache`,
`DASHBOARD_DOWNSAMPLE=0`). Against each it fires every page's
callbacks over HTTP with the bodies Dash's renderer sends, for every time range and model
type, cold and warm; reads the resident and proportional memory (RSS, PSS) of the master and
its workers from /proc; and times page settle in headless Chromium. It writes
benchmarks/results/bench.json (--out): per page and range latency p50/p95/max, response
bytes and plotted points per figure, per callback the same, the ratios naive/optimised, and
each target of the "fast at any range and any scale" issue with its measured figure.

Definitions (also written to the JSON):

- The server runs with `DASHBOARD_REFRESH_SECONDS=0`: the data is loaded once, in the
  master before the workers fork, and never refreshed during a run, so that cold and warm
  mean one thing. What a refresh costs is measured apart (`refresh_s`).
- Cold: the first request of a callback for a time range and model type in a freshly forked
  worker (SIGHUP before each range: new workers, empty query cache; the data and rollups are
  already in the master, and its warm-up has paid each process's one-time costs). Requests
  of one visit run in the order the renderer sends them, so later callbacks of a page may
  find queries an earlier one computed, as in a browser.
- Warm: the same request again, on the same keep-alive connection (the same worker).
- Settle: from navigation to a page until no Dash component is loading and every chart
  holds data or an empty-state message, in headless Chromium (1600x1200); cold after a
  SIGHUP, warm on a second visit. First visit: the first page a new browser opens, after a
  SIGHUP, with nothing cached (it downloads and compiles every script).

Bounded: loopback only, one client at a time, every request with a timeout.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests

from benchmarks.load import RendererClient, _at, _ids, _on
from benchmarks.processes import chromium_options, free_port, worker_pids
from tests.http import renderer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "bench.json"
RANGES = ("24h", "7d", "30d", "90d", "all")
MODELS = (
    "all",
    "threat_detection",
    "false_positive_filter",
    "incident_classification",
    "response_automation",
)
SCALES = (1, 5, 20)
NAIVE_ENV = {
    "DASHBOARD_CACHE_TYPE": "NullCache",
    "DASHBOARD_DOWNSAMPLE": "0",
}
PAGE_NAMES = {
    "/": "overview",
    "/training": "training",
    "/ab-testing": "ab_testing",
    "/data-quality": "data_quality",
    "/resources": "resources",
}
SHELL = "shell"
REQUEST_TIMEOUT = 120.0
START_TIMEOUT = 600.0
GRID_REQUEST = {"startRow": 0, "endRow": 60, "sortModel": [], "filterModel": {}}
# A zoom on a Training chart: the newest twentieth of the range.
ZOOM_SHARE = 20
HISTORY_DAYS = 180
RANGE_DAYS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90, "all": HISTORY_DAYS}
SETTLED = """
const loading = document.querySelectorAll("[data-dash-is-loading='true']").length;
const content = document.querySelector('#pages > .page-slot:not(.page-slot-hidden)');
if (loading || !content || !content.children.length) { return false; }
// Hidden pages keep their charts (callbacks/router.py): only the page shown counts.
// Sections below the fold are drawn once seen (components/layout.py when_seen).
const graphs = Array.from(content.querySelectorAll('.dash-graph'))
    .filter(graph => !graph.closest('[data-seen-store]:not([data-seen])'));
return graphs.every(graph => {
    const plot = graph.querySelector('.js-plotly-plot');
    if (!plot || !plot.data || !plot._fullLayout) { return false; }
    const notes = (plot.layout && plot.layout.annotations) || [];
    return plot.data.length > 0 || notes.length > 0;
});
"""


# Servers


def memory_of(pid: int) -> dict[str, float]:
    """RSS and PSS of a process in MB, from /proc/PID/smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return values


class Server:
    """gunicorn -c gunicorn.conf.py, as deployed, on a free loopback port."""

    def __init__(self, scale: int, extra_env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="bench-metrics-", dir=log_dir))
        env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CONTROL_SOCKET"}
        env.update(
            DASHBOARD_HOST="127.0.0.1",
            DASHBOARD_PORT=str(self.port),
            DASHBOARD_SIM_SCALE=str(scale),
            DASHBOARD_REFRESH_SECONDS="0",
            GUNICORN_MAX_REQUESTS="0",
            WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir),
            DASHBOARD_LOG_LEVEL="warning",
            **extra_env,
        )
        self.log = (log_dir / f"gunicorn-{scale}-{self.port}.log").open("wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def wait_ready(self, old_workers: list[int] | None = None) -> float:
        """Seconds until /ready answers 200 (and, after a SIGHUP, only new workers run)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            workers = self.workers()
            fresh = old_workers is None or not set(workers) & set(old_workers)
            if fresh and len(workers) >= 2:
                try:
                    if requests.get(f"{self.url}/ready", timeout=10).status_code == 200:
                        return time.monotonic() - self.started
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn never got ready")

    def fresh_workers(self) -> None:
        """SIGHUP: gunicorn forks new workers from the master and retires the old ones."""
        old = self.workers()
        self.process.send_signal(signal.SIGHUP)
        self.wait_ready(old)

    def memory(self) -> dict[str, Any]:
        master = memory_of(self.process.pid)
        workers = [memory_of(pid) for pid in self.workers()]
        every = [master, *workers]
        return {
            "master": master,
            "workers": workers,
            "total_rss_mb": round(sum(m["rss_mb"] for m in every), 1),
            "total_pss_mb": round(sum(m["pss_mb"] for m in every), 1),
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# The workload


@dataclass
class Step:
    page: str
    name: str
    body: dict[str, Any] | None  # None: GET the page's HTML
    path: str = "/_dash-update-component"


@dataclass
class Workload:
    visits: dict[str, list[Step]] = field(default_factory=dict)


def _short(output: str) -> str:
    """A callback's name in the results: its first output, e.g. 'tr-kpis.children'."""
    return renderer.split_output(output)[0][0] + "." + renderer.split_output(output)[0][1]


def plan(client: RendererClient) -> Workload:
    """Each page's visit: its HTML, the router, its callbacks (and, on the first page, the
    shell's), with every export button left alone (they answer a click with a download)."""
    callbacks = [cb for cb in renderer.callbacks(client) if not cb.clientside]
    layouts = renderer.all_layouts(client)
    shell_ids = _ids(client.get("/_dash-layout").get_json())
    router = next(cb for cb in callbacks if cb.output == renderer.ROUTER_OUTPUT)
    workload = Workload()
    for index, path in enumerate(renderer.page_paths(client)):
        page = PAGE_NAMES.get(path, path)
        page_ids = _ids(renderer.page_layout(client, path))
        steps = [
            Step(page, "html", None, path),
            Step(page, "router", renderer.router_body(path)),
        ]
        for callback in callbacks:
            if callback is router or any(dep["property"] == "n_clicks" for dep in callback.inputs):
                continue
            on_shell = _on(callback, shell_ids, layouts)
            if not (on_shell or _on(callback, page_ids, layouts)):
                continue
            if on_shell and index > 0:
                continue
            body = _at(renderer.request_body(callback, layouts), path)
            # A partial update (allow_duplicate, '@'): the Training charts' zoom.
            name = _short(callback.output) + (" zoom" if "@" in callback.output else "")
            steps.append(Step(SHELL if on_shell else page, name, body))
        workload.visits[path] = steps
    return workload


def _deps(body: dict[str, Any]) -> list[dict[str, Any]]:
    deps = []
    for kind in ("inputs", "state"):
        for item in body.get(kind, []):
            deps.extend(item if isinstance(item, list) else [item])
    return deps


def _zoom_range(range_key: str) -> dict[str, str]:
    now = datetime.now(UTC)
    span = RANGE_DAYS[range_key] * 86400 / ZOOM_SHARE
    start = datetime.fromtimestamp(now.timestamp() - span, UTC)
    fmt = "%Y-%m-%d %H:%M:%S"
    return {"xaxis.range[0]": start.strftime(fmt), "xaxis.range[1]": now.strftime(fmt)}


def _is_page_filter(key: tuple[str, str], name: str) -> bool:
    return key[1] == "data" and key[0].startswith("page-") and key[0].endswith(f"-{name}")


def concrete(step: Step, range_key: str, model: str, seen: dict[tuple[str, str], Any]):
    """The step's body for the filters, with values earlier answers gave (as the renderer)."""
    body = copy.deepcopy(step.body)
    for dep in _deps(body):
        key = (renderer.stringify_id(dep["id"]), dep["property"])
        # The shell's selects, or the filters a page shows (its stores: callbacks/router.py).
        if key == ("filter-range", "value") or _is_page_filter(key, "range"):
            dep["value"] = range_key
        elif key == ("filter-model", "value") or _is_page_filter(key, "model"):
            dep["value"] = model
        elif dep["property"] == "getRowsRequest":
            dep["value"] = GRID_REQUEST
        elif dep["property"] == "relayoutData":
            dep["value"] = _zoom_range(range_key)
        elif key in seen:
            dep["value"] = seen[key]
    return body


def _array_length(values: Any) -> int:
    if isinstance(values, list):
        return len(values)
    if isinstance(values, dict) and "bdata" in values:
        shape = values.get("shape")
        if shape:
            return math.prod(int(part) for part in str(shape).split(","))
        size = np.dtype(values.get("dtype", "f8")).itemsize
        return len(base64.b64decode(values["bdata"])) // size
    return 0


def _trace_points(trace: Any) -> int:
    """Points of a trace's longest series: a heatmap's series are its rows (one per y)."""
    if not isinstance(trace, dict):
        return 0
    if trace.get("z") is not None:
        return _array_length(trace.get("x")) or _array_length(trace["z"])
    return max(_array_length(trace.get(axis)) for axis in ("x", "y"))


def figure_points(answer: Any) -> list[list[int]]:
    """Points per trace of every figure (or figure patch) in a callback's answer."""
    figures = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("data"), list) and "layout" in value:
                traces = [_trace_points(trace) for trace in value["data"]]
                figures.append(traces)
                return
            if value.get("__dash_patch_update") is not None:
                patched = [
                    _array_length(op.get("params", {}).get("value"))
                    for op in value.get("operations", [])
                    if op.get("location", [None])[-1] in ("x", "y")
                ]
                figures.append(patched)
                return
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(answer)
    return figures


@dataclass
class Sample:
    page: str
    name: str
    range_key: str
    model: str
    kind: str  # cold or warm
    ms: float
    status: int
    bytes: int
    points: list[list[int]]


def run_step(
    session: requests.Session,
    base: str,
    step: Step,
    range_key: str,
    model: str,
    seen: dict[tuple[str, str], Any],
) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    if step.body is None:
        response = session.get(base + step.path, timeout=REQUEST_TIMEOUT)
    else:
        body = concrete(step, range_key, model, seen)
        response = session.post(base + step.path, json=body, timeout=REQUEST_TIMEOUT)
    elapsed = (time.perf_counter() - started) * 1000
    if step.body is not None and response.status_code == 200:
        answer = response.json().get("response", {})
        for component_id, props in answer.items():
            for prop, value in props.items():
                seen[(component_id, prop)] = value
    return elapsed, response


def measure(
    server: Server,
    workload: Workload,
    ranges: tuple[str, ...],
    models: tuple[str, ...],
    warm_repeats: int,
    errors: list[str],
) -> list[Sample]:
    samples: list[Sample] = []
    for range_key in ranges:
        server.fresh_workers()
        with requests.Session() as session:
            for model in models:
                for steps in workload.visits.values():
                    seen: dict[tuple[str, str], Any] = {}
                    for step in steps:
                        if step.page in (SHELL,) and model != models[0]:
                            continue
                        if step.name in ("html", "router") and model != models[0]:
                            continue
                        for repeat in range(1 + warm_repeats):
                            ms, response = run_step(
                                session, server.url, step, range_key, model, seen
                            )
                            if response.status_code not in (200, 204):
                                errors.append(
                                    f"{step.page} {step.name} {range_key} {model}: "
                                    f"HTTP {response.status_code}"
                                )
                            points = (
                                figure_points(response.json())
                                if step.body is not None and response.status_code == 200
                                else []
                            )
                            samples.append(
                                Sample(
                                    step.page,
                                    step.name,
                                    range_key,
                                    model,
                                    "cold" if repeat == 0 else "warm",
                                    ms,
                                    response.status_code,
                                    len(response.content),
                                    points,
                                )
                            )
    return samples


def latency_stats(values: list[float]) -> dict[str, float]:
    """n, p50, p95 and max of latencies (ms, one decimal); empty for none."""
    if not values:
        return {}
    array = np.asarray(values)
    return {
        "n": len(values),
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
    }


def _points(samples: list[Sample]) -> dict[str, int]:
    traces = [trace for sample in samples for figure in sample.points for trace in figure]
    figures = [sum(figure) for sample in samples for figure in sample.points]
    return {
        "max_per_trace": max(traces, default=0),
        "max_per_figure": max(figures, default=0),
    }


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """Per page, range (and callback): cold and warm latency, bytes and plotted points."""
    grouped: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        grouped[(sample.page, sample.range_key)].append(sample)
    pages: dict[str, Any] = defaultdict(dict)
    for (page, range_key), group in grouped.items():
        by_name: dict[str, list[Sample]] = defaultdict(list)
        for sample in group:
            by_name[sample.name].append(sample)
        pages[page][range_key] = {
            **_summary(group),
            "callbacks": {name: _summary(items) for name, items in sorted(by_name.items())},
        }
    return dict(pages)


def _summary(samples: list[Sample]) -> dict[str, Any]:
    return {
        "cold_ms": latency_stats([s.ms for s in samples if s.kind == "cold"]),
        "warm_ms": latency_stats([s.ms for s in samples if s.kind == "warm"]),
        "bytes": {
            "p50": int(np.percentile([s.bytes for s in samples], 50)),
            "max": max(s.bytes for s in samples),
        },
        "points": _points(samples),
    }


# Chromium


def _settle(driver: Any, url: str) -> float | None:
    """Seconds from navigating to `url` until the page is settled (None: not within 60 s)."""
    driver.get("about:blank")
    started = time.perf_counter()
    driver.get(url)
    deadline = started + 60
    while time.perf_counter() < deadline:
        if driver.execute_script(SETTLED):
            return round(time.perf_counter() - started, 3)
        time.sleep(0.02)
    return None


def settle_times(server: Server, ranges: tuple[str, ...]) -> dict[str, Any]:
    """Seconds from navigation until every chart of each page is drawn: first a new browser's
    first visit (nothing cached: it parses every script), then per range, each page cold
    (fresh workers) and warm (a second visit)."""
    from selenium import webdriver

    options = chromium_options(1600, 1200)
    driver = webdriver.Chrome(options=options)
    results: dict[str, Any] = {"pages": defaultdict(dict)}
    try:
        server.fresh_workers()
        first_page = next(iter(PAGE_NAMES))
        results["first_visit"] = {
            "page": PAGE_NAMES[first_page],
            "s": _settle(driver, f"{server.url}{first_page}?range={ranges[0]}&model=all"),
        }
        for range_key in ranges:
            server.fresh_workers()
            for visit in ("cold", "warm"):
                for path, page in PAGE_NAMES.items():
                    seconds = _settle(driver, f"{server.url}{path}?range={range_key}&model=all")
                    results["pages"][page].setdefault(range_key, {})[f"{visit}_s"] = seconds
    finally:
        driver.quit()
    results["pages"] = dict(results["pages"])
    return results


# Simulator


GENERATE = """
import gc, json, sys, time
import pandas as pd
from simulator import simulate
from simulator.generate import day_plan
from dashboard.data.rollups import build_rollups
from dashboard.data.sources import SimulatorSource
scale = int(sys.argv[1])
now = pd.Timestamp.now(tz="UTC").floor("s")
started = time.perf_counter()
tables = simulate(20261126, scale, now)
generation = time.perf_counter() - started
gc.collect()
refreshes = []
for step in (1, 2, 3):
    started = time.perf_counter()
    simulate(20261126, scale, now + pd.Timedelta(seconds=30 * step))
    refreshes.append(time.perf_counter() - started)
refresh = sorted(refreshes)[1]
source = SimulatorSource(20261126, scale)
started = time.perf_counter()
build_rollups(source.load(now))
rollups = time.perf_counter() - started
rows = {name: len(table) for name, table in tables.items()}
largest = max(rows, key=rows.get)
print(json.dumps({
    "simulate_s": round(generation, 3),
    "refresh_s": round(refresh, 3),
    "rollup_build_s": round(rollups, 3),
    "rows": rows,
    "largest_table": {"name": largest, "rows": rows[largest]},
}))
"""


def generation(scale: int) -> dict[str, Any]:
    """Simulator timings in a fresh process: the full day plan (first load), a refresh (the
    cached plan cut 30 s later; the median of three), and building the rollups."""
    output = subprocess.run(
        [sys.executable, "-c", GENERATE, str(scale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


# Targets


def _worst(summary: dict[str, Any], kind: str, ranges: tuple[str, ...] | None = None) -> float:
    values = [
        callback[kind]["p95"]
        for page, by_range in summary.items()
        if page != SHELL
        for range_key, stats in by_range.items()
        if ranges is None or range_key in ranges
        for callback in stats["callbacks"].values()
        if callback[kind]
    ]
    return max(values, default=float("nan"))


def _worst_callback(summary: dict[str, Any], kind: str) -> str:
    best, where = -1.0, ""
    for page, by_range in summary.items():
        for range_key, stats in by_range.items():
            for name, callback in stats["callbacks"].items():
                if callback[kind] and callback[kind]["p95"] > best:
                    best, where = callback[kind]["p95"], f"{page} {name} {range_key}"
    return where


def _ninety_day_cold(summary: dict[str, Any]) -> float:
    """The sum over callbacks of their cold p50 at 90 days: the cold cost of a 90-day view."""
    return sum(
        callback["cold_ms"]["p50"]
        for page, by_range in summary.items()
        if page != SHELL and "90d" in by_range
        for callback in by_range["90d"]["callbacks"].values()
        if callback["cold_ms"]
    )


def _max_of(summary: dict[str, Any], key: str, field_name: str) -> int:
    return max(
        (stats[key][field_name] for by_range in summary.values() for stats in by_range.values()),
        default=0,
    )


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    scales = report["scales"]
    found = []

    def target(name: str, scale: int | None, measured: float, limit: float, lower=True):
        met = measured <= limit if lower else measured >= limit
        found.append(
            {"target": name, "scale": scale, "measured": measured, "limit": limit, "met": met}
        )

    for scale, result in scales.items():
        optimised = result["modes"].get("optimised")
        if not optimised:
            continue
        summary = optimised["callbacks"]
        warm_limit, cold_limit = (50, 300) if scale == "1" else (100, 1000)
        target("every callback warm p95 (ms)", scale, _worst(summary, "warm_ms"), warm_limit)
        target("every callback cold p95 (ms)", scale, _worst(summary, "cold_ms"), cold_limit)
        target("largest response (KB)", scale, _max_of(summary, "bytes", "max") / 1000, 500)
        target("most points in one trace", scale, _max_of(summary, "points", "max_per_trace"), 2000)
        settle = optimised.get("settle", {})
        settles = [
            times.get(f"{kind}_s")
            for by_range in settle.get("pages", {}).values()
            for times in by_range.values()
            for kind in ("cold", "warm")
        ]
        if settles and scale == "1":
            worst = max((s for s in settles if s is not None), default=float("nan"))
            missing = any(s is None for s in settles)
            target("page settle (s)", scale, float("inf") if missing else worst, 1.0)
            first = settle.get("first_visit", {}).get("s")
            target(
                "first visit, empty browser cache (s)",
                scale,
                float("inf") if first is None else first,
                1.0,
            )
        if scale == "1":
            target("simulator generation (s)", scale, result["generation"]["simulate_s"], 2.0)
            target(
                "PSS master + workers (MB)",
                scale,
                optimised["memory"]["after_workload"]["total_pss_mb"],
                600,
            )
        if scale == "20":
            largest = result["generation"]["largest_table"]["rows"]
            target("rows in the largest table", scale, largest, 10_000_000, lower=False)
            naive = result["modes"].get("naive")
            if naive:
                ratio = result["ratios"]["warm_p95_overall"]
                target("naive / optimised warm p95", scale, ratio, 5, lower=False)
    if "1" in scales and "20" in scales:
        one = _ninety_day_cold(scales["1"]["modes"]["optimised"]["callbacks"])
        twenty = _ninety_day_cold(scales["20"]["modes"]["optimised"]["callbacks"])
        target("90-day cold cost, scale 20 / scale 1", None, round(twenty / one, 2), 3)
    return found


def ratios(optimised: list[Sample], naive: list[Sample]) -> dict[str, Any]:
    """naive / optimised latency p95 (cold and warm) and bytes, on the naive workload."""
    kept = {(s.page, s.name, s.range_key, s.model) for s in naive}
    same = [s for s in optimised if (s.page, s.name, s.range_key, s.model) in kept]
    pages: dict[str, Any] = defaultdict(dict)
    for page in sorted({s.page for s in naive}):
        for range_key in RANGES:
            o = [s for s in same if s.page == page and s.range_key == range_key]
            n = [s for s in naive if s.page == page and s.range_key == range_key]
            if o and n:
                pages[page][range_key] = _ratio_of(o, n)
    return {
        "warm_p95_overall": _ratio_of(same, naive)["warm_p95"],
        "cold_p95_overall": _ratio_of(same, naive)["cold_p95"],
        "pages": dict(pages),
    }


def _ratio_of(optimised: list[Sample], naive: list[Sample]) -> dict[str, float]:
    def p95(samples: list[Sample], kind: str) -> float:
        values = [s.ms for s in samples if s.kind == kind]
        return float(np.percentile(values, 95)) if values else float("nan")

    def divide(a: float, b: float) -> float:
        return round(a / b, 2) if b else float("nan")

    return {
        "warm_p95": divide(p95(naive, "warm"), p95(optimised, "warm")),
        "cold_p95": divide(p95(naive, "cold"), p95(optimised, "cold")),
        "bytes_max": divide(max(s.bytes for s in naive), max(s.bytes for s in optimised)),
    }


# Main


def run_mode(
    scale: int,
    naive: bool,
    ranges: tuple[str, ...],
    models: tuple[str, ...],
    warm_repeats: int,
    settle_ranges: tuple[str, ...],
    log_dir: Path,
) -> tuple[dict[str, Any], list[Sample]]:
    server = Server(scale, NAIVE_ENV if naive else {}, log_dir)
    errors: list[str] = []
    try:
        startup = server.wait_ready()
        after_start = server.memory()
        with requests.Session() as session:
            workload = plan(RendererClient(session, server.url, REQUEST_TIMEOUT))
        started = time.monotonic()
        samples = measure(server, workload, ranges, models, warm_repeats, errors)
        workload_s = time.monotonic() - started
        after_workload = server.memory()
        settle = settle_times(server, settle_ranges) if settle_ranges else {}
    finally:
        server.stop()
    result = {
        "startup_s": round(startup, 2),
        "workload_s": round(workload_s, 1),
        "models": list(models),
        "ranges": list(ranges),
        "warm_repeats": warm_repeats,
        "requests": len(samples),
        "errors": errors,
        "memory": {"after_start": after_start, "after_workload": after_workload},
        "callbacks": summarise(samples),
        "settle": settle,
    }
    return result, samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="scale 1, 30d and all, two models")
    parser.add_argument("--scales", default=None, help="comma-separated, default 1,5,20")
    parser.add_argument(
        "--naive-models",
        default="all,threat_detection",
        help="model types of the naive workload (it recomputes everything: slow at scale)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scales = tuple(int(s) for s in args.scales.split(",")) if args.scales else SCALES
    ranges, models, warm_repeats = RANGES, MODELS, 2
    naive_models = tuple(args.naive_models.split(","))
    if args.quick:
        scales = (1,) if not args.scales else scales
        ranges, models, naive_models = ("30d", "all"), ("all", "threat_detection"), ("all",)
    started = time.monotonic()
    report: dict[str, Any] = {
        "command": "python -m benchmarks.perf" + (" --quick" if args.quick else ""),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
        },
        "definitions": {
            "cold": "first request of a callback for a range and model in a freshly forked "
            "worker (SIGHUP before each range; data and rollups already loaded in the master)",
            "warm": "the same request repeated on the same keep-alive connection (same worker)",
            "settle": "navigation until no component is loading and every chart has data or "
            "an empty-state message (headless Chromium, 1600x1200); cold right after a SIGHUP "
            "(the browser already holds the scripts), warm on a second visit",
            "first_visit": "settle of the first page a new browser opens, right after a "
            "SIGHUP: nothing cached, every script downloaded and compiled",
            "refresh": "DASHBOARD_REFRESH_SECONDS=0 during the run; refresh_s is the cost of "
            "the next 30-second snapshot (the cached day plan cut at the new moment)",
            "naive": "DASHBOARD_CACHE_TYPE=NullCache DASHBOARD_DOWNSAMPLE=0",
            "points": "values per trace (x, y or z) in each figure or zoom patch sent",
        },
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        log_dir = Path(scratch)
        for scale in scales:
            print(f"scale {scale}: simulator", flush=True)
            result: dict[str, Any] = {"generation": generation(scale), "modes": {}}
            print(f"scale {scale}: optimised", flush=True)
            optimised, optimised_samples = run_mode(
                scale, False, ranges, models, warm_repeats, ("30d", "all"), log_dir
            )
            result["modes"]["optimised"] = optimised
            print(f"scale {scale}: naive", flush=True)
            naive, naive_samples = run_mode(scale, True, ranges, naive_models, 1, ("30d",), log_dir)
            result["modes"]["naive"] = naive
            result["ratios"] = ratios(optimised_samples, naive_samples)
            report["scales"][str(scale)] = result
    report["targets"] = targets(report)
    report["duration_s"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    for item in report["targets"]:
        mark = "met" if item["met"] else "MISSED"
        print(
            f"{mark:6} scale {item['scale']}: {item['target']}: {item['measured']} "
            f"(limit {item['limit']})"
        )
    print(f"{report['duration_s']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
