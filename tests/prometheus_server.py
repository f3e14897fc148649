"""A real Prometheus server for the tests: started with a config file on a free loopback port,
waited for until ready, queried over its HTTP API, stopped.

Debian's `prometheus` package provides /usr/bin/prometheus and promtool (scripts/test installs
it). Its files (the config, rule files copied beside it, the TSDB, the log) live in one
directory, and the log is shown when a wait fails. A server may also start on a TSDB that
`backfill` filled beforehand from OpenMetrics text (`openmetrics`) with `promtool tsdb
create-blocks-from openmetrics`: backfilled blocks must lie before the head's samples (a fresh
TSDB has none) and within the retention, so give such a server a long one.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from benchmarks.processes import free_port, stop_process
from tests.serving.harness import wait_for

START_TIMEOUT = 30
STOP_TIMEOUT = 15


def prometheus_executable(name: str = "prometheus") -> str:
    """The prometheus (or promtool) binary; the test fails, saying how to get it, when it is
    missing."""
    executable = shutil.which(name)
    if executable is None:
        pytest.fail(f"{name} is not installed: scripts/test installs prometheus with apt-get")
    return executable


@dataclass(frozen=True)
class Series:
    """One time series: metric name, labels, and (unix seconds, value) samples in time order."""

    metric: str
    labels: Mapping[str, str]
    samples: Sequence[tuple[float, float]]


def openmetrics(series: Iterable[Series], kind: str = "gauge") -> str:
    """The OpenMetrics text of `series` (grouped into families by metric), ending in # EOF."""
    families: dict[str, list[Series]] = {}
    for one in series:
        families.setdefault(one.metric, []).append(one)
    lines = []
    for metric, members in families.items():
        lines.append(f"# TYPE {metric} {kind}")
        for one in members:
            labels = ",".join(f'{key}="{value}"' for key, value in one.labels.items())
            lines.extend(f"{metric}{{{labels}}} {value:g} {at:.3f}" for at, value in one.samples)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def backfill(text: str, tsdb_dir: Path) -> None:
    """Write the OpenMetrics `text` into `tsdb_dir` as TSDB blocks (promtool)."""
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".om", delete=False) as source:
        source.write(text)
    command = [prometheus_executable("promtool"), "tsdb", "create-blocks-from", "openmetrics"]
    try:
        finished = subprocess.run(
            [*command, source.name, str(tsdb_dir)], capture_output=True, text=True, timeout=300
        )
    finally:
        Path(source.name).unlink(missing_ok=True)
    if finished.returncode != 0:
        raise RuntimeError(f"promtool failed ({finished.returncode}):\n{finished.stderr[-3000:]}")


class PrometheusServer:
    """`prometheus --config.file=<config>` on 127.0.0.1:<free port>; `with` stops it.

    `config` is the configuration's text, written to `directory`/prometheus.yml; `files` are
    copied beside it (the rule files it names, relative to it). `tsdb_dir` is the storage
    (default: `directory`/data), kept for `retention`."""

    def __init__(
        self,
        directory: Path,
        config: str = "global:\n  scrape_interval: 15s\n",
        files: dict[str, str] | None = None,
        tsdb_dir: Path | None = None,
        retention: str = "1h",
    ) -> None:
        self.directory = directory
        self.tsdb_dir = tsdb_dir or directory / "data"
        self.retention = retention
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
            f"--storage.tsdb.path={self.tsdb_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--storage.tsdb.retention.time={self.retention}",
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

    def query(self, expression: str, at: float | None = None) -> list[dict]:
        """The instant vector `expression` evaluates to now (or at unix time `at`):
        [{'metric': {...}, 'value': ...}]."""
        moment = {} if at is None else {"time": f"{at:.3f}"}
        return self.api("query", query=expression, **moment)["result"]

    def scalar(self, expression: str, at: float | None = None) -> float:
        """The one value an instant query of a single series gives."""
        result = self.query(expression, at)
        assert len(result) == 1, result
        return float(result[0]["value"][1])

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
