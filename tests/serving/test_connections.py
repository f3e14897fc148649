"""A refused request body never breaks the connection for the request after it (gunicorn).

A body over the limit is read and answered with `Connection: close` (the client reconnects for
its next request, and reads the whole 413 first: no reset); a body refused early within the
limit is drained, and the same connection carries the next request.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest
import requests

from tests.serving.harness import Gunicorn

pytestmark = pytest.mark.serving

CALLBACK = "/_dash-update-component"
LIMIT = 1_000_000  # DASHBOARD_MAX_REQUEST_BYTES' default
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Gunicorn]:
    with Gunicorn(tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


def oversized(size: int) -> bytes:
    return json.dumps({"output": "x", "inputs": [], "padding": "x" * size}).encode()


@pytest.mark.parametrize("size", [LIMIT + 1, 5_000_000])
def test_a_too_large_body_then_an_ordinary_request(server, size):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        for _ in range(5):
            connection.request("POST", CALLBACK, body=oversized(size), headers=JSON)
            refused = connection.getresponse()
            refused.read()
            assert refused.status == 413
            assert refused.getheader("Connection") == "close"
            connection.request("GET", "/health")  # reconnects, as a client must after "close"
            ordinary = connection.getresponse()
            assert (ordinary.status, ordinary.read()) == (200, b'{"status":"alive"}\n')
    finally:
        connection.close()


def test_a_body_refused_early_leaves_the_connection_ready_for_the_next_request(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/health")
        connection.getresponse().read()
        socket_before = connection.sock
        # /health takes no POST: answered 405 without reading the 900 KB.
        connection.request("POST", "/health", body=b"x" * 900_000, headers=JSON)
        refused = connection.getresponse()
        refused.read()
        assert refused.status == 405
        assert refused.getheader("Connection") == "keep-alive"
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        assert connection.sock is socket_before  # the same connection
    finally:
        connection.close()


def test_the_413_is_read_whole_and_the_connection_then_ends_cleanly(server):
    body = oversized(3_000_000)
    head = (
        f"POST {CALLBACK} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(head + body)
            answer = b""
            while chunk := connection.recv(65536):  # a reset would raise here
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b"\r\nConnection: close\r\n" in answer


def test_a_chunked_body_over_the_limit_closes_its_connection(server):
    def chunks():
        for _ in range(150):
            yield b"x" * 10_000

    with requests.Session() as session:
        for _ in range(3):
            response = session.post(server.url + CALLBACK, data=chunks(), headers=JSON, timeout=30)
            assert response.status_code in (400, 413)  # cut at the limit: not JSON either
            assert response.headers["Connection"] == "close"
            assert session.get(f"{server.url}/health", timeout=10).status_code == 200
