"""Data-tier benchmark: the dashboard as deployed, per data scale, against the issue's targets.

Benchmarks
----------

    .venv/bin/python -m benchmarks.data_tier                     # scales 1 and 20
    .venv/bin/python -m benchmarks.data_tier --scales 1 20 100   # the issue's three scales
    .venv/bin/python -m benchmarks.data_tier --quick             # scale 1, fewer repeats

(from the repository root, on a quiet machine: every figure is a latency or a memory size).
It writes benchmarks/results/data_tier.json (--out) and prints a table of the issue's targets,
each with its measured figure, its limit and whether it is met (`null`, "not run", where that
scale was not measured), then the main figures per scale. `--skip day-change postgresql` leaves
those parts out. On a 2-core machine a scale takes its first ingest, about 3 minutes of
latency passes and the 4.5-minute day change (scale 5: 7.5 minutes); PostgreSQL adds about
1.5 minutes; --quick takes about 5 minutes.

Every server is `gunicorn -c gunicorn.conf.py` with the production defaults (two workers, the
ingest process, live refresh every 30 s, workers recycled at gunicorn.conf.py's max_requests),
on a free 127.0.0.1 port; none of the caller's DASHBOARD_*, GUNICORN_* or WEB_CONCURRENCY
variables is passed on. Per scale:

1. First ingest, into a fresh DASHBOARD_DATA_DIR in a temporary directory: seconds from starting
   gunicorn until manifest.json holds a first generation (`first_generation_s`), the ingest's
   own time for that read (its log line), until /ready answers 200; the store's size on disk.
2. Latency over HTTP: every page's visit as Dash's renderer sends it (benchmarks.perf.plan: the
   page's HTML, the pages router, the shell's and the page's callbacks, with the bodies built
   from /_dash-dependencies and the layouts), for every range and both MODELS, each request
   sent 1 + repeats times in a row. Each worker has a keep-alive connection of its own and gets
   every step, one request at a time. First a SIGHUP before each range (fresh workers: their
   very first requests are these), then a pass over every range right after the ingest
   publishes its next generation.
3. Memory: PSS (/proc/PID/smaps_rollup, so that shared pages count once in a sum) of the master
   and its workers after that traffic, and apart that of the ingest process, with its peak
   (sampled every 2 s) since it grows while it reads.
4. PostgreSQL (scale 1 only): the scale-1 store's tables (its Parquet files, as its manifest
   lists them) loaded into a throwaway PostgreSQL (tests/postgres.py), gunicorn on
   DASHBOARD_DATA_SOURCE=<its URL>, latency measured as in 2 (the generation does not change).
5. Day change: the scale's server restarted on its store with GUNICORN_MAX_REQUESTS=200 (jitter
   20), so that workers recycle, and DASHBOARD_SIM_CLOCK_START set so that traffic starts two
   minutes before a UTC midnight; steady traffic (a step every 0.25 s, to each worker in turn)
   until two minutes after it: the slowest request, the recycles, PSS at start and at end.

Definitions (also in the JSON):

- Worker and generation of a request: after each step's requests the client asks /ready on the
  same connection (data.pid, data.generation). A step whose requests may have straddled a
  publication is `unclassified`, but for its first request when that was a first one in either
  generation (cold).
- Cold: the first request of a step (page, callback, range, model) on a worker in a generation:
  `fresh_worker` in the generation a worker started serving in, `new_generation` after it;
  `right_after_publish` within 10 s of the publication. Warm: the same request again on that
  worker in that generation. Queries are shared between callbacks, as in a browser: a later
  callback may find what an earlier one computed.
- Latency: client side, from sending a request to having read its whole answer, on loopback.
  Every request counts, first ones included; the /ready probes are reported apart.
- PSS growth over the day change, master + workers: the median of the samples (every 2 s) in
  the last 60 s of traffic against the median of those from 30 s to 90 s after it started.

Bounded: loopback only; every request has a timeout, every loop a count and a deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests

from benchmarks.deployed import PRODUCTION, ROOT, Deployment, Monitor, polls, store_size
from benchmarks.load import RendererClient
from benchmarks.perf import RANGES, Workload, latency_stats, plan
from benchmarks.traffic import Driver, Probe, Sample, run_pass, skipped
from dashboard.data.manifest import read_manifest

RESULTS = ROOT / "benchmarks" / "results" / "data_tier.json"
DEFAULT_SCALES = (1, 20)
MODELS = ("all", "threat_detection")
RECYCLING = {"GUNICORN_MAX_REQUESTS": "200", "GUNICORN_MAX_REQUESTS_JITTER": "20"}
REQUEST_TIMEOUT = 120.0
RIGHT_AFTER_PUBLISH = 10.0  # s: a cold request this soon after its generation appeared
SLOW_MS = 1000.0
DAY_CHANGE = {"before_s": 120.0, "after_s": 120.0, "step_interval_s": 0.25}
QUICK_DAY_CHANGE = {"before_s": 60.0, "after_s": 60.0, "step_interval_s": 0.25}
# The day change's PSS at start and at end: medians of the samples (every 2 s) in these
# windows, long enough to smooth the saw-tooth of recycled workers.
PSS_START = (30.0, 90.0)  # s after traffic starts
PSS_END = 60.0  # s before traffic ends


# Summaries


def stats(values: list[float]) -> dict[str, Any]:
    """`latency_stats`, with n: 0 for none, so that every summary has a count."""
    return {"n": 0, **latency_stats(values)}


def _kinds(samples: list[Sample]) -> dict[str, Any]:
    cold = [s for s in samples if s.kind == "cold"]
    after_publish = [
        s
        for s in cold
        if s.cause == "new_generation"
        and s.since_publish is not None
        and s.since_publish <= RIGHT_AFTER_PUBLISH
    ]
    return {
        "all": stats([s.ms for s in samples]),
        "cold": stats([s.ms for s in cold]),
        "warm": stats([s.ms for s in samples if s.kind == "warm"]),
        "cold_fresh_worker": stats([s.ms for s in cold if s.cause == "fresh_worker"]),
        "cold_new_generation": stats([s.ms for s in cold if s.cause == "new_generation"]),
        "cold_right_after_publish": stats([s.ms for s in after_publish]),
        "unclassified": stats([s.ms for s in samples if s.kind == "unclassified"]),
    }


def _short(sample: Sample) -> dict[str, Any]:
    return {
        "page": sample.page,
        "callback": sample.name,
        "range": sample.range_key,
        "model": sample.model,
        "ms": round(sample.ms, 1),
        "kind": sample.kind,
        "cause": sample.cause,
        "worker": sample.worker,
        "generation": sample.generation,
        "at_s": sample.at,
        "status": sample.status,
        "bytes": sample.size,
        "error": sample.error,
    }


def latency_summary(samples: list[Sample], probes: list[Probe]) -> dict[str, Any]:
    """Cold and warm latency overall, per range, per page and range, per callback; counts."""
    by_range = {r: _kinds([s for s in samples if s.range_key == r]) for r in RANGES}
    pages: dict[str, dict[str, Any]] = defaultdict(dict)
    for page in sorted({s.page for s in samples}):
        for range_key in RANGES:
            chosen = [s for s in samples if s.page == page and s.range_key == range_key]
            if chosen:
                pages[page][range_key] = {
                    kind: stats([s.ms for s in chosen if s.kind == kind])
                    for kind in ("cold", "warm")
                }
    callbacks = {}
    for page, name in sorted({(s.page, s.name) for s in samples}):
        chosen = [s for s in samples if s.page == page and s.name == name]
        callbacks[f"{page} {name}"] = {
            "cold": stats([s.ms for s in chosen if s.kind == "cold"]),
            "warm": stats([s.ms for s in chosen if s.kind == "warm"]),
            "bytes_max": max(s.size for s in chosen),
        }
    workers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sample in samples:
        counts = workers[str(sample.worker)]
        counts["requests"] += 1
        counts[sample.kind] += 1
    errors = [s for s in samples if s.error]
    firsts: dict[int, Sample] = {}
    for sample in samples:
        if sample.worker is not None:
            firsts.setdefault(sample.worker, sample)
    return {
        "requests": len(samples),
        "errors": len(errors),
        "retried": sum(s.retried for s in samples),
        "overall": _kinds(samples),
        "by_range": by_range,
        "by_page": dict(pages),
        "by_callback": callbacks,
        "by_worker": {pid: dict(counts) for pid, counts in workers.items()},
        "first_request_of_each_worker": [_short(s) for s in firsts.values()],
        "slowest": [_short(s) for s in sorted(samples, key=lambda s: -s.ms)[:15]],
        "first_errors": [_short(s) for s in errors[:20]],
        "probes": {"n": len(probes), **stats([p.ms for p in probes])},
    }


def raw_samples(samples: list[Sample]) -> dict[str, Any]:
    """Every request as one row (columns named once): the figures behind every statistic."""
    columns = [name for name in Sample.__dataclass_fields__ if name != "phase"]
    rows = []
    for sample in samples:
        values = asdict(sample)
        values["ms"] = round(values["ms"], 2)
        rows.append([values[name] for name in columns])
    return {"columns": columns, "rows": rows}


# Phases


def _planned(server: Deployment) -> Workload:
    with requests.Session() as session:
        return plan(RendererClient(session, server.url, REQUEST_TIMEOUT))


def serve_and_measure(
    server: Deployment,
    ranges: tuple[str, ...],
    models: tuple[str, ...],
    repeats: int,
    after_publish: bool,
) -> dict[str, Any]:
    """First ingest, latency in fresh workers (and right after a publication), then memory."""
    result: dict[str, Any] = {"settings": server.settings}
    with Monitor(server) as monitor:
        first_s, manifest = server.wait_first_generation()
        ready_s = server.wait_serving()
        store = server.store_dir()
        runs = server.ingest_runs()
        result["first_ingest"] = {
            "first_generation_s": round(first_s, 2),
            "ingest_read_s": runs[0]["seconds"] if runs else None,
            "ready_s": round(ready_s, 2),
            "generation": manifest.generation,
            "as_of": manifest.as_of,
        }
        result["store_after_first_ingest"] = store_size(store, manifest)
        result["memory_at_ready"] = server.memory()
        workload = _planned(server)
        traffic_start = server.elapsed()
        driver = Driver(server, monitor, workload)
        passes = []
        for range_key in ranges:  # new workers for each range, as perf.py does
            driver.close()
            forked = server.fresh_workers()
            passes.append(run_pass(driver, "fresh_workers", (range_key,), models, repeats))
            passes[-1]["forked_workers"] = forked
        if after_publish:
            waited = monitor.wait_for_generation_after(monitor.generation(), 90.0)
            passes.append(run_pass(driver, "after_publish", ranges, models, repeats))
            passes[-1]["waited_for_a_new_generation"] = waited
        driver.close()
        result["memory"] = {
            "after_traffic": server.memory(),
            "traffic_max": {
                key: max(monitor.memory_between(traffic_start, server.elapsed(), key), default=None)
                for key in ("serving_mb", "ingest_mb")
            },
            "ingest_max_since_start_mb": max(item["ingest_mb"] for item in monitor.memory),
        }
        result["passes"] = passes
        result["latency"] = latency_summary(driver.samples, driver.probes)
        result["missed_steps"] = driver.missed_steps
        result["connections_opened"] = driver.connections
        result["generations"] = [
            {"at_s": round(at, 2), "generation": g, "as_of": as_of}
            for at, _, g, as_of in monitor.publishes
        ]
        manifest = server.manifest()
        result["store_at_end"] = store_size(store, manifest)
    result["ingest_runs"] = _ingest_summary(server.ingest_runs())
    result["samples"] = raw_samples(driver.samples)
    return result


def _ingest_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    later = [run["seconds"] for run in runs[1:]]
    return {
        "first_s": runs[0]["seconds"] if runs else None,
        "refresh": stats(later),
        "runs": runs,
    }


def _sim_clock(
    server: Deployment, monitor: Monitor, clock_start: pd.Timestamp
) -> tuple[float, pd.Timestamp]:
    """(wall time, simulated time) at one instant: the start of this server's first read, from
    the time its manifest appeared and the read's duration in the ingest's log."""
    for _ in polls(10.0, 0.1):  # the watcher sees a publication within 0.1 s
        found = [item for item in monitor.publishes if pd.Timestamp(item[3]) >= clock_start]
        if found:
            break
    else:
        raise RuntimeError(f"{server.name}: no generation of this clock seen")
    _, wall, generation, as_of = found[0]
    runs = [run for run in server.ingest_runs() if run["generation"] == generation]
    return wall - (runs[0]["seconds"] if runs else 0.0), pd.Timestamp(as_of)


def steady_traffic(
    driver: Driver,
    models: tuple[str, ...],
    interval: float,
    until: Callable[[], bool],
    seconds: float,
) -> None:
    """Page visits in turn (every range and model), a step to a worker every `interval`
    seconds, until `until()` or for at most `seconds`."""
    visits = driver.workload.visits
    views = [(r, m, path) for r in RANGES for m in models for path in visits]
    deadline = time.monotonic() + seconds
    next_at = time.monotonic()
    for count in range(int(seconds / interval) + 1):
        range_key, model, path = views[count % len(views)]
        seen: dict[int, dict] = defaultdict(dict)
        for step in visits[path]:
            if skipped(step, model, models):
                continue
            for target in driver.targets():
                if until() or time.monotonic() >= deadline:
                    return
                driver.send(target, step, range_key, model, seen[target], 1, "day_change")
                next_at = max(next_at + interval, time.monotonic() - interval)
                time.sleep(max(0.0, next_at - time.monotonic()))


def day_change(
    scale: int,
    store_of: Path,
    scratch: Path,
    lead_s: float,
    plan_: dict[str, float],
    models: tuple[str, ...],
) -> dict[str, Any]:
    """Steady traffic across a simulated UTC midnight, with workers recycling: a restart on the
    store in `store_of` (its history read, only the days since its last read left to read),
    the clock set so that traffic can start `before_s` before midnight after `lead_s`."""
    before, after, interval = plan_["before_s"], plan_["after_s"], plan_["step_interval_s"]
    now = pd.Timestamp.now(tz="UTC")
    midnight = (now + pd.Timedelta(seconds=lead_s + before)).floor("D") + pd.Timedelta(days=1)
    clock_start = midnight - pd.Timedelta(seconds=lead_s + before)
    env = {
        "DASHBOARD_SIM_SCALE": str(scale),
        "DASHBOARD_SIM_CLOCK_START": clock_start.isoformat(),
        **RECYCLING,
    }
    server = Deployment(f"day-change-{scale}", scratch, env, data_dir=store_of)
    try:
        with Monitor(server) as monitor:
            first_s, _ = server.wait_first_generation(after=clock_start)
            ready_s = server.wait_serving()
            workload = _planned(server)
            wall0, sim0 = _sim_clock(server, monitor, clock_start)

            def sim_now() -> pd.Timestamp:
                return sim0 + pd.Timedelta(seconds=time.time() - wall0)

            start_at = midnight - pd.Timedelta(seconds=before)
            idle = max(0.0, (start_at - sim_now()).total_seconds())
            time.sleep(min(idle, lead_s))
            initial_workers = set(server.workers())
            driver = Driver(server, monitor, workload)
            traffic_start, sim_start = server.elapsed(), sim_now()
            end_sim = midnight + pd.Timedelta(seconds=after)
            steady_traffic(
                driver, models, interval, lambda: sim_now() >= end_sim, before + after + 120
            )
            traffic_end, sim_end = server.elapsed(), sim_now()
            driver.close()
            memory_end = server.memory()
            publishes = list(monitor.publishes)
            first_seen = dict(monitor.first_seen)
            series = list(monitor.memory)
            start_window = (traffic_start + PSS_START[0], traffic_start + PSS_START[1])
            pss = {
                key: _growth(
                    monitor.memory_between(*start_window, key),
                    monitor.memory_between(traffic_end - PSS_END, traffic_end, key),
                )
                for key in ("serving_mb", "master_mb", "ingest_mb")
            }
    finally:
        server.stop()
    samples = driver.samples

    def to_midnight(at: float) -> float:
        return round((sim_start - midnight).total_seconds() + (at - traffic_start), 1)

    slowest = max(samples, key=lambda s: s.ms) if samples else None
    recycled = {pid: at for pid, at in first_seen.items() if pid not in initial_workers}
    first_requests = []
    for pid in sorted(recycled):
        mine = [s for s in samples if s.worker == pid]
        if mine:
            first_requests.append({**_short(mine[0]), "worker_seen_at_s": round(recycled[pid], 1)})
    as_ofs = [t for t in (pd.Timestamp(item[3]) for item in publishes) if t >= clock_start]
    return {
        "settings": server.settings,
        "store": "the scale's store, read again from its last settled moment (a restart)",
        "midnight": midnight.isoformat(),
        "clock_start": clock_start.isoformat(),
        "first_generation_s": round(first_s, 2),
        "ready_s": round(ready_s, 2),
        "traffic": {
            "started_s": round(traffic_start, 1),
            "duration_s": round(traffic_end - traffic_start, 1),
            "sim_start_to_midnight_s": round((sim_start - midnight).total_seconds(), 1),
            "sim_end_after_midnight_s": round((sim_end - midnight).total_seconds(), 1),
            "step_interval_s": interval,
            "requests": len(samples),
            "probes": len(driver.probes),
            "errors": sum(bool(s.error) for s in samples),
            "retried": sum(s.retried for s in samples),
            "slower_than_1s": sum(s.ms > SLOW_MS for s in samples),
        },
        "crossed_midnight": bool(as_ofs) and min(as_ofs) < midnight <= max(as_ofs),
        "slowest_request": None
        if slowest is None
        else {**_short(slowest), "s_from_midnight": to_midnight(slowest.at)},
        "slowest_probe_ms": round(max((p.ms for p in driver.probes), default=0.0), 1),
        "latency": _kinds(samples),
        "slowest": [
            {**_short(s), "s_from_midnight": to_midnight(s.at)}
            for s in sorted(samples, key=lambda s: -s.ms)[:10]
        ],
        "recycles": {
            "happened": bool(recycled),
            "new_workers": len(recycled),
            "first_request_of_each_new_worker": first_requests,
        },
        "pss": pss,
        "memory_at_end": memory_end,
        "memory_series": series,
        "generations": [
            {"at_s": round(at, 2), "generation": g, "as_of": as_of} for at, _, g, as_of in publishes
        ],
        "ingest_runs": _ingest_summary(server.ingest_runs()),
        "samples": raw_samples(samples),
    }


def _growth(start: list[float], end: list[float]) -> dict[str, Any]:
    if not start or not end:
        return {"start_mb": None, "end_mb": None, "growth_pct": None}
    first, last = float(np.median(start)), float(np.median(end))
    return {
        "start_mb": round(first, 1),
        "end_mb": round(last, 1),
        "growth_pct": round((last - first) / first * 100, 1) if first else None,
    }


def postgresql(
    store: Path, scratch: Path, ranges: tuple[str, ...], models: tuple[str, ...], repeats: int
) -> dict[str, Any]:
    """The scale-1 store's tables in a throwaway PostgreSQL, queried in place by gunicorn."""
    from simulator.schema import TABLES
    from tests.postgres import PostgresServer, load_tables

    manifest = read_manifest(store)
    tables = {
        name: pd.concat(
            [pd.read_parquet(store / part.file) for part in manifest.tables[name]],
            ignore_index=True,
        )
        for name in TABLES
        if name in manifest.tables
    }
    rows = {name: len(frame) for name, frame in tables.items()}
    with PostgresServer() as database:
        started = time.monotonic()
        load_tables(database.url, tables)
        load_s = time.monotonic() - started
        del tables
        server = Deployment("postgresql", scratch, {"DASHBOARD_DATA_SOURCE": database.url})
        try:
            result = serve_and_measure(server, ranges, models, repeats, after_publish=False)
        finally:
            server.stop()
    result["settings"] = {**server.settings, "DASHBOARD_DATA_SOURCE": "postgresql://…(local)"}
    result["loaded"] = {"rows": rows, "load_s": round(load_s, 1), "as_of": manifest.as_of}
    return result


