"""Real servers for the serving tests: gunicorn started as ops start it, and a redis-server.

Both listen on free 127.0.0.1 ports and keep their output in files, shown when a test fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.processes import free_port, ingest_pids, stop_process, worker_pids

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60
STOP_TIMEOUT = 45  # gunicorn.conf.py gives workers 30 s to finish their requests


def wait_for(condition, timeout: float, message: str, interval: float = 0.2):
    """Poll `condition` until it returns something truthy; fail with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(interval)


class RedisServer:
    """A throwaway redis-server on a loopback port: no persistence, stoppable and restartable."""

    def __init__(self, directory: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed: scripts/test installs it with apt-get")
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self.answers, 15, lambda: f"redis-server did not start\n{self.log.read_text()}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, 15)
        self.process = None


class Gunicorn:
    """gunicorn with gunicorn.conf.py on a free loopback port; `env` adds to the environment."""

    def __init__(self, log_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout = log_dir / "gunicorn.out"
        self.stderr = log_dir / "gunicorn.err"
        self.metrics_dir = log_dir / "metrics"
        self.metrics_dir.mkdir()
        self.env = {
            **os.environ,
            "DASHBOARD_HOST": "127.0.0.1",
            "DASHBOARD_PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "DASHBOARD_DATA_DIR": str(log_dir / "store"),
            **env,
        }
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def logs(self) -> str:
        return f"stdout:\n{self.stdout.read_text()[-6000:]}\nstderr:\n{self.stderr.read_text()}"

    def __enter__(self) -> Gunicorn:
        """Ready to serve (stopped again if it never gets there); `with` stops it at the end."""
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exception: object) -> None:
        self.stop()

    def wait_until_ready(self) -> None:
        """Until /ready answers 200 (data loaded in the worker that answered)."""

        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}\n{self.logs()}")
            try:
                return requests.get(f"{self.url}/ready", timeout=10).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(ready, START_TIMEOUT, lambda: f"gunicorn never got ready\n{self.logs()}", 0.5)

    def worker_pids(self) -> set[int]:
        """The master's workers (its children but the ingest process)."""
        return set(worker_pids(self.process.pid))

    def ingest_pids(self) -> set[int]:
        return set(ingest_pids(self.process.pid))

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """/metrics as {(sample name, sorted labels): value}."""
        response = requests.get(f"{self.url}/metrics", timeout=10)
        assert response.status_code == 200, response.text[:300]
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    def counters_by_worker(self, name: str, scratch: Path) -> dict[int, dict[tuple, float]]:
        """Each worker's own samples of counter `name` ({pid: {sorted labels: value}}), read
        from its file in the multiprocess directory rather than added up as /metrics does."""
        by_worker = {}
        for path in self.metrics_dir.glob("counter_*.db"):
            pid = int(path.stem.rsplit("_", 1)[1])
            alone = scratch / str(pid)
            alone.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, alone / path.name)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=str(alone))
            by_worker[pid] = {
                tuple(sorted(item.labels.items())): item.value
                for family in registry.collect()
                for item in family.samples
                if item.name == name
            }
        return by_worker

    def stop(self) -> int:
        """SIGTERM (graceful shutdown), then SIGKILL if it hangs; the exit status."""
        return stop_process(self.process, STOP_TIMEOUT)


def total(metrics: dict, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        value
        for (sample, sample_labels), value in metrics.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )
