"""Smoke test of the deployment: gunicorn with gunicorn.conf.py, two workers, a real port."""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboard import ids
from tests.http import renderer
from tests.serving.harness import Gunicorn

pytestmark = pytest.mark.serving

PAGE_PATHS = ["/", "/training", "/ab-testing", "/data-quality", "/resources"]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    home = tmp_path_factory.mktemp("home")
    # A fresh HOME shows whether gunicorn would open its control socket there by default.
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn"), HOME=str(home))
    server.home = home
    with server:
        yield server


def test_health_answers_alive(server):
    response = requests.get(f"{server.url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_ready_answers_with_the_data_and_cache_status(server):
    body = requests.get(f"{server.url}/ready", timeout=30).json()
    assert body["status"] == "ready"
    assert body["data"]["loaded"] is True
    assert body["cache"]["status"] == "ok"


@pytest.mark.parametrize("path", [*PAGE_PATHS, "/no-such-page"])
def test_pages_serve_the_html_shell(server, path):
    response = requests.get(f"{server.url}{path}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'id="react-entry-point"' in response.text
    assert "script-src 'self' 'sha256-" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_layout_and_callback_graph_answer_json(server):
    for path in ("/_dash-layout", "/_dash-dependencies"):
        response = requests.get(f"{server.url}{path}", timeout=30)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert response.json(), path


def test_pages_router_callback_answers(server):
    # The first callback every browser sends: it proves the workers run callbacks.
    body = renderer.router_body("/training")
    response = requests.post(f"{server.url}/_dash-update-component", json=body, timeout=30)
    assert response.status_code == 200
    assert response.json()["response"][ids.page_slot(ids.TRAINING)]["children"]


def test_no_control_socket_unless_configured(server):
    assert not (Path(server.home) / ".gunicorn").exists()


def test_access_log_goes_to_stdout(server):
    requests.get(f"{server.url}/health?from=access-log-test", timeout=10)
    deadline = time.monotonic() + 5
    while "/health?from=access-log-test" not in server.stdout.read_text():
        assert time.monotonic() < deadline, server.logs()
        time.sleep(0.1)
    line = next(
        line for line in server.stdout.read_text().splitlines() if "access-log-test" in line
    )
    assert " 200 " in line and line.split()[-2].endswith("ms")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)  # text unless DASHBOARD_LOG_FORMAT=json (tests/serving/test_metrics.py)


def test_stops_cleanly_on_sigterm(server):
    assert server.stop() == 0, server.logs()
    errors = server.stderr.read_text()
    assert "Shutting down: Master" in errors, server.logs()
    assert "Traceback" not in errors, server.logs()


def test_the_app_is_set_up_before_the_workers_fork(monkeypatch):
    # Dash registers the pages router callback during its setup; if a fresh worker did that on
    # its first requests, concurrent ones would find the callback missing (answered 400).
    monkeypatch.delitem(sys.modules, "dashboard.wsgi", raising=False)
    wsgi = importlib.import_module("dashboard.wsgi")
    assert renderer.ROUTER_OUTPUT in wsgi.app.callback_map
