"""Memoised views: what a page callback shows for validated filters, kept per data generation.

Plotly validates every property of a figure as it is built, which costs tens of milliseconds
for a page's charts even when every query behind them is a cache hit. The query cache keeps
the data; this keeps the finished outputs (figures and components) of a view function, in the
worker's memory: they are returned as they are, never pickled, so a repeated view skips
rebuilding them. Keys are the function, the data generation and the already validated
arguments (everything a view reads besides the data and the app's fixed settings), so a data
refresh never serves a stale view. Each app has its own memo. Bounded: at most VIEW_CACHE_ENTRIES
views, each for CACHE_DEFAULT_TIMEOUT seconds; off with CACHE_TYPE=NullCache.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app

from dashboard.data import queries

DEFAULT_ENTRIES = 100


class ViewMemo:
    """A bounded, expiring, thread-safe map of view keys to outputs (least recent out)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return False, None
            expires, value = found
            if expires < time.monotonic():
                del self.entries[key]
                return False, None
            self.entries.move_to_end(key)
            return True, value

    def put(self, key: Hashable, value: Any, max_entries: int, ttl: float) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + ttl, value)
            self.entries.move_to_end(key)
            while len(self.entries) > max_entries:
                self.entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


EXTENSION = "dashboard_views"


def views_of_app() -> ViewMemo:
    """The current app's memo (each app its own: tests build apps with other settings)."""
    return current_app.extensions.setdefault(EXTENSION, ViewMemo())


def memoised_view(function: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise `function` (a view of validated, hashable arguments) per data generation.

    Exceptions (no update, a missing table) are not kept: the next call tries again.
    """

    @functools.wraps(function)
    def view(*args: Hashable) -> Any:
        config = current_app.config
        if config.get("CACHE_TYPE") == "NullCache":
            return function(*args)
        key = (function.__module__, function.__qualname__, queries.key(), args)
        memo = views_of_app()
        found, value = memo.get(key)
        if found:
            return value
        value = function(*args)
        memo.put(
            key,
            value,
            int(config.get("VIEW_CACHE_ENTRIES", DEFAULT_ENTRIES)),
            float(config.get("CACHE_DEFAULT_TIMEOUT", 300)),
        )
        return value

    return view
