"""The dashboard as ops deploy it, for the benchmarks: gunicorn with gunicorn.conf.py on a free
loopback port with a store of its own, and a watcher that sees what it does without a request.

`Deployment` starts `gunicorn -c gunicorn.conf.py` with the production defaults and only the
settings it is given (none of the caller's DASHBOARD_*, GUNICORN_* or WEB_CONCURRENCY), keeps its
stderr (with the ingest's lines) in a file, and reads its processes' memory from /proc.
`Monitor` notes each manifest the ingest publishes, the workers, and everyone's memory.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from benchmarks.perf import memory_of
from benchmarks.processes import free_port, ingest_pids, stop_process, worker_pids
from dashboard.data.manifest import Manifest, manifest_stamp, read_manifest

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
PRODUCTION = {"DASHBOARD_REFRESH_SECONDS": "30", "WEB_CONCURRENCY": str(WORKERS)}
# The caller's settings are not the product's defaults: none of these reach the servers.
NOT_INHERITED = ("DASHBOARD_", "GUNICORN_", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR")
START_TIMEOUT = 1800.0  # scale 100's first ingest may take its 10 minutes, and more
STOP_TIMEOUT = 60.0
MEMORY_EVERY = 2.0
MONITOR_LIMIT = 6 * 3600.0  # s: longer than any run
INGEST_LINE = re.compile(r"ingest: generation (\d+) as of (\S+) in ([\d.]+) s")


def polls(seconds: float, interval: float) -> Iterator[int]:
    """Bounded polling: yields at most seconds / interval times, `interval` apart, until
    `seconds` have passed (the caller returns from its loop when its condition holds)."""
    deadline = time.monotonic() + seconds
    for count in range(int(seconds / interval) + 1):
        if count:
            time.sleep(interval)
        if time.monotonic() > deadline:
            return
        yield count


def _inherited_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}


def _memory(pid: int) -> dict[str, float] | None:
    """RSS and PSS (MB) of a live process, and its peak RSS (VmHWM); None once it is gone."""
    try:
        values = memory_of(pid)
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    peak = re.search(r"VmHWM:\s+(\d+) kB", status)
    values["peak_rss_mb"] = round(int(peak.group(1)) / 1024, 1) if peak else None
    return {"pid": pid, **values}


def _pss(items: Iterable[dict[str, float] | None]) -> float:
    return round(sum(item["pss_mb"] for item in items if item), 1)


class Deployment:
    """gunicorn -c gunicorn.conf.py as deployed, on a free loopback port, with a fresh store.

    stdout (the access log) is dropped; stderr, with the ingest's lines, kept in a file."""

    def __init__(
        self,
        name: str,
        scratch: Path,
        env: dict[str, str],
        data_dir: Path | None = None,
        code: Path = ROOT,
    ) -> None:
        """`code`: the checkout to serve (another commit's, exported, for a before/after)."""
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir or scratch / f"data-{name}"
        self.log_path = scratch / f"gunicorn-{name}.log"
        self.settings = {**PRODUCTION, **env}
        self.env = {
            **_inherited_env(),
            "DASHBOARD_HOST": "127.0.0.1",
            "DASHBOARD_PORT": str(self.port),
            "DASHBOARD_DATA_DIR": str(self.data_dir),
            **self.settings,
        }
        if code != ROOT:  # its packages before the installed (editable) ones
            self.env["PYTHONPATH"] = str(code)
        self._log = self.log_path.open("wb")
        self.started = time.monotonic()
        self.started_wall = time.time()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=code,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{tail}")

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def ingest(self) -> list[int]:
        return ingest_pids(self.process.pid)

    def store_dir(self) -> Path | None:
        stores = sorted(self.data_dir.glob("store-*/manifest.json"))
        return stores[0].parent if stores else None

    def manifest(self) -> Manifest | None:
        store = self.store_dir()
        return None if store is None else read_manifest(store)

    def wait_first_generation(self, after: pd.Timestamp | None = None) -> tuple[float, Manifest]:
        """Seconds from the start until the manifest holds a generation (as of `after` or
        later, when the store was another server's), read from disk."""
        for _ in polls(START_TIMEOUT, 0.05):
            self.check_alive()
            try:
                manifest = self.manifest()
            except (OSError, ValueError):
                manifest = None
            loaded = manifest is not None and manifest.loaded
            if loaded and (after is None or manifest.as_of_time() >= after):
                return self.elapsed(), manifest
        raise RuntimeError(f"{self.name}: no generation within {START_TIMEOUT:.0f} s")

    def wait_serving(self) -> float:
        """Seconds from the start until both workers run and /ready answers 200."""
        for _ in polls(START_TIMEOUT, 0.2):
            self.check_alive()
            if len(self.workers()) >= WORKERS:
                try:
                    if requests.get(f"{self.url}/ready", timeout=10).status_code == 200:
                        return self.elapsed()
                except requests.RequestException:
                    pass
        raise RuntimeError(f"{self.name}: /ready never answered 200")

    def fresh_workers(self) -> list[int]:
        """SIGHUP: new workers fork from the master; wait until only they run (no request)."""
        old = set(self.workers())
        self.process.send_signal(signal.SIGHUP)
        for _ in polls(START_TIMEOUT, 0.1):
            self.check_alive()
            current = set(self.workers())
            if len(current) >= WORKERS and not current & old:
                return sorted(current)
        raise RuntimeError(f"{self.name}: the workers were not replaced after SIGHUP")

    def memory(self) -> dict[str, Any]:
        master = _memory(self.process.pid)
        workers = [item for item in map(_memory, self.workers()) if item]
        ingest = [item for item in map(_memory, self.ingest()) if item]
        serving = _pss([master, *workers])
        return {
            "master": master,
            "workers": workers,
            "ingest": ingest,
            "pss_master_and_workers_mb": serving,
            "pss_ingest_mb": _pss(ingest),
            "pss_with_ingest_mb": round(serving + _pss(ingest), 1),
        }

    def ingest_runs(self) -> list[dict[str, Any]]:
        """Every read the ingest logged: the generation it left in force and how long it took."""
        text = self.log_path.read_text(errors="replace")
        return [
            {"generation": int(g), "as_of": as_of, "seconds": float(s)}
            for g, as_of, s in INGEST_LINE.findall(text)
        ]

    def stop(self) -> None:
        stop_process(self.process, STOP_TIMEOUT)
        self._log.close()


