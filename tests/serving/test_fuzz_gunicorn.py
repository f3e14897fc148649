"""A hostile-input run against gunicorn itself, with several workers: every callback fuzzed,
Dash's framework endpoints and the ops endpoints forged, malformed and oversized bodies, all
on kept-alive connections from several clients at once. No answer may be a 5xx, no request
may fail to get an answer (a connection error), no worker may be lost, and the server must be
ready afterwards.

The callback mutations are tests/http/test_fuzz.py's, seeded; the rest is what only a real
server sees: chunked bodies, bodies over the limit followed by ordinary requests, methods and
paths a browser never sends.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from benchmarks.load import RendererClient
from tests.http import renderer
from tests.http.test_fuzz import HOSTILE, mutate, raw_mutation
from tests.serving.harness import Gunicorn

pytestmark = pytest.mark.serving

SEED = 8504
WORKERS = 3
CLIENTS = 4  # concurrent keep-alive sessions
ROUNDS_PER_CALLBACK = 12
RAW_ROUNDS_PER_CALLBACK = 6
OVERSIZED_PER_CALLBACK = 2
URL = "/_dash-update-component"
LIMIT = 1_000_000  # DASHBOARD_MAX_REQUEST_BYTES' default
JSON = {"Content-Type": "application/json"}

# One request: (name, method, path, keyword arguments for requests).
Request = tuple[str, str, str, dict]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    with Gunicorn(tmp_path_factory.mktemp("gunicorn"), WEB_CONCURRENCY=str(WORKERS)) as server:
        yield server


@pytest.fixture(scope="module")
def valid_bodies(server) -> dict[str, dict]:
    with requests.Session() as session:
        client = RendererClient(session, server.url)
        layouts = renderer.all_layouts(client)
        return {
            callback.output: renderer.request_body(callback, layouts)
            for callback in renderer.callbacks(client)
            if not callback.clientside
        }


def callback_requests(rng: random.Random, valid_bodies: dict[str, dict]) -> list[Request]:
    requests_: list[Request] = []
    for output, valid in valid_bodies.items():
        for round_ in range(ROUNDS_PER_CALLBACK):
            name, forged = mutate(rng, valid)
            requests_.append((f"{output} #{round_} {name}", "POST", URL, {"json": forged}))
        for round_ in range(RAW_ROUNDS_PER_CALLBACK):
            name, data, content_type = raw_mutation(rng, valid)
            headers = {"Content-Type": content_type} if content_type else {}
            requests_.append(
                (f"{output} raw #{round_} {name}", "POST", URL, {"data": data, "headers": headers})
            )
        for round_ in range(OVERSIZED_PER_CALLBACK):
            padded = {**valid, "padding": "x" * rng.choice([LIMIT + 1, 3_000_000])}
            requests_.append((f"{output} oversized #{round_}", "POST", URL, {"json": padded}))
    return requests_


def chunked(size: int) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        for _ in range(size // 10_000):
            yield b"x" * 10_000

    return chunks


def framework_requests(rng: random.Random) -> list[Request]:
    """Dash's and the ops endpoints, with methods, paths and bodies a browser never sends."""
    paths = [
        "/_dash-layout",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_favicon.ico",
        "/_dash-component-suites/dash/no-such-file.js",
        "/_dash-component-suites/../../../etc/passwd",
        "/_dash-component-suites/dash/deps/react@18.v4_4_1m1.min.js",
        "/assets/../gunicorn.conf.py",
        "/assets/%2e%2e/setup.cfg",
        "/assets/no-such-file.css",
        "/health",
        "/ready",
        "/metrics",
        "/training?range=" + HOSTILE[0],
        "/ab-testing?range=7d&model=" + HOSTILE[3],
        "/%00",
        "/" + "a/" * 500,
    ]
    bodies: list[dict] = [
        {},
        {"data": b"\xff\xfe not json", "headers": JSON},
        {"data": b'{"output": ' * 2000, "headers": JSON},
        {"data": b"x" * 900_000, "headers": {"Content-Type": "text/plain"}},
        {"data": b"x" * (LIMIT + 1), "headers": JSON},
        {"data": b"a=1&" * 5000, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"data": b"--x\r\n\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
    ]
    requests_: list[Request] = []
    for path in paths:
        for method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"):
            requests_.append((f"{method} {path}", method, path, {}))
        for index in range(3):
            body = rng.choice(bodies)
            requests_.append((f"POST {path} body #{index}", "POST", path, dict(body)))
    for size in (200_000, 1_500_000):
        for path in (URL, "/_dash-layout", "/"):
            requests_.append(
                (f"chunked {size} {path}", "POST", path, {"data": chunked(size), "headers": JSON})
            )
    # A GET with a body, and Dash's endpoints asked the wrong way round.
    requests_.append(("GET with a body", "GET", URL, {"data": b"x" * 500_000}))
    requests_.append(("GET callback", "GET", URL, {}))
    requests_.append(("POST layout JSON", "POST", "/_dash-layout", {"json": {"inputs": []}}))
    return requests_


def send_all(server: Gunicorn, requests_: list[Request]) -> tuple[Counter, dict[str, str]]:
    """Send every request, spread over CLIENTS kept-alive sessions; after each one an ordinary
    request on the same session shows the connection still serves."""
    statuses: Counter = Counter()
    failures: dict[str, str] = {}

    def send(session: requests.Session, label: str, method: str, path: str, options: dict):
        try:
            response = session.request(method, server.url + path, **options)
        except requests.RequestException as error:
            failures[label] = f"{type(error).__name__}: {error}"[:200]
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures[label] = f"{response.status_code} {response.text[:120]!r}"

    def run(share: list[Request]) -> None:
        with requests.Session() as session:
            for name, method, path, options in share:
                options = dict(options)
                if callable(options.get("data")):
                    options["data"] = options["data"]()
                send(session, name, method, path, options)
                send(session, f"health after {name}", "GET", "/health", {})

    shares = [requests_[index::CLIENTS] for index in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(run, shares))
    return statuses, failures


def test_a_hostile_input_run_gets_no_5xx_no_connection_error_and_leaves_the_server_ready(
    server, valid_bodies
):
    workers = server.worker_pids()
    rng = random.Random(SEED)
    hostile = callback_requests(rng, valid_bodies) + framework_requests(rng)
    rng.shuffle(hostile)
    statuses, failures = send_all(server, hostile)
    sent = sum(statuses.values()) + len(failures)
    print(f"\nhostile-input run: {len(hostile)} hostile requests, {sent} in all, {dict(statuses)}")
    assert failures == {}
    assert sent == 2 * len(hostile)
    assert statuses[413] >= len(valid_bodies)  # the oversized bodies were refused, not skipped
    assert server.worker_pids() == workers, server.logs()
    ready = requests.get(f"{server.url}/ready", timeout=30)
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    errors = server.stderr.read_text()
    assert "WORKER TIMEOUT" not in errors
    assert "Traceback" not in errors, errors[-3000:]


def test_the_server_still_answers_every_page_after_the_run(server, valid_bodies):
    with requests.Session() as session:
        for path in ("/", "/training", "/ab-testing", "/data-quality", "/resources"):
            assert session.get(server.url + path, timeout=30).status_code == 200
        for body in list(valid_bodies.values())[:10]:
            assert session.post(server.url + URL, json=body, timeout=60).status_code in (200, 204)


def test_oversized_request_line_and_headers_are_refused(server):
    assert requests.get(f"{server.url}/?{'x' * 10_000}", timeout=10).status_code == 414
    response = requests.get(f"{server.url}/", headers={"X-Big": "x" * 20_000}, timeout=10)
    assert response.status_code in (400, 431)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_a_chunked_body_over_the_limit_is_refused(server, valid_bodies):
    body = json.dumps(next(iter(valid_bodies.values()))).encode()

    def chunks():
        yield body[:-1] + b', "padding": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    response = requests.post(server.url + URL, data=chunks(), headers=JSON, timeout=60)
    assert response.status_code in (400, 413)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
