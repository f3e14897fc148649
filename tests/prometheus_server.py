"""A real Prometheus server for the tests: started with a config file on a free loopback port,
waited for until ready, queried over its HTTP API, stopped.

Debian's `prometheus` package provides /usr/bin/prometheus (scripts/test installs it). Its
files (the config, rule files copied beside it, the TSDB, the log) live in one directory,
and the log is shown when a wait fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from benchmarks.processes import free_port, stop_process
from tests.serving.harness import wait_for

START_TIMEOUT = 30
STOP_TIMEOUT = 15


def prometheus_executable() -> str:
    """The prometheus binary; the test fails, saying how to get it, when it is missing."""
    executable = shutil.which("prometheus")
    if executable is None:
        pytest.fail("prometheus is not installed: scripts/test installs it with apt-get")
    return executable


class PrometheusServer:
    """`prometheus --config.file=<config>` on 127.0.0.1:<free port>; `with` stops it.

    `config` is the configuration's text, written to `directory`/prometheus.yml; `files` are
    copied beside it (the rule files it names, relative to it)."""

    def __init__(self, directory: Path, config: str, files: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = directory / "prometheus.yml"
        self.config.write_text(config)
        for name, text in (files or {}).items():
            (directory / name).write_text(text)
        self.log = directory / "prometheus.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> PrometheusServer:
        args = [
            prometheus_executable(),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, cwd=self.directory, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        wait_for(self.ready, START_TIMEOUT, lambda: f"prometheus never got ready\n{self.logs()}")
        return self

    def logs(self) -> str:
        return self.log.read_text()[-6000:] if self.log.exists() else ""

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"prometheus exited with {self.process.returncode}\n{self.logs()}")
        try:
            return requests.get(f"{self.url}/-/ready", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    def api(self, path: str, **params: str) -> object:
        """The `data` of an answer of the HTTP API (`/api/v1/<path>`)."""
        response = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expression: str) -> list[dict]:
        """The instant vector `expression` evaluates to now: [{'metric': {...}, 'value': ...}]."""
        return self.api("query", query=expression)["result"]

    def alerts(self) -> list[dict]:
        """The alerts pending or firing now (`/api/v1/alerts`)."""
        return self.api("alerts")["alerts"]

    def targets(self) -> list[dict]:
        return self.api("targets")["activeTargets"]

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, STOP_TIMEOUT)
        self.process = None

    def __enter__(self) -> PrometheusServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_exception: object) -> None:
        self.stop()