def store_size(store: Path, manifest: Manifest) -> dict[str, Any]:
    """Bytes on disk: the whole store folder, and the files of each table in force."""

    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    tables = {
        name: {
            "mb": round(sum(size(store / part.file) for part in parts) / 1e6, 2),
            "files": len(parts),
            "rows": sum(part.rows for part in parts),
        }
        for name, parts in sorted(manifest.tables.items())
    }
    total = sum(size(path) for path in store.rglob("*") if path.is_file())
    return {"total_mb": round(total / 1e6, 2), "tables": tables}


class Monitor:
    """Watches a deployment without sending it a request: each manifest published (and when),
    its workers, and the memory of every process every MEMORY_EVERY seconds."""

    def __init__(self, server: Deployment) -> None:
        self.server = server
        # (seconds since start, wall time, generation, as_of)
        self.publishes: list[tuple[float, float, int, str]] = []
        self.memory: list[dict[str, Any]] = []
        self.first_seen: dict[int, float] = {}
        self.workers: list[int] = []
        self._workers_at = -1.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="monitor", daemon=True)

    def __enter__(self) -> Monitor:
        self._watch_once(None, force_memory=True)
        self._thread.start()
        return self

    def __exit__(self, *_exception: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        stamp: tuple | None = None
        for _ in range(int(MONITOR_LIMIT / 0.1)):
            if self._stop.wait(0.1):
                return
            stamp = self._watch_once(stamp)

    def _watch_once(self, stamp: tuple | None, force_memory: bool = False) -> tuple | None:
        now = self.server.elapsed()
        try:
            store = self.server.store_dir()
            current = None if store is None else manifest_stamp(store)
            if current is not None and current != stamp:
                manifest = read_manifest(store)
                stamp = current
                seen = self.publishes[-1][2] if self.publishes else None
                if manifest is not None and manifest.loaded and manifest.generation != seen:
                    self.publishes.append((now, time.time(), manifest.generation, manifest.as_of))
            if force_memory or now - self._workers_at >= 0.5:
                self.workers, self._workers_at = self.server.workers(), now
                for pid in self.workers:
                    self.first_seen.setdefault(pid, now)
            last = self.memory[-1]["at"] if self.memory else -MEMORY_EVERY
            if force_memory or now - last >= MEMORY_EVERY:
                sample = self.server.memory()
                self.memory.append(
                    {
                        "at": round(now, 2),
                        "serving_mb": sample["pss_master_and_workers_mb"],
                        "master_mb": sample["master"]["pss_mb"] if sample["master"] else None,
                        "ingest_mb": sample["pss_ingest_mb"],
                        "workers": [item["pid"] for item in sample["workers"]],
                    }
                )
        except (OSError, ValueError):  # a process or file that just went away
            pass
        return stamp

    def generation_at(self, at: float) -> int:
        """The newest generation seen published at or before `at` (0: none yet)."""
        found = [generation for seen, _, generation, _ in self.publishes if seen <= at]
        return found[-1] if found else 0

    def published_at(self, generation: int) -> float | None:
        return next((seen for seen, _, g, _ in self.publishes if g == generation), None)

    def generation(self) -> int:
        return self.publishes[-1][2] if self.publishes else 0

    def wait_for_generation_after(self, generation: int, timeout: float) -> bool:
        for _ in polls(timeout, 0.05):
            self.server.check_alive()
            if self.generation() > generation:
                return True
        return False

    def memory_between(self, start: float, end: float, key: str) -> list[float]:
        return [
            item[key]
            for item in self.memory
            if start <= item["at"] <= end and item.get(key) is not None
        ]
