"""What ops see: /health, /ready, /metrics, the Redis fallback and JSON logs (one process)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from base64 import b64encode
from datetime import timedelta
from pathlib import Path

import pytest
from gunicorn.config import Config
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from dashboard import create_app
from dashboard.callbacks.shell import data_status
from dashboard.data import health
from dashboard.data.ingest import ingester_for
from dashboard.data.sources import SimulatorSource
from dashboard.data.store import MANIFEST_CHECK_SECONDS, store
from dashboard.ops.logs import AccessLogger, JsonFormatter
from tests.conftest import FIXED_NOW, SEED, FixedTimeSource, testing_config
from tests.helpers import text_of
from tests.http import renderer
from tests.serving.harness import free_port


class FailingSource:
    """A source that cannot be read: the first `good` loads succeed, then every one fails."""

    def __init__(self, good: int = 0) -> None:
        self.source = FixedTimeSource(SimulatorSource(SEED), FIXED_NOW)
        self.name = "failing test source"
        self.good = good

    def read(self, now, since=None):
        if self.good > 0:
            self.good -= 1
            return self.source.read(now, since)
        raise OSError("the data share is not mounted")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def metric_samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (item.name, tuple(sorted(item.labels.items()))): item.value
        for family in text_string_to_metric_families(text)
        for item in family.samples
    }


@pytest.fixture(scope="module")
def overview_body(client):
    layouts = renderer.all_layouts(client)
    callback = next(
        callback
        for callback in renderer.callbacks(client)
        if callback.output.lstrip(".").startswith("ov-kpis")
    )
    return renderer.request_body(callback, layouts)


# /health and /ready


def test_health_says_alive_in_json(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_reports_data_and_cache(client):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["warnings"] == []
    assert body["cache"] == {"type": "SimpleCache", "status": "ok"}
    data = body["data"]
    assert data["loaded"] is True
    assert data["source"].startswith("simulator")
    assert data["as_of"] == FIXED_NOW.isoformat()
    assert data["age_seconds"] >= 0
    assert data["last_error"] is None


def test_ready_is_503_until_data_can_be_loaded(tmp_path):
    app = create_app(testing_config(DATA_SOURCE_OBJECT=FailingSource(), DATA_DIR=str(tmp_path)))
    client = app.server.test_client()
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["data"]["loaded"] is False
    assert body["data"]["last_error"] == "OSError: the data share is not mounted"
    assert client.get("/health").status_code == 200
    errors = metric_samples(client.get("/metrics").get_data(as_text=True))
    assert errors[("dashboard_source_errors_total", ())] == 1


def test_a_failed_reread_serves_the_last_data_and_says_so(tmp_path):
    config = testing_config(DATA_SOURCE_OBJECT=FailingSource(good=1), DATA_DIR=str(tmp_path))
    app = create_app(config)
    client = app.server.test_client()
    assert client.get("/ready").get_json()["status"] == "ready"
    ingester_for(app.server.config).run_once()  # the next refresh: the source now fails
    time.sleep(MANIFEST_CHECK_SECONDS)
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["data"]["loaded"] is True
    assert "not mounted" in body["data"]["last_error"]
    assert any("source failed" in warning for warning in body["warnings"])


def test_an_ingest_that_stopped_publishing_is_said_on_ready_and_in_the_navbar(tmp_path):
    # Live refresh every 30 s: five silent minutes mean the ingest process is gone.
    app = create_app(testing_config(DATA_DIR=str(tmp_path), REFRESH_SECONDS=30))
    client = app.server.test_client()
    assert client.get("/ready").get_json()["status"] == "ready"
    manifest = Path(app.server.config["DATA_DIR_PATH"]) / "manifest.json"
    ten_minutes_ago = time.time() - 600
    os.utime(manifest, (ten_minutes_ago, ten_minutes_ago))
    time.sleep(MANIFEST_CHECK_SECONDS)
    body = client.get("/ready").get_json()
    assert body["status"] == "degraded"
    assert body["data"]["ingest_stalled"] is True
    assert body["data"]["published_seconds_ago"] >= 600
    assert any("the ingest has stopped" in warning for warning in body["warnings"])
    with app.server.app_context():
        _updated, warning = data_status(None)
    assert "has not been refreshed for 10 min" in text_of(warning)


def ready_from(client, peer: str, headers: dict[str, str] | None = None):
    return client.get("/ready", headers=headers or {}, environ_base={"REMOTE_ADDR": peer})


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("192.0.2.7", {}),
        # A reverse proxy on this host forwarding a client: not a caller on this machine.
        ("127.0.0.1", {"X-Forwarded-For": "192.0.2.7"}),
        ("127.0.0.1", {"Forwarded": "for=192.0.2.7"}),
    ],
)
def test_ready_tells_anyone_else_its_status_only(client, peer, headers):
    response = ready_from(client, peer, headers)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_ready_gives_the_details_to_a_caller_on_this_machine(client):
    for peer in ("127.0.0.1", "::1"):
        assert set(ready_from(client, peer).get_json()) == {"status", "data", "cache", "warnings"}


@pytest.fixture(scope="module")
def basic_auth_client():
    users = {"analyst": "correct horse battery staple"}
    return create_app(testing_config(AUTH_MODE="basic", AUTH_USERS=users)).server.test_client()


def test_ready_gives_the_details_to_a_signed_in_user(basic_auth_client):
    signed_in = {
        "Authorization": "Basic " + b64encode(b"analyst:correct horse battery staple").decode()
    }
    wrong = {"Authorization": "Basic " + b64encode(b"analyst:wrong").decode()}
    assert ready_from(basic_auth_client, "192.0.2.7").get_json() == {"status": "ready"}
    assert ready_from(basic_auth_client, "192.0.2.7", wrong).get_json() == {"status": "ready"}
    body = ready_from(basic_auth_client, "192.0.2.7", signed_in).get_json()
    assert body["data"]["loaded"] is True
    assert body["data"]["tables"]["alerts"] > 0


def test_ready_never_shows_a_password_of_the_source():
    source = FixedTimeSource(SimulatorSource(SEED), FIXED_NOW)
    source.name = "mlflow:https://ops:s3cret@mlflow.soc.example/;/srv/tables"
    app = create_app(testing_config(DATA_SOURCE_OBJECT=source))
    client = app.server.test_client()
    assert client.get("/ready").get_json()["data"]["source"] == (
        "mlflow:https://ops:***@mlflow.soc.example/;/srv/tables"
    )
    assert "s3cret" not in client.get("/metrics").get_data(as_text=True)


def test_ready_warns_of_an_open_dashboard_on_a_network_address():
    app = create_app(testing_config(HOST="0.0.0.0", AUTH_MODE="none"))
    body = app.server.test_client().get("/ready").get_json()
    assert body["status"] == "ready"  # it serves; the warning is for whoever set it up
    assert any("DASHBOARD_AUTH=none" in warning for warning in body["warnings"])


def test_ready_only_asks_the_store_for_the_data(monkeypatch, client):
    # A probe must never make the dashboard read its source: readiness() is the store's only
    # call that /ready may make (the data layer keeps it free of reads).
    calls = []
    for name in ("status", "run"):
        monkeypatch.setattr(store, name, lambda *args, name=name: calls.append(name))
    assert client.get("/ready").status_code == 200
    assert calls == []


# /metrics


def test_metrics_answer_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = metric_samples(response.get_data(as_text=True))
    assert samples[("dashboard_data_loaded", ())] == 1.0
    ages = [value for (name, _), value in samples.items() if name == "dashboard_data_age_seconds"]
    assert ages and ages[0] >= 0


def test_callbacks_are_counted_and_timed_by_name(client, post_callback, overview_body):
    output = overview_body["output"]
    before = sample("dashboard_callback_requests_total", callback=output, status="200")
    timed_before = sample("dashboard_callback_duration_seconds_count", callback=output)
    for _ in range(3):
        assert post_callback(overview_body).status_code == 200
    assert sample("dashboard_callback_requests_total", callback=output, status="200") == before + 3
    assert sample("dashboard_callback_duration_seconds_count", callback=output) == timed_before + 3
    text = client.get("/metrics").get_data(as_text=True)
    assert f'dashboard_callback_requests_total{{callback="{output}",status="200"}}' in text


def test_forged_callbacks_share_one_label(post_callback, overview_body):
    before = sample("dashboard_callback_requests_total", callback="unknown", status="400")
    forged = {**overview_body, "output": "<script>alert(1)</script>.children"}
    assert post_callback(forged).status_code == 400
    assert post_callback(b"{not json", raw=True).status_code == 400
    assert sample("dashboard_callback_requests_total", callback="unknown", status="400") == (
        before + 2
    )


def test_query_cache_hits_and_misses_are_counted(post_callback, overview_body, monkeypatch):
    # The counters are process-wide: no models' health computation of this or an earlier
    # test's app may look up queries while the two requests are counted.
    monkeypatch.setattr(health._Kept, "refresh", lambda self, app, generation_key: None)
    for thread in threading.enumerate():
        if thread.name == health.THREAD_NAME:
            thread.join(timeout=120)

    def lookups(result: str) -> float:
        return sum(
            metric.value
            for family in REGISTRY.collect()
            if family.name == "dashboard_cache_lookups"
            for metric in family.samples
            if metric.name.endswith("_total") and metric.labels["result"] == result
        )

    post_callback(overview_body)
    hits = lookups("hit")
    misses = lookups("miss")
    post_callback(overview_body)  # everything it needs is cached now
    assert lookups("hit") > hits
    assert lookups("miss") == misses


def test_requests_are_counted_by_kind_of_endpoint(client):
    before = sample("dashboard_http_requests_total", endpoint="page", method="GET", status="200")
    client.get("/training?range=7d")
    client.get("/no/such/page")
    after = sample("dashboard_http_requests_total", endpoint="page", method="GET", status="200")
    assert after == before + 2


# Redis unreachable


@pytest.fixture(scope="module")
def unreachable_redis_app():
    # Nothing listens on the port: every Redis operation fails at once.
    url = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(
        testing_config(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url, CACHE_RETRY_SECONDS=60)
    )
    return app


def test_without_redis_callbacks_answer_from_the_source(
    unreachable_redis_app, overview_body, caplog
):
    client = unreachable_redis_app.server.test_client()
    errors_before = sum(
        sample("dashboard_cache_errors_total", operation=op) for op in ("get", "get_many", "set")
    )
    with caplog.at_level(logging.WARNING, logger="dashboard.data.cache"):
        for _ in range(3):
            response = client.post("/_dash-update-component", json=overview_body)
            assert response.status_code == 200
            assert response.get_json()["response"]
    warnings = [record for record in caplog.records if "unreachable" in record.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per request
    errors_after = sum(
        sample("dashboard_cache_errors_total", operation=op) for op in ("get", "get_many", "set")
    )
    assert errors_after > errors_before


def test_without_redis_ready_says_degraded(unreachable_redis_app):
    response = unreachable_redis_app.server.test_client().get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["cache"]["type"] == "RedisCache"
    assert body["cache"]["status"] == "unreachable"
    assert "ConnectionError" in body["cache"]["error"]
    assert any("cache unreachable" in warning for warning in body["warnings"])


# JSON logs


def record(name: str, message: str, args: object = None) -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


def test_json_logs_are_one_object_a_line():
    line = JsonFormatter().format(record("dashboard.data.cache", "Redis %s", ("down",)))
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "Redis down"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "dashboard.data.cache"
    assert entry["time"].endswith("+00:00")
    assert isinstance(entry["pid"], int)


def test_json_access_logs_carry_their_fields():
    atoms = {
        "h": "10.0.0.7",
        "u": "-",
        "m": "POST",
        "U": "/_dash-update-component",
        "q": "",
        "s": "200",
        "B": 5617,
        "M": 42,
        "f": "-",
        "a": 'Mozilla/5.0 "quoted"',
        "{x-forwarded-for}i": "192.0.2.1",
    }
    entry = json.loads(JsonFormatter().format(record("gunicorn.access", "%(h)s", atoms)))
    assert entry["remote_addr"] == "10.0.0.7"
    assert entry["status"] == "200"
    assert entry["duration_ms"] == 42
    assert entry["user_agent"] == 'Mozilla/5.0 "quoted"'
    assert entry["forwarded_for"] == "192.0.2.1"
    assert "user" not in entry


def test_json_logs_include_tracebacks():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        item = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    entry = json.loads(JsonFormatter().format(item))
    assert "RuntimeError: boom" in entry["exception"]


def test_json_logs_carry_extra_fields():
    item = record("dashboard.security", "sign-in refused")
    item.client = "192.0.2.7"
    assert json.loads(JsonFormatter().format(item))["client"] == "192.0.2.7"


class Answered:
    status = "200 OK"
    sent = 120
    headers: list = []


@pytest.mark.parametrize(
    ("environ", "user"),
    [
        ({"REMOTE_USER": "analyst@soc"}, "analyst@soc"),
        # A basic-auth header names a user whether or not the password was right.
        ({"HTTP_AUTHORIZATION": "Basic YW5hbHlzdDp3cm9uZw=="}, "-"),
    ],
)
def test_access_lines_name_only_the_user_the_dashboard_signed_in(environ, user):
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        **environ,
    }
    atoms = AccessLogger(Config()).atoms(Answered(), {}, environ, timedelta(milliseconds=3))
    assert atoms["u"] == user
