"""Traffic to each worker of a deployment, each request attributed to the worker and the data
generation that served it, and so classified cold or warm.

`Driver` keeps a keep-alive connection per worker (new connections until one reaches it: the
kernel hands each to either worker) and, right after each step's requests, asks /ready on the
same connection which worker holds it and which generation it serves. `Ledger` calls a request
cold when it is the first of its step on that worker in that generation, warm when repeated.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

from benchmarks.deployed import Deployment, Monitor
from benchmarks.perf import SHELL, Step, Workload, run_step

OK_STATUSES = (200, 204)  # 204: the callback answered "no update"
PROBE_TIMEOUT = 30.0
PASS_TIMEOUT = 1800.0
# A worker re-reads the manifest at most every 0.25 s (dashboard.data.store), the watcher here
# every 0.1 s: a request that started this long after a publication saw it.
WORKER_LAG = 0.4
PIN_ATTEMPTS = 10  # connections tried to reach a given worker (the kernel hands each to either)


@dataclass
class Sample:
    """One request: what it asked, how long it took, who served it and in which generation."""

    phase: str
    page: str
    name: str
    range_key: str
    model: str
    at: float  # seconds since the server started
    ms: float
    status: int
    size: int
    worker: int | None = None
    generation: int | None = None
    kind: str = "unclassified"  # cold, warm or unclassified
    cause: str = ""  # of a cold request: fresh_worker or new_generation
    since_publish: float | None = None  # s from its generation's publication to the request
    retried: bool = False  # the connection broke under it and it was sent again
    error: str = ""


@dataclass
class Probe:
    """/ready on a connection: which worker holds it, and the generation that worker serves."""

    at: float
    ms: float
    pid: int | None
    generation: int | None
    as_of: str | None


@dataclass
class Ledger:
    """What each worker has served in each generation: the cold and warm of each request."""

    seen: set[tuple[int, int, tuple]] = field(default_factory=set)
    first_generation: dict[int, int] = field(default_factory=dict)

    def classify(self, group: list[Sample], pid: int, low: int, high: int, key: tuple) -> None:
        first = self.first_generation.setdefault(pid, low)
        if low == high:
            for sample in group:
                sample.generation = high
                if (pid, high, key) in self.seen:
                    sample.kind = "warm"
                    continue
                sample.kind = "cold"
                sample.cause = "fresh_worker" if high == first else "new_generation"
                self.seen.add((pid, high, key))
        elif (pid, low, key) not in self.seen:
            # A generation was published meanwhile: the first request was a first one either way.
            group[0].kind = "cold"
            group[0].cause = "fresh_worker" if low == first else "new_generation"


class Driver:
    """Sends each step to every worker on a keep-alive connection of its own, and attributes
    each request to the worker and the generation that served it (from /ready on the same
    connection, right after the step's requests)."""

    def __init__(self, server: Deployment, monitor: Monitor, workload: Workload) -> None:
        self.server = server
        self.monitor = monitor
        self.workload = workload
        self.sessions: dict[int, requests.Session] = {}
        self.last_probe: dict[int, Probe] = {}  # the last probe on sessions[pid]
        self.ledger = Ledger()
        self.samples: list[Sample] = []
        self.probes: list[Probe] = []
        self.missed_steps = 0  # a worker that could not be reached for a step
        self.connections = 0  # opened: one per worker, more when keep-alive ends (5 s idle)

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()
        self.last_probe.clear()

    def targets(self) -> list[int]:
        return list(self.monitor.workers) or self.server.workers()

    def send(
        self,
        target: int,
        step: Step,
        range_key: str,
        model: str,
        seen: dict,
        count: int,
        phase: str,
    ) -> set[int]:
        """`count` requests of `step` to worker `target` (new connections until one reaches
        it, each one's requests counted, whoever served them); the workers that served."""
        served: set[int] = set()
        for _ in range(PIN_ATTEMPTS):
            session = self.sessions.get(target)
            previous = None if session is None else self.last_probe.get(target)
            if session is None:
                session, self.connections = requests.Session(), self.connections + 1
            started = self.server.elapsed()
            group = [
                self._request(session, step, range_key, model, seen, phase) for _ in range(count)
            ]
            probe = self._probe(session)
            self._attribute(
                group, probe, previous, started, (step.page, step.name, range_key, model)
            )
            self.samples.extend(group)
            self._keep(session, probe)
            if probe.pid is not None:
                served.add(probe.pid)
            if probe.pid == target or target not in self.server.workers():
                return served
        self.missed_steps += 1
        return served

    def _keep(self, session: requests.Session, probe: Probe) -> None:
        """Remember which worker `session` reaches (or forget it when unknown)."""
        pid = probe.pid
        for known, other in list(self.sessions.items()):
            if other is session and known != pid:
                del self.sessions[known]
                self.last_probe.pop(known, None)
        if pid is None:
            session.close()
            return
        old = self.sessions.get(pid)
        if old is not None and old is not session:
            old.close()
        self.sessions[pid] = session
        self.last_probe[pid] = probe

    def _request(
        self,
        session: requests.Session,
        step: Step,
        range_key: str,
        model: str,
        seen: dict,
        phase: str,
    ) -> Sample:
        at = self.server.elapsed()
        started = time.perf_counter()
        status, size, error, retried = 0, 0, "", False
        for _attempt in range(2):  # a keep-alive connection closed under it: sent again, once
            try:
                _, response = run_step(session, self.server.url, step, range_key, model, seen)
                status, size, error = response.status_code, len(response.content), ""
                if status not in OK_STATUSES:
                    error = f"HTTP {status}"
                break
            except requests.ConnectionError as exception:
                error, retried = f"ConnectionError: {str(exception)[:160]}", True
            except (requests.RequestException, ValueError) as exception:
                error = f"{type(exception).__name__}: {str(exception)[:160]}"
                break
        ms = (time.perf_counter() - started) * 1000
        return Sample(
            phase, step.page, step.name, range_key, model, round(at, 3), ms, status, size,
            retried=retried, error=error,
        )  # fmt: skip

    def _probe(self, session: requests.Session) -> Probe:
        at = self.server.elapsed()
        started = time.perf_counter()
        try:
            response = session.get(f"{self.server.url}/ready", timeout=PROBE_TIMEOUT)
            data = response.json().get("data", {})
            pid, generation, as_of = data.get("pid"), data.get("generation"), data.get("as_of")
        except (requests.RequestException, ValueError):
            pid = generation = as_of = None
        probe = Probe(round(at, 3), (time.perf_counter() - started) * 1000, pid, generation, as_of)
        self.probes.append(probe)
        return probe

    def _attribute(
        self,
        group: list[Sample],
        probe: Probe,
        previous: Probe | None,
        started: float,
        key: tuple,
    ) -> None:
        for sample in group:
            sample.worker = probe.pid
        if probe.pid is None or probe.generation is None:
            return
        high = probe.generation
        low = self.monitor.generation_at(started - WORKER_LAG)
        if previous is not None and previous.pid == probe.pid and previous.generation is not None:
            low = max(low, previous.generation)
        low = min(low, high)
        self.ledger.classify(group, probe.pid, low, high, key)
        published = self.monitor.published_at(high)
        if low == high and published is not None:
            for sample in group:
                sample.since_publish = round(sample.at - published, 2)


def skipped(step: Step, model: str, models: tuple[str, ...]) -> bool:
    """The HTML, the router and the shell's callbacks do not depend on the model: sent once."""
    return model != models[0] and (step.page == SHELL or step.name in ("html", "router"))


def run_pass(
    driver: Driver,
    phase: str,
    ranges: tuple[str, ...],
    models: tuple[str, ...],
    repeats: int,
) -> dict[str, Any]:
    """Every view (range, model, page): each step to every worker, 1 + repeats times."""
    started, first = driver.server.elapsed(), len(driver.samples)
    deadline = time.monotonic() + PASS_TIMEOUT
    complete = True
    for range_key in ranges:
        for model in models:
            for steps in driver.workload.visits.values():
                seen: dict[int, dict] = defaultdict(dict)
                served: set[tuple[int, int]] = set()
                for index, step in enumerate(steps):
                    if skipped(step, model, models):
                        continue
                    if time.monotonic() > deadline:
                        complete = False
                        break
                    for target in driver.targets():
                        if (target, index) in served:
                            continue
                        reached = driver.send(
                            target, step, range_key, model, seen[target], 1 + repeats, phase
                        )
                        served.update((pid, index) for pid in reached)
    samples = driver.samples[first:]
    return {
        "phase": phase,
        "ranges": list(ranges),
        "started_s": round(started, 1),
        "duration_s": round(driver.server.elapsed() - started, 1),
        "complete": complete,
        "requests": len(samples),
        "generations": sorted({s.generation for s in samples if s.generation is not None}),
        "workers": sorted({s.worker for s in samples if s.worker is not None}),
    }
