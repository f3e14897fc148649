"""Structured logs: a JSON object a line for gunicorn's and the app's logs (DASHBOARD_LOG_FORMAT).

gunicorn.conf.py names `JsonFormatter` in its logging configuration; access lines carry their
fields (status, path, duration ...) as keys rather than as one formatted string.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

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


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON object: time, level, logger, pid, message (+ access fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            entry["message"] = "request"
            for field, atom in ACCESS_FIELDS.items():
                value = record.args[atom]
                if value not in (None, "-", ""):
                    entry[field] = value
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
