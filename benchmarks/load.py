"""Load test of a running dashboard: concurrent users browsing its pages, as a browser does.

    python -m benchmarks.load --url http://127.0.0.1:8503 --clients 50 --duration 20

(from the repository root, with the dashboard already served, e.g. by ./scripts/run). Each
client repeats page visits: the page's HTML shell, the pages router callback, then every
server-side callback of the shell and of that page, with the bodies Dash's renderer sends
(built by tests/http/renderer.py from /_dash-dependencies and the layouts). Bounded: loopback
targets only, at most 200 clients for at most 300 s. Writes throughput, latency percentiles
and every failure to benchmarks/results/load.json (--out). Exit status 1 if a request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests

from tests.http import renderer

RESULTS = Path(__file__).resolve().parent / "results" / "load.json"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_CLIENTS = 200
MAX_DURATION = 300.0
ROUTER = "router"
OK_STATUSES = (200, 204)  # 204: the callback answered "no update"
FAILURES_KEPT = 1000


@dataclass(frozen=True)
class Step:
    kind: str
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int | None
    error: str | None
    started_at: float
    ended_at: float


@dataclass
class Visit:
    path: str
    steps: list[Step] = field(default_factory=list)


class _Answer:
    """A requests response as tests/http/renderer.py reads a Flask test response."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self._response = response

    def get_json(self) -> Any:
        return self._response.json()


class RendererClient:
    """The two calls tests/http/renderer.py makes on a Flask test client, over real HTTP."""

    def __init__(self, session: requests.Session, base: str, timeout: float = 60.0) -> None:
        self.session, self.base, self.timeout = session, base, timeout

    def get(self, path: str) -> _Answer:
        return _Answer(self.session.get(self.base + path, timeout=self.timeout))

    def post(self, path: str, json: Any = None) -> _Answer:
        return _Answer(self.session.post(self.base + path, json=json, timeout=self.timeout))


def _ids(tree: Any) -> set[str]:
    props: dict[str, dict[str, Any]] = {}
    renderer.collect_props(tree, props)
    return set(props)


def _on(callback: renderer.Callback, ids: set[str], layouts: renderer.Layouts) -> bool:
    """Whether every output of `callback` is a component among `ids`."""
    return all(
        concrete and all(renderer.stringify_id(one) in ids for one in concrete)
        for concrete in (layouts.concrete_ids(output) for output, _ in callback.outputs)
    )


def _at(body: dict[str, Any], pathname: str) -> dict[str, Any]:
    """`body` as sent from `pathname`: every pathname input or state set to it."""
    body = json.loads(json.dumps(body))
    for kind in ("inputs", "state"):
        for item in body.get(kind, []):
            for dep in item if isinstance(item, list) else [item]:
                if dep.get("property") == "pathname":
                    dep["value"] = pathname
    return body


def plan_visits(client: RendererClient) -> list[Visit]:
    """Every page's visit: its shell, the router callback, the shell's and the page's callbacks."""
    callbacks = [callback for callback in renderer.callbacks(client) if not callback.clientside]
    layouts = renderer.all_layouts(client)
    shell_ids = _ids(client.get("/_dash-layout").get_json())
    router = next(callback for callback in callbacks if callback.output == renderer.ROUTER_OUTPUT)
    visits = []
    for path in renderer.page_paths(client):
        page_ids = _ids(renderer.page_layout(client, path))
        visit = Visit(path, [Step("page", "GET", path)])
        visit.steps.append(
            Step(
                ROUTER,
                "POST",
                "/_dash-update-component",
                renderer.router_body(path),
            )
        )
        for callback in callbacks:
            if callback is router or not (
                _on(callback, shell_ids, layouts) or _on(callback, page_ids, layouts)
            ):
                continue
            body = _at(renderer.request_body(callback, layouts), path)
            visit.steps.append(Step(callback.output, "POST", "/_dash-update-component", body))
        visits.append(visit)
    return visits


