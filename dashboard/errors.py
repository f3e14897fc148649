"""Turn malformed requests into 4xx answers instead of Dash's 500s."""

from __future__ import annotations

import logging

from dash.exceptions import DependencyException
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"


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
        if request.path == CALLBACK_PATH:
            # Dash raises on payloads a browser never sends (unknown ids, wrong shapes). One line
            # per request keeps a flood of forged requests from flooding the log; the traceback
            # is there at debug level for telling a real bug from a bad client.
            log.warning("rejected callback request: %s: %.200s", type(error).__name__, error)
            log.debug("rejected callback request", exc_info=error)
            return jsonify(error="invalid callback request"), 400
        log.exception("unhandled error on %s", request.path)
        return jsonify(error="internal server error"), 500
