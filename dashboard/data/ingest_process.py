"""The ingest process: `python -m dashboard.data.ingest_process`, started by gunicorn's master.

It reads the settings from the environment, like the web workers, ingests every
DASHBOARD_REFRESH_SECONDS and stops on SIGTERM, SIGINT, or when the process that started it
is gone. `supervise()` starts it and starts it again whenever it ends unasked (killed for
memory, a crash), after a pause that doubles up to RESTART_PAUSE_MAX; `wait_for_data` lets the
master wait a while for the first generation before it draws the default views
(dashboard.callbacks.warmup).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from dashboard.data.manifest import read_manifest

log = logging.getLogger(__name__)
# The same lines as gunicorn's text logs (gunicorn.conf.py).
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"


# How often the master looks whether the ingest still runs, and how long it waits to restart it.
WATCH_SECONDS = 2.0
RESTART_PAUSE_MIN = 5.0
RESTART_PAUSE_MAX = 300.0
# A run this long counts as healthy: the next failure starts again from the shortest pause.
HEALTHY_RUN_SECONDS = 600.0


def start(elapsed_seconds: float = 0.0) -> subprocess.Popen:
    """Start the ingest process with this process's environment; `elapsed_seconds` after the
    first start, a simulated clock starts that much later (it goes on, never back)."""
    env = {**os.environ, "DASHBOARD_INGEST_PARENT": str(os.getpid())}
    clock_start = env.get("DASHBOARD_SIM_CLOCK_START", "").strip()
    if clock_start and elapsed_seconds > 0:
        later = pd.Timestamp(clock_start) + pd.Timedelta(seconds=elapsed_seconds)
        env["DASHBOARD_SIM_CLOCK_START"] = later.isoformat()
    return subprocess.Popen([sys.executable, "-m", "dashboard.data.ingest_process"], env=env)


def stop_process(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def ending(code: int) -> str:
    """How a process ended, in words ('killed by SIGKILL (out of memory?)')."""
    if code == 0:
        # gunicorn's master reaps every child it has, ours too: the status is lost then
        return "ended (its status was collected by gunicorn: the kernel log says if it was killed)"
    if code > 0:
        return f"exited with status {code}"
    name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
    return f"killed by {name}" + (" (out of memory?)" if -code == signal.SIGKILL else "")


class Supervised:
    """The ingest process, watched from a thread of the master and started again when it ends
    without being asked to."""

    def __init__(self) -> None:
        self.process = start()
        self.began = self.started = time.monotonic()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="ingest-watch", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        pause = RESTART_PAUSE_MIN
        while not self.stopping.wait(WATCH_SECONDS):
            code = self.process.poll()
            if code is None:
                continue
            if time.monotonic() - self.started >= HEALTHY_RUN_SECONDS:
                pause = RESTART_PAUSE_MIN
            log.error(
                "the ingest process (pid %d) %s: serving the last data it published, "
                "starting it again in %.0f s",
                self.process.pid,
                ending(code),
                pause,
            )
            if self.stopping.wait(pause):
                return
            self.process = start(time.monotonic() - self.began)
            self.started = time.monotonic()
            pause = min(pause * 2, RESTART_PAUSE_MAX)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.thread.join(timeout)
        stop_process(self.process, timeout)


def supervise() -> Supervised:
    """Start the ingest process, and start it again whenever it ends unasked."""
    return Supervised()


def stop(ingest: Supervised | None) -> None:
    if ingest is not None:
        ingest.stop()


def wait_for_data(data_dir: Path, seconds: float) -> bool:
    """Whether the store in `data_dir` has a loaded generation within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        manifest = read_manifest(data_dir)
        if manifest is not None and manifest.loaded:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def main() -> int:
    from dashboard.config import settings_from_env
    from dashboard.data.ingest import ingester_for

    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("DASHBOARD_LOG_FORMAT", "").strip().lower() == "json":
        from dashboard.ops.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(
        level=os.environ.get("DASHBOARD_LOG_LEVEL", "info").strip().upper() or "INFO",
        handlers=[handler],
    )
    config = settings_from_env()
    ingester = ingester_for(config)
    parent = int(os.environ.get("DASHBOARD_INGEST_PARENT", "0") or 0)
    stopping = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.append(True))

    def should_stop() -> bool:
        return bool(stopping) or (parent > 0 and os.getppid() != parent)

    log.info("ingesting %s into %s", ingester.source.name, ingester.data_dir)
    ingester.serve(float(config["REFRESH_SECONDS"]), should_stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
