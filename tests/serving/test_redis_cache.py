"""One Redis shared by every worker and host; the dashboard outlives a Redis outage.

Two gunicorn servers stand for two hosts behind a load balancer: "host A" with two workers and
"host B" with one, both using one redis-server on a loopback port. The data refreshes daily
here, so that every worker of both hosts computes the same snapshot and so the same cache keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from benchmarks.load import RendererClient
from dashboard import ids
from tests.http import renderer
from tests.serving.harness import Gunicorn, RedisServer, total, wait_for

pytestmark = pytest.mark.serving

LOOKUPS = "dashboard_cache_lookups_total"


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[RedisServer]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def redis_env(redis: RedisServer, workers: int) -> dict[str, str]:
    return {
        "WEB_CONCURRENCY": str(workers),
        "DASHBOARD_CACHE_TYPE": "RedisCache",
        "DASHBOARD_CACHE_REDIS_URL": redis.url,
        "DASHBOARD_CACHE_RETRY_SECONDS": "1",
        "DASHBOARD_REFRESH_SECONDS": "86400",
    }


@pytest.fixture(scope="module")
def host_a(tmp_path_factory, redis) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path_factory.mktemp("host-a"), **redis_env(redis, 2))
    with server:
        yield server


@pytest.fixture(scope="module")
def kpis_body(host_a) -> dict:
    """The overview KPI callback's request, as the browser sends it."""
    with requests.Session() as session:
        client = RendererClient(session, host_a.url)
        layouts = renderer.all_layouts(client)
        callback = next(
            callback
            for callback in renderer.callbacks(client)
            if callback.output.lstrip(".").startswith("ov-kpis")
        )
    body = renderer.request_body(callback, layouts)
    # A range the master's warm-up (callbacks.warmup) does not draw: the first request computes.
    for argument in body["inputs"]:
        # The page's own store of the range (callbacks/router.py), which its callbacks take.
        if argument.get("id") in (ids.RANGE, ids.page_filter(ids.OVERVIEW, "range")):
            argument["value"] = "7d"
    return body


def post_fresh(url: str, body: dict) -> requests.Response:
    """On a new connection, so that any worker may accept it."""
    return requests.post(
        f"{url}/_dash-update-component", json=body, headers={"Connection": "close"}, timeout=60
    )


def by_function(counters: dict[tuple, float], result: str) -> dict[str, float]:
    """{query function: lookups with `result`} of one worker's counters (those above zero: a
    worker also reports, at zero, the label sets it inherited from the master's warm-up)."""
    found: dict[str, float] = {}
    for labels, value in counters.items():
        labels = dict(labels)
        if labels["result"] == result and value > 0:
            found[labels["function"]] = found.get(labels["function"], 0.0) + value
    return found


def test_a_value_computed_in_one_worker_is_a_hit_in_another(host_a, kpis_body, tmp_path):
    before = host_a.counters_by_worker(LOOKUPS, tmp_path)
    assert post_fresh(host_a.url, kpis_body).status_code == 200
    after = host_a.counters_by_worker(LOOKUPS, tmp_path)
    computed = {
        pid: {
            function
            for function, misses in by_function(counters, "miss").items()
            if misses > by_function(before.get(pid, {}), "miss").get(function, 0.0)
        }
        for pid, counters in after.items()
    }
    computed = {pid: functions for pid, functions in computed.items() if functions}
    assert len(computed) == 1, after  # one worker answered, computing the KPI's queries
    ((first, functions),) = computed.items()

    def another_worker_hit() -> bool:
        with ThreadPoolExecutor(8) as pool:
            answers = pool.map(lambda _: post_fresh(host_a.url, kpis_body).status_code, range(8))
        assert list(answers) == [200] * 8
        workers = host_a.counters_by_worker(LOOKUPS, tmp_path)
        # Another worker found those values in Redis, and never computed one of them itself.
        return any(
            functions <= set(by_function(counters, "hit"))
            and not functions & set(by_function(counters, "miss"))
            for pid, counters in workers.items()
            if pid != first
        )

    wait_for(another_worker_hit, 30, "no other worker answered from the shared cache", 0)


def test_a_value_computed_on_one_host_is_a_hit_on_another(host_a, redis, kpis_body, tmp_path):
    assert post_fresh(host_a.url, kpis_body).status_code == 200
    with Gunicorn(tmp_path, **redis_env(redis, 1)) as host_b:
        assert post_fresh(host_b.url, kpis_body).status_code == 200
        metrics = host_b.metrics()
        assert total(metrics, LOOKUPS, result="hit") > 0
        assert total(metrics, LOOKUPS, result="miss") == 0


def test_pages_answer_through_a_redis_outage_and_recover(host_a, redis, kpis_body):
    redis.stop()
    try:
        for _ in range(4):
            response = post_fresh(host_a.url, kpis_body)
            assert response.status_code == 200
            assert response.json()["response"]
        assert requests.get(f"{host_a.url}/training", timeout=30).status_code == 200
        ready = requests.get(f"{host_a.url}/ready", timeout=30)
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "degraded"
        assert body["cache"]["status"] == "unreachable"
        assert total(host_a.metrics(), "dashboard_cache_errors_total") > 0
        assert "Redis cache unreachable" in host_a.stderr.read_text()
    finally:
        redis.start()

    def cache_ok() -> bool:
        body = requests.get(f"{host_a.url}/ready", timeout=30).json()
        return body["cache"]["status"] == "ok" and body["status"] == "ready"

    wait_for(cache_ok, 20, lambda: f"/ready never recovered\n{host_a.logs()}")
    # The restarted Redis is empty: the first request fills it, the next ones hit again. Each
    # worker returns to Redis after its own retry pause, so poll rather than count requests.
    hits = total(host_a.metrics(), LOOKUPS, result="hit")

    def hits_again() -> bool:
        assert post_fresh(host_a.url, kpis_body).status_code == 200
        return total(host_a.metrics(), LOOKUPS, result="hit") > hits

    wait_for(hits_again, 20, lambda: f"no cache hit after Redis returned\n{host_a.logs()}", 0.5)
    errors = total(host_a.metrics(), "dashboard_cache_errors_total")
    for _ in range(4):
        assert post_fresh(host_a.url, kpis_body).status_code == 200
    assert total(host_a.metrics(), "dashboard_cache_errors_total") == errors
    assert "Redis cache reachable again" in host_a.stderr.read_text()
