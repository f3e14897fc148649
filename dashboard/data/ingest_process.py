"""The ingest process: `python -m dashboard.data.ingest_process`, started by gunicorn's master.

It reads the settings from the environment, like the web workers, ingests every
DASHBOARD_REFRESH_SECONDS and stops on SIGTERM, SIGINT, or when the process that started it
is gone. `start(config)` starts it; `wait_for_data` lets the master wait a while for the first
generation before it draws the default views (dashboard.callbacks.warmup).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dashboard.data.manifest import read_manifest

log = logging.getLogger(__name__)
# The same lines as gunicorn's text logs (gunicorn.conf.py).
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def start() -> subprocess.Popen:
    """Start the ingest process with this process's environment."""
    env = {**os.environ, "DASHBOARD_INGEST_PARENT": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "dashboard.data.ingest_process"], env=env)


def stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()


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
