"""Sign-in that resists guessing: failures throttled per client in bounded memory, unknown
users as costly as wrong passwords, proxies trusted by CIDR range, the user in the access log."""

from __future__ import annotations

import base64
import ipaddress
import random
import time

import flask
import pytest
from scipy.stats import mannwhitneyu
from werkzeug.security import generate_password_hash

from dashboard import create_app
from dashboard.config import settings_from_env
from dashboard.security import auth
from dashboard.security.auth import BasicUsersAuth
from dashboard.security.clients import client_key
from dashboard.security.throttle import ALLOWED_FAILURES, SignInThrottle
from tests.conftest import testing_config

PASSWORD = "correct horse battery staple"
USERS = {"analyst": PASSWORD, "manager": generate_password_hash("hashed secret")}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def from_address(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


@pytest.fixture
def basic_client():
    # A new app each test: every one starts with no failures counted.
    return create_app(testing_config(AUTH_MODE="basic", AUTH_USERS=USERS)).server.test_client()


# Throttling


def test_failed_sign_ins_are_throttled_per_client_address(basic_client, monkeypatch):
    attacker, bystander = from_address("192.0.2.7"), from_address("198.51.100.9")
    for _ in range(ALLOWED_FAILURES):
        assert (
            basic_client.get("/", headers=basic("analyst", "guess"), **attacker).status_code == 401
        )
    checks = []
    monkeypatch.setattr(auth, "check_password_hash", lambda *args: checks.append(args))
    refused = basic_client.get("/", headers=basic("analyst", PASSWORD), **attacker)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert checks == []  # refused without a password check: a blocked guess costs no scrypt
    monkeypatch.undo()
    assert basic_client.get("/", headers=basic("analyst", PASSWORD), **bystander).status_code == 200
    # Without credentials the attacker still gets the sign-in challenge, and health checks.
    assert basic_client.get("/", **attacker).status_code == 401
    assert basic_client.get("/health", **attacker).status_code == 200


def test_a_trusted_proxy_throttles_each_client_behind_it_apart(basic_client):
    proxy = from_address("127.0.0.1")
    for _ in range(ALLOWED_FAILURES):
        headers = {**basic("analyst", "guess"), "X-Forwarded-For": "203.0.113.5"}
        assert basic_client.get("/", headers=headers, **proxy).status_code == 401
    blocked = {**basic("analyst", PASSWORD), "X-Forwarded-For": "203.0.113.5"}
    assert basic_client.get("/", headers=blocked, **proxy).status_code == 429
    other = {**basic("analyst", PASSWORD), "X-Forwarded-For": "203.0.113.6"}
    assert basic_client.get("/", headers=other, **proxy).status_code == 200


def test_an_untrusted_peer_cannot_dodge_the_throttle_with_x_forwarded_for(basic_client):
    peer = from_address("192.0.2.8")
    for index in range(ALLOWED_FAILURES):
        headers = {**basic("analyst", "guess"), "X-Forwarded-For": f"203.0.113.{index}"}
        basic_client.get("/", headers=headers, **peer)
    headers = {**basic("analyst", PASSWORD), "X-Forwarded-For": "203.0.113.200"}
    assert basic_client.get("/", headers=headers, **peer).status_code == 429


def test_the_throttle_forgets_a_client_after_its_window_and_on_success():
    now = [0.0]
    throttle = SignInThrottle(allowed=3, window=60, timer=lambda: now[0])
    for _ in range(3):
        throttle.failed("a")
    assert throttle.blocked("a")
    now[0] = 59
    assert throttle.blocked("a")
    now[0] = 121  # 60 s after the last failure
    assert not throttle.blocked("a")
    throttle.failed("b")
    throttle.succeeded("b")
    assert len(throttle) == 0


def test_the_throttle_remembers_a_bounded_number_of_clients():
    throttle = SignInThrottle(allowed=3, window=60, max_clients=100)
    for index in range(5_000):
        throttle.failed(ipaddress.ip_address(0x0A000000 + index))
    assert len(throttle) == 100


def test_an_ipv6_client_counts_as_its_slash_64():
    one = client_key(ipaddress.ip_address("2001:db8:1:2::1"))
    assert one == client_key(ipaddress.ip_address("2001:db8:1:2:ffff::9"))
    assert one != client_key(ipaddress.ip_address("2001:db8:1:3::1"))


# Equal cost of an unknown user and a wrong password

CHEAP_SCRYPT = "scrypt:4096:8:1"  # scrypt as werkzeug makes it, at a cost a test can repeat
SAMPLES = 60


def timings(check, attempts: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Seconds each check took, by the first item of each attempt, in a shuffled order."""
    order = [(kind, attempt) for kind, attempts_of in attempts for attempt in attempts_of]
    random.Random(14).shuffle(order)
    taken: dict[str, list[float]] = {}
    for kind, (user, password) in order:
        started = time.perf_counter()
        assert check(user, password) is False
        taken.setdefault(kind, []).append(time.perf_counter() - started)
    return taken


def test_an_unknown_user_costs_what_a_wrong_password_costs():
    users = {"manager": generate_password_hash("hashed secret", method=CHEAP_SCRYPT)}
    basic_auth = BasicUsersAuth(users, (), SignInThrottle())
    assert basic_auth.decoy.startswith(CHEAP_SCRYPT)  # the users' own method
    taken = timings(
        basic_auth.check_password,
        [
            ("wrong password", [("manager", f"guess {index}") for index in range(SAMPLES)]),
            ("unknown user", [(f"user{index}", "hashed secret") for index in range(SAMPLES)]),
        ],
    )
    # No measurable difference: equal distributions are not rejected (two-sided, at 0.1%).
    assert mannwhitneyu(taken["wrong password"], taken["unknown user"]).pvalue > 0.001


def test_the_timing_check_detects_a_shortcut_for_unknown_users():
    # The same measurement tells the old behaviour (no hash check for an unknown user) apart.
    users = {"manager": generate_password_hash("hashed secret", method=CHEAP_SCRYPT)}
    basic_auth = BasicUsersAuth(users, (), SignInThrottle())

    def shortcut(user: str, password: str) -> bool:
        return False if user not in basic_auth.hashes else basic_auth.check_password(user, password)

    taken = timings(
        shortcut,
        [
            ("wrong password", [("manager", f"guess {index}") for index in range(20)]),
            ("unknown user", [(f"user{index}", "x") for index in range(20)]),
        ],
    )
    assert mannwhitneyu(taken["wrong password"], taken["unknown user"]).pvalue < 0.001


def test_plain_passwords_are_checked_as_hashes():
    basic_auth = BasicUsersAuth({"analyst": PASSWORD}, (), SignInThrottle())
    assert basic_auth.hashes["analyst"].startswith("scrypt:")
    assert basic_auth.check_password("analyst", PASSWORD)
    assert not basic_auth.check_password("analyst", PASSWORD + " ")


# Trusted proxies by CIDR range


@pytest.fixture(scope="module")
def proxy_range_client():
    config = testing_config(AUTH_MODE="proxy", AUTH_PROXY_IPS=("10.0.0.0/8", "2001:db8::/32"))
    return create_app(config).server.test_client()


@pytest.mark.parametrize(
    ("peer", "status"),
    [("10.20.30.40", 200), ("10.255.0.1", 200), ("2001:db8::7", 200), ("11.0.0.1", 403)],
)
def test_proxies_are_trusted_by_cidr_range(proxy_range_client, peer, status):
    response = proxy_range_client.get(
        "/", headers={"X-Forwarded-User": "analyst@soc"}, **from_address(peer)
    )
    assert response.status_code == status


def test_proxy_ranges_come_from_the_environment():
    settings = settings_from_env({"DASHBOARD_AUTH_PROXY_IPS": "10.0.0.0/8, 192.0.2.10,::1"})
    assert settings["AUTH_PROXY_IPS"] == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.10/32"),
        ipaddress.ip_network("::1/128"),
    )
    with pytest.raises(ValueError, match="CIDR"):
        settings_from_env({"DASHBOARD_AUTH_PROXY_IPS": "10.0.0.0/33"})


def test_a_user_name_with_control_characters_is_refused(proxy_range_client):
    response = proxy_range_client.get(
        "/", headers={"X-Forwarded-User": "analyst\x1b[31m"}, **from_address("10.0.0.1")
    )
    assert response.status_code == 403


# The user in the access log


def remote_user(client, path: str, headers: dict[str, str], peer: str = "127.0.0.1"):
    """REMOTE_USER as the request left it for gunicorn's access log (its AccessLogger)."""
    with client:
        client.get(path, headers=headers, **from_address(peer))
        return flask.request.environ.get("REMOTE_USER")


def test_the_signed_in_user_goes_to_the_access_log(proxy_range_client, basic_client):
    named = {"X-Forwarded-User": "analyst@soc"}
    assert remote_user(proxy_range_client, "/", named, "10.0.0.1") == "analyst@soc"
    assert remote_user(proxy_range_client, "/", named, "11.0.0.1") is None
    assert remote_user(proxy_range_client, "/health", named, "10.0.0.1") is None  # public
    assert remote_user(basic_client, "/", basic("analyst", PASSWORD)) == "analyst"
    assert remote_user(basic_client, "/", basic("analyst", "wrong")) is None
