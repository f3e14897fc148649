"""Request bodies the app does not read must not break the connection they came on.

Flask refuses a body over MAX_CONTENT_LENGTH (413), and answers a refused sign-in or a wrong
method, without reading the body. Left on the socket, it is what gunicorn reads next: gunicorn
drains 64 KB of it at most, and otherwise closes the connection after an answer that promised
keep-alive, so the client's next request on it fails ("Remote end closed connection without
response"). Two parts:

- `DrainUnreadBody`, WSGI middleware: reads what is left of a body (at most DRAIN_BYTES, for
  at most DRAIN_SECONDS) before the answer goes out. The client, done sending, reads the answer
  rather than a reset, and the connection is ready for its next request.
- `closes_connection()`, for gunicorn's pre_request hook: a body over the limit, or of unknown
  length (chunked), is answered with `Connection: close`, so the client never reuses a
  connection that may still hold some of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

DRAIN_BYTES = 16 * 1024 * 1024
DRAIN_SECONDS = 5.0
CHUNK = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def drain(stream: BinaryIO, limit: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS) -> bool:
    """Read `stream` to its end, if that takes at most `limit` bytes and `seconds`."""
    deadline = time.monotonic() + seconds
    drained = 0
    while drained < limit and time.monotonic() < deadline:
        chunk = stream.read(min(CHUNK, limit - drained))
        if not chunk:
            return True
        drained += len(chunk)
    return False


class DrainUnreadBody:
    """Drains the rest of each request body after the app answers, before the answer is sent
    (a WSGI server sends nothing until the app returns), when the server ends the input stream
    at the body's end (`wsgi.input_terminated`, as gunicorn does)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        result = self.app(environ, start_response)
        if environ.get("wsgi.input_terminated"):
            try:
                drain(environ["wsgi.input"])
            except Exception as error:  # a broken body: the server closes the connection itself
                log.debug("request body could not be drained: %s", error)
        return result


def closes_connection(headers: Iterable[tuple[str, str]], limit: int) -> bool:
    """Whether a request with `headers` should close its connection after the answer: its
    body is declared over `limit` bytes, or its length is unknown until it ends (chunked)."""
    for name, value in headers:
        name = name.upper()
        if name == "TRANSFER-ENCODING" and "chunked" in value.lower():
            return True
        if name == "CONTENT-LENGTH":
            try:
                if int(value) > limit:
                    return True
            except ValueError:
                return True
    return False
