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
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache
from flask import current_app

from dashboard.data import queries

DEFAULT_ENTRIES = 100
DEFAULT_TTL = 300.0


class ViewMemo:
    """A bounded, expiring, thread-safe map of view keys to outputs (least recent out)."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, ttl: float = DEFAULT_TTL) -> None:
        self.lock = threading.Lock()
        self.entries: TTLCache[Hashable, Any] = TTLCache(maxsize=max_entries, ttl=ttl)

    def get(self, key: Hashable) -> tuple[bool, Any]:
        with self.lock:
            try:
                return True, self.entries[key]
            except KeyError:
                return False, None

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.entries[key] = value

    def __len__(self) -> int:
        with self.lock:
            self.entries.expire()
            return len(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


EXTENSION = "dashboard_views"


def views_of_app() -> ViewMemo:
    """The current app's memo (each app its own: tests build apps with other settings)."""
    extensions = current_app.extensions
    if EXTENSION not in extensions:
        config = current_app.config
        memo = ViewMemo(
            int(config.get("VIEW_CACHE_ENTRIES", DEFAULT_ENTRIES)),
            float(config.get("CACHE_DEFAULT_TIMEOUT", DEFAULT_TTL)),
        )
        return extensions.setdefault(EXTENSION, memo)
    return extensions[EXTENSION]


def memoised_view(function: Callable[..., Any]) -> Callable[..., Any]:
    """Memoise `function` (a view of validated, hashable arguments) per data generation.

    Exceptions (no update, a missing table) are not kept: the next call tries again.
    """

    @functools.wraps(function)
    def view(*args: Hashable) -> Any:
        if current_app.config.get("CACHE_TYPE") == "NullCache":
            return function(*args)
        key = (function.__module__, function.__qualname__, queries.key(), args)
        memo = views_of_app()
        found, value = memo.get(key)
        if found:
            return value
        value = function(*args)
        memo.put(key, value)
        return value

    return view
