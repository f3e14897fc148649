"""Sign-in under gunicorn: the proxy's user in the access log, /ready's details to this machine
only, a guessing client throttled (gunicorn with DASHBOARD_AUTH=proxy and basic)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests

from dashboard.security.throttle import ALLOWED_FAILURES
from tests.serving.harness import Gunicorn, wait_for

pytestmark = pytest.mark.serving


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[Gunicorn]:
    server = Gunicorn(
        tmp_path_factory.mktemp("gunicorn"),
        DASHBOARD_AUTH="proxy",
        DASHBOARD_AUTH_PROXY_IPS="127.0.0.0/8",
        DASHBOARD_LOG_FORMAT="json",
    )
    with server:
        yield server


def access_entry(server: Gunicorn, query: str) -> dict:
    def entry() -> dict | None:
        for line in server.stdout.read_text().splitlines():
            item = json.loads(line)
            if item.get("query") == query:
                return item
        return None

    return wait_for(entry, 5, server.logs)


def test_the_proxys_user_is_in_the_access_log(proxied):
    named = {"X-Forwarded-User": "analyst@soc"}
    assert requests.get(f"{proxied.url}/?from=user-test", headers=named, timeout=30).ok
    assert access_entry(proxied, "from=user-test")["user"] == "analyst@soc"
    # Not signed in: no user, whatever a basic-auth header claims.
    claimed = {"Authorization": "Basic " + base64.b64encode(b"admin:x").decode()}
    refused = requests.get(f"{proxied.url}/?from=no-user-test", headers=claimed, timeout=30)
    assert refused.status_code == 403
    assert "user" not in access_entry(proxied, "from=no-user-test")


def test_ready_details_go_to_this_machine_and_signed_in_users_only(proxied):
    local = requests.get(f"{proxied.url}/ready", timeout=30).json()
    assert local["data"]["loaded"] is True
    forwarded = {"X-Forwarded-For": "192.0.2.7"}
    remote = requests.get(f"{proxied.url}/ready", headers=forwarded, timeout=30)
    assert (remote.status_code, remote.json()) == (200, {"status": "ready"})
    signed_in = {**forwarded, "X-Forwarded-User": "analyst@soc"}
    assert "data" in requests.get(f"{proxied.url}/ready", headers=signed_in, timeout=30).json()


def test_a_guessing_client_is_throttled_by_its_worker(tmp_path):
    server = Gunicorn(
        tmp_path,
        WEB_CONCURRENCY="1",  # one worker: one throttle to count against
        DASHBOARD_AUTH="basic",
        DASHBOARD_AUTH_USERS="analyst:correct horse battery staple",
    )
    with server, requests.Session() as session:
        guess = ("analyst", "guess")
        statuses = [session.get(server.url, auth=guess, timeout=30).status_code for _ in range(12)]
        assert statuses == [401] * ALLOWED_FAILURES + [429] * (12 - ALLOWED_FAILURES)
        right = ("analyst", "correct horse battery staple")
        assert session.get(server.url, auth=right, timeout=30).status_code == 429
        assert session.get(f"{server.url}/health", timeout=30).status_code == 200
