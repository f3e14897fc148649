"""Security headers on every response, a CSP the app's own scripts satisfy, authentication."""

from __future__ import annotations

import base64
import hashlib
import importlib
import re
import sys

import pytest
from werkzeug.security import generate_password_hash

from dashboard import create_app
from dashboard.config import settings_from_env
from tests.conftest import testing_config
from tests.http import renderer

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
ROUTER_BODY_FOR = "/health"  # a public path: a callback that claims it still needs credentials


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def router_body(pathname: str) -> dict:
    return renderer.router_body(pathname)


def component_suite_path(html: str) -> str:
    return re.search(r'src="(/_dash-component-suites/[^"]+)"', html).group(1)


def assert_security_headers(response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


# Headers


def test_every_kind_of_response_carries_the_security_headers(client, post_callback):
    html = client.get("/").get_data(as_text=True)
    responses = {
        "page": client.get("/training"),
        "unknown page": client.get("/no-such-page"),
        "layout": client.get("/_dash-layout"),
        "callback": post_callback(router_body("/")),
        "refused callback": post_callback(b"not json", raw=True),
        "too large": post_callback({"x": "x" * 1_100_000}),
        "asset": client.get("/assets/50_dashboard.css"),
        "missing asset": client.get("/assets/no-such-file.css"),
        "component suite": client.get(component_suite_path(html)),
        "health": client.get("/health"),
        "ready": client.get("/ready"),
        "metrics": client.get("/metrics"),
        "wrong method": client.delete("/health"),
    }
    assert responses["too large"].status_code == 413
    for name, response in responses.items():
        try:
            assert_security_headers(response)
        except (AssertionError, KeyError) as error:
            raise AssertionError(f"{name}: {response.status_code} {error!r}") from None


def test_csp_allows_exactly_the_inline_scripts_the_page_serves(client):
    html = client.get("/").get_data(as_text=True)
    policy = client.get("/").headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src "))
    inline = [
        match["body"]
        for match in INLINE_SCRIPT.finditer(html)
        if "src=" not in match["attrs"] and "application/json" not in match["attrs"]
    ]
    assert len(inline) >= 2  # the renderer, and the shell's clientside callback
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    # Neither arbitrary inline scripts nor eval: dash-ag-grid's function strings do not need it.
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/health").headers
    secure = client.get("/health", base_url="https://dashboard.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# Basic authentication

USERS = {
    "analyst": "correct horse battery staple",
    "manager": generate_password_hash("hashed secret"),
}


@pytest.fixture(scope="module")
def basic_client():
    app = create_app(testing_config(AUTH_MODE="basic", AUTH_USERS=USERS))
    return app.server.test_client()


def protected_requests(client):
    return {
        "page": lambda headers: client.get("/", headers=headers),
        "another page": lambda headers: client.get("/resources?range=7d", headers=headers),
        "layout": lambda headers: client.get("/_dash-layout", headers=headers),
        "dependencies": lambda headers: client.get("/_dash-dependencies", headers=headers),
        "asset": lambda headers: client.get("/assets/50_dashboard.css", headers=headers),
        "metrics": lambda headers: client.get("/metrics", headers=headers),
        "callback": lambda headers: client.post(
            "/_dash-update-component", json=router_body("/"), headers=headers
        ),
        "callback claiming a public path": lambda headers: client.post(
            "/_dash-update-component", json=router_body(ROUTER_BODY_FOR), headers=headers
        ),
    }


def test_basic_auth_denies_everything_but_health_without_credentials(basic_client):
    for name, send in protected_requests(basic_client).items():
        response = send({})
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"].startswith("Basic "), name
        assert_security_headers(response)


def test_basic_auth_allows_a_known_user(basic_client):
    for user, password in [("analyst", USERS["analyst"]), ("manager", "hashed secret")]:
        for name, send in protected_requests(basic_client).items():
            response = send(basic(user, password))
            assert response.status_code == 200, (user, name, response.status_code)


@pytest.mark.parametrize(
    "authorization",
    [
        basic("analyst", "wrong")["Authorization"],
        basic("nobody", "correct horse battery staple")["Authorization"],
        basic("manager", USERS["manager"])["Authorization"],  # the hash is not the password
        basic("", "")["Authorization"],
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer analyst",
        "Digest username=analyst",
        "x" * 8000,
    ],
    ids=[
        "wrong password",
        "unknown user",
        "hash as password",
        "empty",
        "no credentials",
        "not base64",
        "no colon",
        "not UTF-8",
        "bearer",
        "digest",
        "huge",
    ],
)
def test_basic_auth_refuses_bad_credentials_with_401(basic_client, authorization):
    response = basic_client.get("/", headers={"Authorization": authorization})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_checks_stay_public(basic_client, path):
    response = basic_client.get(path)
    assert response.status_code == 200
    assert response.is_json


def test_metrics_can_be_made_public():
    app = create_app(testing_config(AUTH_MODE="basic", AUTH_USERS=USERS, METRICS_PUBLIC=True))
    client = app.server.test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/").status_code == 401


# Reverse-proxy authentication


@pytest.fixture(scope="module")
def proxy_client():
    app = create_app(
        testing_config(
            AUTH_MODE="proxy",
            AUTH_PROXY_HEADER="X-Forwarded-User",
            AUTH_PROXY_IPS=("127.0.0.1",),
        )
    )
    return app.server.test_client()


def test_proxy_auth_allows_a_user_named_by_the_proxy(proxy_client):
    response = proxy_client.get("/", headers={"X-Forwarded-User": "analyst@soc"})
    assert response.status_code == 200


def test_proxy_auth_denies_requests_without_the_header(proxy_client):
    assert proxy_client.get("/").status_code == 403
    assert proxy_client.get("/", headers={"X-Forwarded-User": " "}).status_code == 403
    callback = proxy_client.post("/_dash-update-component", json=router_body(ROUTER_BODY_FOR))
    assert callback.status_code == 403


def test_proxy_auth_ignores_the_header_from_anyone_but_the_proxy(proxy_client):
    response = proxy_client.get(
        "/",
        headers={"X-Forwarded-User": "analyst@soc"},
        environ_base={"REMOTE_ADDR": "10.20.30.40"},
    )
    assert response.status_code == 403


def test_proxy_auth_keeps_health_public(proxy_client):
    assert proxy_client.get("/health").status_code == 200
    assert proxy_client.get("/ready").status_code == 200


# Settings


def test_authentication_is_off_by_default():
    settings = settings_from_env({})
    assert settings["AUTH_MODE"] == "none"
    assert settings["METRICS_PUBLIC"] is False


def test_users_come_from_the_environment_and_a_file(tmp_path):
    users_file = tmp_path / "users"
    users_file.write_text("# user:password or user:werkzeug-hash\nmanager:scrypt:abc$def\n\n")
    settings = settings_from_env(
        {
            "DASHBOARD_AUTH": "basic",
            "DASHBOARD_AUTH_USERS": "analyst:pass:with:colons, ops:x",
            "DASHBOARD_AUTH_USERS_FILE": str(users_file),
        }
    )
    assert settings["AUTH_USERS"] == {
        "analyst": "pass:with:colons",
        "ops": "x",
        "manager": "scrypt:abc$def",
    }


@pytest.mark.parametrize(
    "env",
    [
        {"DASHBOARD_AUTH": "ldap"},
        {"DASHBOARD_AUTH": "basic"},
        {"DASHBOARD_AUTH": "basic", "DASHBOARD_AUTH_USERS": "no-password"},
        {"DASHBOARD_AUTH": "basic", "DASHBOARD_AUTH_USERS_FILE": "/no/such/file"},
        {"DASHBOARD_METRICS_PUBLIC": "maybe"},
    ],
)
def test_bad_authentication_settings_stop_the_start(env):
    with pytest.raises(ValueError):
        settings_from_env(env)


def test_debug_is_off_under_gunicorn_whatever_flask_debug_says(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delitem(sys.modules, "dashboard.wsgi", raising=False)
    wsgi = importlib.import_module("dashboard.wsgi")
    assert wsgi.server.debug is False


# No user text as HTML

HTML_PROPS = ("dangerously_allow_html", "dangerously_allow_code", "srcDoc")


def test_no_component_renders_text_as_html(client, post_callback):
    # Forged filters in the URL reach the shell's callbacks; none may turn text into markup.
    layouts = renderer.all_layouts(client)
    trees = [client.get("/_dash-layout").get_json()]
    trees += [renderer.page_layout(client, path) for path in renderer.page_paths(client)]
    forged = "?range=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&model=%3Cscript%3E"
    for callback in renderer.callbacks(client):
        if callback.clientside:
            continue
        body = renderer.request_body(callback, layouts)
        for item in body["inputs"]:
            for dep in item if isinstance(item, list) else [item]:
                if dep.get("property") == "search":
                    dep["value"] = forged
        response = post_callback(body)
        if response.status_code == 200:
            trees.append(response.get_json())
    offending = [
        component.get("type")
        for tree in trees
        for component in renderer.components(tree)
        if any(component["props"].get(prop) for prop in HTML_PROPS)
    ]
    assert offending == []
