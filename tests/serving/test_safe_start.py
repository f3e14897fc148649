"""Safe by default: this machine only without a sign-in; a network address needs an explicit
DASHBOARD_AUTH, and an open one (`none`) is warned about."""

from __future__ import annotations

import runpy
import socket
from pathlib import Path

import pytest

from dashboard.config import is_loopback, open_to_network, refusal_to_serve
from tests.serving.harness import ROOT, Gunicorn

pytestmark = pytest.mark.serving


def test_a_network_address_without_dashboard_auth_refuses_to_start(tmp_path):
    server = Gunicorn(tmp_path, DASHBOARD_HOST="0.0.0.0", DASHBOARD_AUTH="")
    try:
        status = server.process.wait(timeout=60)
    finally:
        server.stop()
    assert status != 0
    errors = server.stderr.read_text()
    assert "DASHBOARD_HOST=0.0.0.0" in errors
    for choice in ("DASHBOARD_AUTH=basic", "DASHBOARD_AUTH=proxy", "DASHBOARD_AUTH=none"):
        assert choice in errors
    assert "Traceback" not in errors
    # It stopped before binding anything.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", server.port))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_sign_in(host):
    assert is_loopback(host)
    assert refusal_to_serve({"DASHBOARD_HOST": host}) is None
    assert not open_to_network({"HOST": host, "AUTH_MODE": "none"})


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "10.1.2.3", "dashboard.soc.example"])
def test_any_other_address_needs_a_choice(host):
    env = {"DASHBOARD_HOST": host} if host else {}  # unset: gunicorn's default, 0.0.0.0
    assert not is_loopback(host or "0.0.0.0")
    assert "DASHBOARD_AUTH" in refusal_to_serve(env)
    for choice in ("basic", "proxy", "none"):
        assert refusal_to_serve({**env, "DASHBOARD_AUTH": choice}) is None
    assert open_to_network({"HOST": host or "0.0.0.0", "AUTH_MODE": "none"})
    assert not open_to_network({"HOST": host or "0.0.0.0", "AUTH_MODE": "basic"})


class Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str, *args: object) -> None:
        self.warnings.append(message % args)


class Server:
    def __init__(self) -> None:
        self.log = Log()


@pytest.mark.parametrize(("auth", "warned"), [("none", True), ("proxy", False)])
def test_an_open_dashboard_on_a_network_address_is_logged(monkeypatch, tmp_path, auth, warned):
    # gunicorn.conf.py read as gunicorn reads it, and its when_ready hook run: nothing binds.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("DASHBOARD_HOST", "0.0.0.0")
    monkeypatch.setenv("DASHBOARD_AUTH", auth)
    conf = runpy.run_path(str(Path(ROOT) / "gunicorn.conf.py"))
    server = Server()
    conf["when_ready"](server)
    assert bool(server.log.warnings) is warned
    assert all("DASHBOARD_AUTH=none" in warning for warning in server.log.warnings)


def test_scripts_run_serves_this_machine_only_unless_told_otherwise():
    script = (Path(ROOT) / "scripts" / "run").read_text()
    assert "export DASHBOARD_HOST=${DASHBOARD_HOST:-127.0.0.1}" in script
