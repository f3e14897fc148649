"""Fuzzed callback requests against gunicorn itself: no 5xx, no worker lost, still ready.

The same seeded mutations as tests/http/test_fuzz.py, fewer of them, sent over real HTTP to
several workers, plus what only a real server sees: chunked bodies without a length.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest
import requests

from benchmarks.load import RendererClient
from tests.http import renderer
from tests.http.test_fuzz import mutate, raw_mutation
from tests.serving.harness import Gunicorn

pytestmark = pytest.mark.serving

SEED = 8504
ROUNDS_PER_CALLBACK = 6
RAW_ROUNDS_PER_CALLBACK = 3
URL = "/_dash-update-component"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path_factory.mktemp("gunicorn"))
    with server:
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


def test_fuzzed_requests_never_answer_5xx_nor_lose_a_worker(server, valid_bodies):
    workers = server.worker_pids()
    rng = random.Random(SEED)
    failures = {}
    with requests.Session() as session:
        for output, valid in valid_bodies.items():
            for round_ in range(ROUNDS_PER_CALLBACK):
                name, forged = mutate(rng, valid)
                response = session.post(server.url + URL, json=forged, timeout=60)
                if response.status_code >= 500:
                    failures[f"{output} #{round_} {name}"] = response.status_code
            for round_ in range(RAW_ROUNDS_PER_CALLBACK):
                name, data, content_type = raw_mutation(rng, valid)
                headers = {"Content-Type": content_type} if content_type else {}
                response = session.post(server.url + URL, data=data, headers=headers, timeout=60)
                if response.status_code >= 500:
                    failures[f"{output} raw #{round_} {name}"] = response.status_code
    assert failures == {}
    assert server.worker_pids() == workers, server.logs()
    assert requests.get(f"{server.url}/ready", timeout=30).json()["status"] == "ready"
    assert "WORKER TIMEOUT" not in server.stderr.read_text()


def test_chunked_body_over_the_limit_is_refused(server, valid_bodies):
    body = json.dumps(next(iter(valid_bodies.values()))).encode()

    def chunks():
        yield body[:-1] + b', "padding": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    response = requests.post(
        server.url + URL, data=chunks(), headers={"Content-Type": "application/json"}, timeout=60
    )
    assert response.status_code in (400, 413)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_oversized_request_line_and_headers_are_refused(server):
    assert requests.get(f"{server.url}/?{'x' * 10_000}", timeout=10).status_code == 414
    response = requests.get(f"{server.url}/", headers={"X-Big": "x" * 20_000}, timeout=10)
    assert response.status_code in (400, 431)
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