def _client(
    index: int,
    base: str,
    visits: list[Visit],
    deadline: float,
    auth: tuple[str, str] | None,
    timeout: float,
    samples: list[Sample],
    completed: list[int],
) -> None:
    rng = random.Random(index)
    with requests.Session() as session:
        session.auth = auth
        while time.monotonic() < deadline:
            visit = rng.choice(visits)
            for step in visit.steps:
                if time.monotonic() >= deadline:
                    return
                started_at, started = time.time(), time.perf_counter()
                status = error = None
                try:
                    response = session.request(
                        step.method, base + step.path, json=step.body, timeout=timeout
                    )
                    status = response.status_code
                    if status not in OK_STATUSES:
                        error = f"HTTP {status}"
                except requests.RequestException as exception:
                    error = f"{type(exception).__name__}: {str(exception)[:200]}"
                seconds = time.perf_counter() - started
                samples.append(Sample(step.kind, seconds, status, error, started_at, time.time()))
            completed.append(1)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    values = np.asarray(seconds) * 1000.0
    quantiles = np.percentile(values, [50, 90, 95, 99])
    return {
        "p50": round(float(quantiles[0]), 1),
        "p90": round(float(quantiles[1]), 1),
        "p95": round(float(quantiles[2]), 1),
        "p99": round(float(quantiles[3]), 1),
        "max": round(float(values.max()), 1),
        "mean": round(float(values.mean()), 1),
    }


def check_target(url: str, clients: int, duration: float) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"the load test only targets this machine (127.0.0.1), not {host!r}")
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValueError(f"clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be between 0 and {MAX_DURATION:.0f} s")


def run(
    url: str,
    clients: int,
    duration: float,
    auth: tuple[str, str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Drive `clients` concurrent users for `duration` seconds; the summary of what they saw."""
    check_target(url, clients, duration)
    base = url.rstrip("/")
    with requests.Session() as session:
        session.auth = auth
        visits = plan_visits(RendererClient(session, base, timeout))
    samples: list[Sample] = []
    completed: list[int] = []
    started_at = datetime.now(UTC)
    started = time.monotonic()
    deadline = started + duration
    threads = [
        threading.Thread(
            target=_client,
            args=(index, base, visits, deadline, auth, timeout, samples, completed),
            daemon=True,
        )
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + timeout + 30)
    elapsed = time.monotonic() - started
    failures = [sample for sample in samples if sample.error]
    ok = [sample.seconds for sample in samples if not sample.error]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({sample.kind for sample in samples}):
        of_kind = [sample for sample in samples if sample.kind == kind]
        by_kind[kind] = {
            "requests": len(of_kind),
            "errors": sum(1 for sample in of_kind if sample.error),
            "latency_ms": _percentiles([sample.seconds for sample in of_kind if not sample.error]),
        }
    return {
        "target": base,
        "started_at": started_at.isoformat(timespec="seconds"),
        "clients": clients,
        "duration_s": duration,
        "elapsed_s": round(elapsed, 2),
        "pages": [visit.path for visit in visits],
        "requests_per_visit": {visit.path: len(visit.steps) for visit in visits},
        "requests": len(samples),
        "errors": len(failures),
        "page_visits": len(completed),
        "throughput_rps": round(len(ok) / elapsed, 1),
        "page_visits_per_s": round(len(completed) / elapsed, 2),
        "latency_ms": _percentiles(ok),
        "by_kind": by_kind,
        "failures": [
            {
                "kind": sample.kind,
                "error": sample.error,
                "started_at": sample.started_at,
                "ended_at": sample.ended_at,
            }
            for sample in failures[:FAILURES_KEPT]
        ],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8503")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--user", help="basic-auth user:password, when authentication is on")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    auth = None
    if args.user:
        user, _, password = args.user.partition(":")
        auth = (user, password)
    try:
        summary = run(args.url, args.clients, args.duration, auth, args.timeout)
    except ValueError as error:
        parser.error(str(error))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    latency = summary["latency_ms"]
    print(
        f"{summary['requests']} requests, {summary['errors']} errors, "
        f"{summary['throughput_rps']} req/s, {summary['page_visits_per_s']} page visits/s; "
        f"latency p50 {latency.get('p50')} ms, p95 {latency.get('p95')} ms, "
        f"max {latency.get('max')} ms -> {args.out}"
    )
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
