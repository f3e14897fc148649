"""/metrics under gunicorn with several workers: every worker's counts, whoever answers; and
structured (JSON) logs."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.http import renderer
from tests.serving.harness import Gunicorn, total, wait_for

pytestmark = pytest.mark.serving

WORKERS = 3
ROUTER_BODY = renderer.router_body("/resources")
CALLBACKS = "dashboard_callback_requests_total"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    server = Gunicorn(
        tmp_path_factory.mktemp("gunicorn"),
        WEB_CONCURRENCY=str(WORKERS),
        DASHBOARD_LOG_FORMAT="json",
    )
    with server:
        yield server


def router_calls(server: Gunicorn) -> float:
    return total(server.metrics(), CALLBACKS, callback=renderer.ROUTER_OUTPUT, status="200")


def send_router_requests(server: Gunicorn, count: int) -> None:
    def send(_):
        return requests.post(
            f"{server.url}/_dash-update-component",
            json=ROUTER_BODY,
            headers={"Connection": "close"},  # a new connection: any worker may take it
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(send, range(count))) == [200] * count


def test_every_worker_runs_with_its_own_metrics_file(server):
    # The data is loaded before the fork, so /ready may answer before the last worker forks.
    wait_for(lambda: len(server.worker_pids()) == WORKERS, 10, server.logs)


def test_counts_add_up_over_all_workers_whichever_answers(server, tmp_path):
    before = router_calls(server)
    sent = 0

    def several_workers_counted() -> bool:
        nonlocal sent
        send_router_requests(server, 12)
        sent += 12
        workers = server.counters_by_worker(CALLBACKS, tmp_path)
        return sum(1 for counters in workers.values() if any(counters.values())) >= 2

    wait_for(several_workers_counted, 60, "only one worker ever answered", 0)
    # Each scrape is answered by some worker; each must see the sum of all of them.
    for _ in range(6):
        assert router_calls(server) == before + sent
    latency = total(
        server.metrics(),
        "dashboard_callback_duration_seconds_count",
        callback=renderer.ROUTER_OUTPUT,
    )
    assert latency >= sent


def test_counts_survive_a_worker_that_dies(server):
    send_router_requests(server, 8)
    counted = router_calls(server)
    victim = sorted(server.worker_pids())[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: len(server.worker_pids()) == WORKERS and victim not in server.worker_pids(),
        30,
        "the killed worker was not replaced",
    )
    assert router_calls(server) == counted


def test_data_age_and_http_requests_are_exported(server):
    metrics = server.metrics()
    assert total(metrics, "dashboard_data_loaded") == 1.0
    assert total(metrics, "dashboard_data_age_seconds") >= 0
    assert total(metrics, "dashboard_http_requests_total", endpoint="ready") > 0
    assert ("dashboard_source_errors_total", ()) in metrics


def test_logs_are_json_lines(server):
    requests.get(f"{server.url}/health?from=json-log-test", timeout=10)

    def access_line() -> dict | None:
        for line in server.stdout.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("query") == "from=json-log-test":
                return entry
        return None

    entry = wait_for(access_line, 5, server.logs)
    assert entry["logger"] == "gunicorn.access"
    assert entry["path"] == "/health"
    assert entry["status"] == "200"
    assert isinstance(entry["duration_ms"], int)
    errors = [json.loads(line) for line in server.stderr.read_text().splitlines() if line]
    assert any("Booting worker" in entry["message"] for entry in errors)
