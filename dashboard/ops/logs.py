"""Structured logs: a JSON object a line for gunicorn's and the app's logs (DASHBOARD_LOG_FORMAT),
and access lines that name the user the dashboard signed in.

gunicorn.conf.py names `JsonFormatter` in its logging configuration and `AccessLogger` as its
logger class; access lines carry their fields (status, path, duration ...) as keys rather than
as one formatted string.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

# gunicorn's access-log atoms, under the names a log pipeline expects.
ACCESS_FIELDS = {
    "remote_addr": "h",
    "user": "u",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "referer": "f",
    "user_agent": "a",
    "forwarded_for": "{x-forwarded-for}i",
}


class JsonFormatter(LibraryJsonFormatter):
    """python-json-logger's formatter with this project's keys: time, level, logger, pid,
    message, `exception` for a traceback, any `extra=` fields, and an access line's fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(process)d %(message)s",
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "process": "pid",
                "exc_info": "exception",
            },
            timestamp="time",
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            log_data["message"] = "request"
            for field, atom in ACCESS_FIELDS.items():
                value = record.args.get(atom)
                if value not in (None, "-", ""):
                    log_data[field] = value


class AccessLogger(Logger):
    """gunicorn's logger, whose access lines name the user the dashboard signed in
    (`REMOTE_USER`, set by dashboard.security), not whatever a basic-auth header claims."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = environ.get("REMOTE_USER") or "-"
        return atoms
