"""Local servers that the benchmarks and the serving tests start: a free port, their workers."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path


def stop_process(process: subprocess.Popen, timeout: float) -> int:
    """SIGTERM (a graceful shutdown), then SIGKILL if it hangs past `timeout`; the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium_options(width: int, height: int):
    """Selenium options for Debian's headless Chromium in a `width` x `height` window."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--disable-background-networking",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return options


INGEST_COMMAND = b"dashboard.data.ingest_process"


def is_ingest(pid: int) -> bool:
    """Whether `pid` is the ingest process a gunicorn master starts."""
    try:
        return INGEST_COMMAND in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def worker_pids(master: int) -> list[int]:
    """A gunicorn master's workers: its children but the ingest process."""
    return [pid for pid in child_pids(master) if not is_ingest(pid)]


def ingest_pids(master: int) -> list[int]:
    return [pid for pid in child_pids(master) if is_ingest(pid)]


def child_pids(parent: int) -> list[int]:
    """Live (not zombie) children of process `parent`, from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return sorted(pids)
