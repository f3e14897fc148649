"""A short run of benchmarks/load.py against gunicorn + Redis, and a worker killed under load.

Bounded: 20 clients for 10 s per run, on 127.0.0.1 only. The full run (50 clients, 20 s) is
the command in benchmarks/load.py, whose figures are kept in benchmarks/results/load.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tests.serving.harness import ROOT, Gunicorn, RedisServer, wait_for

pytestmark = pytest.mark.serving

CLIENTS = 20
DURATION = 10
THREADS = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    server = Gunicorn(
        tmp_path_factory.mktemp("gunicorn"),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS=str(THREADS),
        DASHBOARD_CACHE_TYPE="RedisCache",
        DASHBOARD_CACHE_REDIS_URL=redis.url,
        # Warm requests take milliseconds: at that rate max_requests would recycle a worker
        # during the runs, and the test that kills one needs to know which ones run.
        GUNICORN_MAX_REQUESTS="0",
    )
    try:
        with server:
            yield server
    finally:
        redis.stop()


def start_load(server: Gunicorn, out) -> subprocess.Popen:
    command = [sys.executable, "-m", "benchmarks.load", "--url", server.url]
    command += ["--clients", str(CLIENTS), "--duration", str(DURATION), "--out", str(out)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(load: subprocess.Popen, out) -> tuple[int, dict]:
    output, _ = load.communicate(timeout=DURATION + 120)
    print(output.decode())  # the figures, in pytest's report with -s or on failure
    return load.returncode, json.loads(out.read_text())


def test_load_without_faults_has_no_errors(server, tmp_path):
    out = tmp_path / "load.json"
    status, summary = finish(start_load(server, out), out)
    assert summary["errors"] == 0, summary["failures"][:5]
    assert status == 0
    assert summary["requests"] > 100
    assert set(summary["pages"]) == {"/", "/training", "/ab-testing", "/data-quality", "/resources"}
    for key in ("p50", "p95", "p99", "max"):
        assert summary["latency_ms"][key] > 0
    assert summary["throughput_rps"] > 0


def test_a_worker_killed_under_load_is_replaced_and_costs_only_its_requests(server, tmp_path):
    out = tmp_path / "load.json"
    load = start_load(server, out)
    time.sleep(DURATION / 2)
    workers = server.worker_pids()
    victim = sorted(workers)[0]
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)

    def replacement() -> set[int] | None:
        pids = server.worker_pids()
        return pids if len(pids) == 2 and victim not in pids else None

    replaced = wait_for(
        replacement, 30, lambda: f"worker {victim} was not replaced\n{server.logs()}"
    )
    _, summary = finish(load, out)

    assert len(replaced - workers) == 1
    assert summary["requests"] > 100
    # Failures are only requests that were in flight on that worker: started before it died,
    # answered (with a broken connection, never an HTTP error) after.
    for failure in summary["failures"]:
        assert not failure["error"].startswith("HTTP"), failure
        assert failure["started_at"] <= killed_at + 0.5, (failure, killed_at)
        assert failure["ended_at"] >= killed_at, (failure, killed_at)
    assert summary["errors"] <= CLIENTS
    assert requests.get(f"{server.url}/ready", timeout=30).status_code == 200
