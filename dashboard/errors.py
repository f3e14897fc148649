"""Callback errors told apart: a malformed or forged request is the client's (4xx), an
exception raised by a callback function is the server's (500, logged with its traceback)."""

from __future__ import annotations

import logging
from typing import NoReturn

from dash.exceptions import DependencyException
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"
# At most this much of a client's text goes into one log line.
LOGGED_CHARS = 200


class CallbackFailed(Exception):
    """A callback function raised: a bug or a broken dependency on the server, not a bad
    request. The original exception is its `__cause__`."""


def callback_failed(error: Exception) -> NoReturn:
    """The `on_error` hook of the dashboard's own callbacks (`callbacks.guard`): an exception
    one of them raises (no-update and a missing table are answered before it) goes to Flask as
    a CallbackFailed. Their inputs are checked first, so it is never the client's fault. Dash's
    own callbacks (the pages router) keep Dash's handling: a forged path is a bad request."""
    raise CallbackFailed(f"{type(error).__name__}: {error}") from error


def _callback_output() -> str:
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    return output[:LOGGED_CHARS] if isinstance(output, str) else "?"


def register(server: Flask) -> None:
    @server.before_request
    def reject_malformed_callback() -> object:
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            return jsonify(error="malformed callback request"), 400
        if not isinstance(body.get("output"), str):
            return jsonify(error="malformed callback request"), 400
        return None

    @server.errorhandler(Exception)
    def callback_errors(error: Exception) -> object:
        if isinstance(error, HTTPException):
            return error
        if isinstance(error, DependencyException):
            # A /_dash-component-suites/ path that Dash does not serve: Dash raises for it.
            return jsonify(error="not found"), 404
        if isinstance(error, CallbackFailed):
            log.error(
                "callback %s failed: %s",
                _callback_output(),
                error,
                exc_info=error.__cause__ or error,
            )
            return jsonify(error="internal server error"), 500
        if request.path == CALLBACK_PATH:
            # Dash raises on payloads a browser never sends (unknown ids, wrong shapes) before
            # any callback function runs. One line per request keeps a flood of forged requests
            # from flooding the log.
            log.warning(
                "rejected callback request: %s: %.*s", type(error).__name__, LOGGED_CHARS, error
            )
            return jsonify(error="invalid callback request"), 400
        log.exception("unhandled error on %s", request.path)
        return jsonify(error="internal server error"), 500
