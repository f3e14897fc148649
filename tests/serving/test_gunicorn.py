"""Smoke test of the deployment: gunicorn with gunicorn.conf.py, two workers, a real port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.serving

ROOT = Path(__file__).resolve().parents[2]
PAGE_PATHS = ["/", "/training", "/ab-testing", "/data-quality", "/resources"]
START_TIMEOUT = 60
STOP_TIMEOUT = 45  # gunicorn.conf.py gives workers 30 s to finish their requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn started as ops would start it, with its output kept in files for the report."""

    def __init__(self, log_dir: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.stdout = log_dir / "gunicorn.out"
        self.stderr = log_dir / "gunicorn.err"
        env = {
            **os.environ,
            "DASHBOARD_HOST": "127.0.0.1",
            "DASHBOARD_PORT": str(port),
            "WEB_CONCURRENCY": "2",
        }
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                # Its own control socket, so that it leaves a running dashboard's alone.
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    "--control-socket",
                    str(log_dir / "gunicorn.ctl"),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def logs(self) -> str:
        return f"stdout:\n{self.stdout.read_text()}\nstderr:\n{self.stderr.read_text()}"

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}\n{self.logs()}")
            try:
                if requests.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        pytest.fail(f"gunicorn did not answer /health within {START_TIMEOUT} s\n{self.logs()}")

    def stop(self) -> int:
        """SIGTERM (graceful shutdown), then SIGKILL if it hangs; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn"))
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


def test_health_answers_200(server):
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


@pytest.mark.parametrize("path", [*PAGE_PATHS, "/no-such-page"])
def test_pages_serve_the_html_shell(server, path):
    response = requests.get(f"{server.url}{path}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'id="react-entry-point"' in response.text


def test_layout_and_callback_graph_answer_json(server):
    for path in ("/_dash-layout", "/_dash-dependencies"):
        response = requests.get(f"{server.url}{path}", timeout=30)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert response.json(), path


def test_pages_router_callback_answers(server):
    # The first callback every browser sends: it proves the workers run callbacks.
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/training"},
            {"id": "_pages_location", "property": "search", "value": "?range=7d"},
        ],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = requests.post(f"{server.url}/_dash-update-component", json=body, timeout=30)
    assert response.status_code == 200
    assert response.json()["response"]["_pages_content"]["children"]


def test_access_log_goes_to_stdout(server):
    requests.get(f"{server.url}/health?from=access-log-test", timeout=10)
    deadline = time.monotonic() + 5
    while "/health?from=access-log-test" not in server.stdout.read_text():
        assert time.monotonic() < deadline, server.logs()
        time.sleep(0.1)


def test_stops_cleanly_on_sigterm(server):
    assert server.stop() == 0, server.logs()
    errors = server.stderr.read_text()
    assert "Shutting down: Master" in errors, server.logs()
    assert "Traceback" not in errors, server.logs()
