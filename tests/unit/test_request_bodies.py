"""Unread request bodies: drained within bounds, or their connection closed."""

from __future__ import annotations

import io

import pytest

from dashboard.request_bodies import DrainUnreadBody, closes_connection, drain


def test_drain_reads_a_body_to_its_end_within_the_bounds():
    body = io.BytesIO(b"x" * 300_000)
    assert drain(body, limit=1_000_000) is True
    assert body.read() == b""
    assert drain(io.BytesIO(b"x" * 300_000), limit=100_000) is False


def test_the_middleware_drains_only_a_stream_the_server_ends():
    def refuse(environ, start_response):
        start_response("413 Request Entity Too Large", [("Content-Length", "0")])
        return [b""]

    app = DrainUnreadBody(refuse)
    for terminated, left in [(True, b""), (False, b"x" * 1000)]:
        body = io.BytesIO(b"x" * 1000)
        environ = {"wsgi.input": body, "wsgi.input_terminated": terminated}
        assert list(app(environ, lambda *args: None)) == [b""]
        assert body.read() == left


@pytest.mark.parametrize(
    ("headers", "closes"),
    [
        ([("CONTENT-LENGTH", "1000")], False),
        ([("CONTENT-LENGTH", "1000001")], True),
        ([("TRANSFER-ENCODING", "chunked")], True),
        ([("CONTENT-LENGTH", "many")], True),
        ([], False),
    ],
)
def test_a_body_over_the_limit_or_of_unknown_length_closes_its_connection(headers, closes):
    assert closes_connection(headers, 1_000_000) is closes
