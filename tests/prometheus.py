"""A real Prometheus server for the tests, and a backfiller of its TSDB from OpenMetrics text.

`PrometheusServer` starts Debian's `/usr/bin/prometheus` on a free 127.0.0.1 port with a given
configuration file (or a minimal one that scrapes nothing) and TSDB directory (or a fresh
temporary one), waits until `/-/ready` answers, queries its HTTP API, and stops it.
`backfill` writes series into a TSDB directory with `promtool tsdb create-blocks-from
openmetrics`, before the server starts on it; `openmetrics` renders series as that text.

Backfilled blocks must lie before the head's samples (a fresh TSDB has none) and within the
retention, which these servers keep long (`RETENTION`) so that no test data is deleted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.processes import free_port, stop_process
from tests.serving.harness import ThrowawayServer, wait_for

START_TIMEOUT = 60
STOP_TIMEOUT = 30
RETENTION = "3650d"
MINIMAL_CONFIG = "global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"


def tool(name: str) -> str:
    """The path of `prometheus` or `promtool`; the test fails when it is not installed."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else "")
    if not found:
        pytest.fail(f"{name} is not installed: scripts/test installs Debian's prometheus package")
    return found


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
    try:
        finished = subprocess.run(
            [
                tool("promtool"),
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                source.name,
                str(tsdb_dir),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        Path(source.name).unlink(missing_ok=True)
    if finished.returncode != 0:
        raise RuntimeError(f"promtool failed ({finished.returncode}):\n{finished.stderr[-3000:]}")


class PrometheusServer(ThrowawayServer):
    """A throwaway Prometheus on a loopback port, at `url` once entered (a context manager).

    `config`: a prometheus.yml to load (default: one that scrapes nothing); `tsdb_dir`: the
    storage directory (default: a temporary one, deleted on stop); `extra_args` go to the
    command line as they are (`--web.enable-lifecycle`, rule files through the config).
    """

    log_name = "prometheus.log"

    def __init__(
        self,
        config: Path | None = None,
        tsdb_dir: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.executable = tool("prometheus")
        self.config = config
        self.tsdb_dir = tsdb_dir
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="prometheus-"))
        config = self.config
        if config is None:
            config = self.directory / "prometheus.yml"
            config.write_text(MINIMAL_CONFIG)
        storage = self.tsdb_dir or self.directory / "data"
        args = [
            self.executable,
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            f"--storage.tsdb.retention.time={RETENTION}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            *self.extra_args,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._ready, START_TIMEOUT, lambda: f"prometheus did not start\n{self.logs()}")

    def stop(self) -> None:
        """SIGTERM (Prometheus shuts down cleanly), SIGKILL if it hangs; delete its files."""
        if self.process is not None:
            stop_process(self.process, STOP_TIMEOUT)
        self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def api(self, path: str, **parameters: object) -> object:
        """GET /api/v1/<path> with `parameters`; the `data` of a successful answer."""
        query = urllib.parse.urlencode({key: str(value) for key, value in parameters.items()})
        address = f"{self.url}/api/v1/{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(address, timeout=30) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{address}: {error.read().decode(errors='replace')}") from None
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict]:
        """An instant query's result (a vector: [{metric, value: [t, "v"]}])."""
        parameters = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
        return self.api("query", **parameters)["result"]

    def scalar(self, promql: str, at: float | None = None) -> float:
        """The one value an instant query of a single series gives."""
        result = self.query(promql, at)
        assert len(result) == 1, result
        return float(result[0]["value"][1])

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {self.process.returncode}\n{self.logs()}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