# Targets


def _get(report: dict[str, Any], *path: str) -> Any:
    value: Any = report
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _worst_range(result: dict[str, Any] | None, kind: str) -> tuple[float | None, str | None]:
    if not result:
        return None, None
    found = [(stats_[kind].get("p95"), r) for r, stats_ in result["latency"]["by_range"].items()]
    found = [(p95, r) for p95, r in found if p95 is not None]
    return max(found) if found else (None, None)


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: the measured figure, the limit, met (None: not measured)."""
    scales = report["scales"]
    rows: list[dict[str, Any]] = []

    def add(name: str, scale: int, measured: float | None, limit: float, unit: str, **more):
        met = None if measured is None else bool(measured <= limit)
        rows.append(
            {"target": name, "scale": scale, "measured": measured, "limit": limit,
             "unit": unit, "met": met, **more}
        )  # fmt: skip

    serving = ("memory", "after_traffic", "pss_master_and_workers_mb")
    add("PSS master + 2 workers", 20, _get(scales, "20", *serving), 1500, "MB")
    add("first ingest", 100, _get(scales, "100", "first_ingest", "first_generation_s"), 600, "s")
    add("PSS master + 2 workers", 100, _get(scales, "100", *serving), 2500, "MB")
    worst, where = _worst_range(scales.get("100"), "warm")
    add("warm p95 (worst range)", 100, worst, 100, "ms", range=where)
    for range_key in RANGES:
        cold = _get(scales, "100", "latency", "by_range", range_key, "cold", "p95")
        add(f"cold p95, range {range_key}", 100, cold, 1000, "ms")
    measured = sorted({1, 20, *map(int, scales)})
    for scale in measured:
        change = _get(scales, str(scale), "day_change")
        slowest = _get(change or {}, "slowest_request", "ms")
        add("day change + recycling: slowest request", scale, slowest, 1000, "ms",
            recycled=_get(change or {}, "recycles", "happened"),
            crossed_midnight=_get(change or {}, "crossed_midnight"))  # fmt: skip
        growth = _get(change or {}, "pss", "serving_mb", "growth_pct")
        add("day change + recycling: PSS growth", scale, growth, 10, "%")
    overall = ("latency", "overall")
    add("cold p95 over HTTP, first requests counted", 1,
        _get(scales, "1", *overall, "cold", "p95"), 200, "ms")  # fmt: skip
    add("warm p95 over HTTP", 1, _get(scales, "1", *overall, "warm", "p95"), 30, "ms")
    add("PostgreSQL cold p95", 1, _get(report, "postgresql", *overall, "cold", "p95"), 1000, "ms")
    return rows


# The report


def machine() -> dict[str, Any]:
    meminfo = dict(
        (line.split(":")[0], int(line.split()[1]))
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.split()[1].isdigit()
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpus": os.cpu_count(),
        "memory_total_mb": round(meminfo["MemTotal"] / 1024),
        "memory_available_mb": round(meminfo.get("MemAvailable", 0) / 1024),
        "load_average": _load(),
        "other_gunicorn_processes": _other_gunicorns(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _other_gunicorns() -> int:
    """Processes of other gunicorn servers on this machine (a busy machine skews the figures)."""
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"gunicorn" in cmdline.read_bytes():
                count += 1
        except OSError:
            continue
    return count


def git() -> dict[str, Any]:
    def run(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout

    changed = [line[3:] for line in run("status", "--porcelain").splitlines() if line]
    return {
        "commit": run("rev-parse", "HEAD").strip(),
        "branch": run("rev-parse", "--abbrev-ref", "HEAD").strip(),
        "uncommitted_changes": changed,
    }


def gunicorn_defaults() -> dict[str, int]:
    """The recycling defaults gunicorn.conf.py sets, read from its text."""
    text = (ROOT / "gunicorn.conf.py").read_text()
    found = re.findall(r'_env_int\("(GUNICORN_MAX_REQUESTS(?:_JITTER)?)", (\d+)\)', text)
    return {name: int(value) for name, value in found}


DEFINITIONS = {
    "first_generation_s": "from starting gunicorn to manifest.json holding a first generation",
    "ingest_read_s": "the ingest's own time for that first read (its log line)",
    "ready_s": "from starting gunicorn to /ready answering 200 with both workers running",
    "pss": "proportional set size from /proc/PID/smaps_rollup: shared pages count once in a sum",
    "worker_and_generation": "from /ready on the same keep-alive connection right after the "
    "step's requests; a step that may have straddled a publication is unclassified but its "
    "first request when that is a first one in either generation",
    "cold": "the first request of a step (page, callback, range, model) on a worker in a "
    "generation: fresh_worker in the generation the worker started serving in (after a "
    "SIGHUP), new_generation after a publication; right_after_publish: within "
    f"{RIGHT_AFTER_PUBLISH:.0f} s of it",
    "warm": "the same request again on the same worker in the same generation",
    "latency": "client side, request sent to answer read, loopback, one request at a time",
    "day_change_pss_growth": "master + workers: median of the samples (every 2 s) in the last "
    "60 s of traffic against the median of those from 30 s to 90 s after traffic started",
    "day_change_store": "the scale's store from its first start, read again by a restart from "
    "its last settled moment on (the clock jumps ahead to the next midnight)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", help="default: 1 20 (--quick: 1)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter day change")
    parser.add_argument(
        "--skip", nargs="+", default=[], choices=("day-change", "postgresql"), metavar="PART"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scales = tuple(args.scales or ((1,) if args.quick else DEFAULT_SCALES))
    repeats = 1 if args.quick else 2
    day_plan = QUICK_DAY_CHANGE if args.quick else DAY_CHANGE
    started = time.monotonic()
    report: dict[str, Any] = {
        "command": "python -m benchmarks.data_tier " + " ".join(argv or sys.argv[1:]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git(),
        "settings": {
            "scales": list(scales),
            "quick": args.quick,
            "ranges": list(RANGES),
            "models": list(MODELS),
            "repeats_after_first": repeats,
            "server": PRODUCTION,
            "gunicorn_conf_defaults": gunicorn_defaults(),
            "day_change": {**day_plan, **RECYCLING},
            "skipped": args.skip,
        },
        "definitions": DEFINITIONS,
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-data-tier-") as scratch_name:
        scratch = Path(scratch_name)
        for scale in scales:
            print(f"scale {scale}: first ingest, latency, memory", flush=True)
            load_before = os.getloadavg()
            server = Deployment(f"scale-{scale}", scratch, {"DASHBOARD_SIM_SCALE": str(scale)})
            try:
                result = serve_and_measure(server, RANGES, MODELS, repeats, after_publish=True)
            finally:
                server.stop()
            report["scales"][str(scale)] = result
            result["load_average"] = {"before": _load(load_before), "after": _load()}
            _progress(scale, result)
            if scale == 1 and "postgresql" not in args.skip:
                print("scale 1: PostgreSQL", flush=True)
                report["postgresql"] = postgresql(
                    server.store_dir(), scratch, RANGES, MODELS, repeats
                )
            if "day-change" not in args.skip:
                print(f"scale {scale}: day change", flush=True)
                result["day_change"] = day_change(
                    scale, server.data_dir, scratch, restart_estimate(result), day_plan, MODELS
                )
    report["targets"] = targets(report)
    report["machine"]["load_average_at_end"] = _load()
    report["duration_s"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(report) + "\n")
    print_summary(report)
    print(f"{report['duration_s']} s -> {args.out}")
    return 0


def restart_estimate(result: dict[str, Any]) -> float:
    """Seconds from the simulated clock's start (the ingest process's) to traffic, for a restart
    on an existing store: the first start's time from its first read to serving, one refresh
    (what a restart reads), a few seconds to plan the visits."""
    first = result["first_ingest"]
    refresh = result["ingest_runs"]["refresh"].get("p50") or first["ingest_read_s"] or 0.0
    return max(5.0, first["ready_s"] - first["first_generation_s"] + refresh + 5.0)


def dumps(report: dict[str, Any]) -> str:
    """The report as indented JSON, but each raw sample on one line of its own."""
    tables: list[list] = []

    def hoist(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"columns", "rows"}:
                tables.append(value["rows"])
                return {"columns": value["columns"], "rows": f"@rows{len(tables) - 1}@"}
            return {key: hoist(item) for key, item in value.items()}
        if isinstance(value, list):
            return [hoist(item) for item in value]
        return value

    text = json.dumps(hoist(report), indent=1)
    for index, rows in enumerate(tables):
        lines = ",\n".join(json.dumps(row, separators=(",", ":")) for row in rows)
        text = text.replace(f'"@rows{index}@"', f"[\n{lines}\n]" if rows else "[]", 1)
    return text


def _load(values: tuple[float, ...] | None = None) -> list[float]:
    """The load average (1, 5, 15 minutes): above the core count, the figures are inflated."""
    return [round(value, 2) for value in (values or os.getloadavg())]


def _progress(scale: int, result: dict[str, Any]) -> None:
    overall = result["latency"]["overall"]
    print(
        f"  first generation {result['first_ingest']['first_generation_s']} s, "
        f"PSS {result['memory']['after_traffic']['pss_master_and_workers_mb']} MB, "
        f"cold p95 {overall['cold'].get('p95')} ms, warm p95 {overall['warm'].get('p95')} ms",
        flush=True,
    )


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def print_summary(report: dict[str, Any]) -> None:
    print(f"\n{'target':48} {'scale':>5} {'measured':>10} {'limit':>7}  met")
    for row in report["targets"]:
        met = {True: "yes", False: "NO", None: "not run"}[row["met"]]
        print(
            f"{row['target']:48} {row['scale']:>5} {_cell(row['measured']):>10} "
            f"{row['limit']:>7}  {met}"
        )
    print(
        f"\n{'scale':>5} {'1st gen s':>9} {'store MB':>8} {'PSS MB':>7} {'+ingest':>7} "
        f"{'cold p95':>8} {'warm p95':>8} {'day: max ms':>11} {'PSS %':>6}"
    )
    for scale, result in report["scales"].items():
        memory = result["memory"]["after_traffic"]
        overall = result["latency"]["overall"]
        change = result.get("day_change") or {}
        print(
            f"{scale:>5} {result['first_ingest']['first_generation_s']:>9} "
            f"{result['store_after_first_ingest']['total_mb']:>8} "
            f"{memory['pss_master_and_workers_mb']:>7} {memory['pss_with_ingest_mb']:>7} "
            f"{_cell(overall['cold'].get('p95')):>8} {_cell(overall['warm'].get('p95')):>8} "
            f"{_cell(_get(change, 'slowest_request', 'ms')):>11} "
            f"{_cell(_get(change, 'pss', 'serving_mb', 'growth_pct')):>6}"
        )
    if "postgresql" in report:
        overall = report["postgresql"]["latency"]["overall"]
        print(
            f"PostgreSQL (scale 1): cold p95 {overall['cold'].get('p95')} ms, "
            f"warm p95 {overall['warm'].get('p95')} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
