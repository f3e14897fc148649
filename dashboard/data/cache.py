"""The query cache (flask-caching), attached to the app with `cache.init_app(app)`.

The default, a cache in each process, drops the least recently used entries at its threshold
(`ProcessCache`): flask-caching's SimpleCache drops those that expire first, which are the
entries a page uses most (computed first in a generation) and the version key of a memoised
function, whose loss makes every entry of that function a miss.

With `CACHE_TYPE=RedisCache` every worker and host shares one Redis. Redis is a speed-up, not a
dependency: `FallbackRedisCache` answers a failed operation as a miss (so the query is computed
from the source), warns once per outage, sends `cache_failed` (metrics count it), and leaves
Redis alone for `CACHE_RETRY_SECONDS` before trying again, so an outage costs no timeouts.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from blinker import Namespace
from cachetools import LRUCache
from flask import Flask, current_app
from flask_caching import Cache
from flask_caching.backends import SimpleCache
from flask_caching.backends.rediscache import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

# Sent with the failed operation's name whenever the cache backend fails.
cache_failed = Namespace().signal("cache-failed")


def _guarded(operation: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    method = getattr(RedisCache, operation)

    @functools.wraps(method)
    def guarded(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        if not self.due():
            return fallback(*args)
        try:
            result = method(self, *args, **kwargs)
        except (RedisError, OSError) as error:
            self.failed(operation, error)
            return fallback(*args)
        self.succeeded()
        return result

    return guarded


def _none(*_args: Any) -> None:
    return None


def _false(*_args: Any) -> bool:
    return False


def _nones(*keys: Any) -> list[None]:
    return [None] * len(keys)


def _empty(*_args: Any) -> list[Any]:
    return []


class FallbackRedisCache(RedisCache):
    """flask-caching's RedisCache whose failures are misses, with a pause before retrying."""

    def __init__(self, *args: Any, retry_seconds: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_seconds = retry_seconds
        self.down_until = 0.0
        self.last_error: str | None = None
        self.lock = threading.Lock()

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> FallbackRedisCache:
        kwargs["retry_seconds"] = float(config.get("CACHE_RETRY_SECONDS", 5.0))
        return super().factory(app, config, args, kwargs)

    def due(self) -> bool:
        """Whether to use Redis now: always, except for a pause after a failure."""
        return time.monotonic() >= self.down_until

    def failed(self, operation: str, error: Exception) -> None:
        cache_failed.send(self, operation=operation, error=error)
        with self.lock:
            first = self.last_error is None
            self.last_error = f"{type(error).__name__}: {error}"
            self.down_until = time.monotonic() + self.retry_seconds
        if first:
            log.warning(
                "Redis cache unreachable (%s); computing queries from the source, slower, "
                "until it answers again (next try in %.0f s)",
                self.last_error,
                self.retry_seconds,
            )

    def succeeded(self) -> None:
        if self.last_error is None:
            return
        with self.lock:
            recovered, self.last_error = self.last_error is not None, None
        if recovered:
            log.warning("Redis cache reachable again; queries are cached again")

    def reachable(self) -> bool:
        """Ask Redis now (readiness checks), whatever the pause; a success ends an outage."""
        try:
            self._write_client.ping()
        except (RedisError, OSError) as error:
            self.failed("ping", error)
            return False
        self.succeeded()
        self.down_until = 0.0
        return True

    get = _guarded("get", _none)
    get_many = _guarded("get_many", _nones)
    has = _guarded("has", _false)
    set = _guarded("set", _false)
    add = _guarded("add", _false)
    set_many = _guarded("set_many", _empty)
    delete = _guarded("delete", _false)
    delete_many = _guarded("delete_many", _empty)
    clear = _guarded("clear", _false)
    inc = _guarded("inc", _none)
    dec = _guarded("dec", _none)


class ProcessCache(SimpleCache):
    """flask-caching's SimpleCache (this process's memory, values pickled) bounded by recency:
    at its threshold it drops the least recently used entry. Reads refresh an entry, so the
    version keys of memoised functions, read on every call, stay while their function is used,
    and a generation's entries leave once the next generation's are used instead."""

    def __init__(self, threshold: int = 500, default_timeout: int = 300, **kwargs: Any) -> None:
        super().__init__(threshold=threshold, default_timeout=default_timeout, **kwargs)
        self._cache = LRUCache(maxsize=self._threshold)

    def _prune(self) -> None:
        """Nothing to do: LRUCache drops the least recently used entry on an insert at the
        threshold, and an expired entry, never read again, is soon that one (a scan for
        expired entries would read, and so refresh, every entry)."""


class QueryCache(Cache):
    """flask-caching's Cache, with Redis made optional and lookups signalled (for metrics)."""

    def init_app(self, app: Flask, config: dict[str, Any] | None = None) -> None:
        config = {**app.config, **(config or {}), "CACHE_ENABLE_SIGNALS": True}
        if config.get("CACHE_TYPE") == "SimpleCache":
            config["CACHE_TYPE"] = f"{__name__}.{ProcessCache.__name__}"
        if config.get("CACHE_TYPE") == "RedisCache":
            timeout = float(config.get("CACHE_REDIS_TIMEOUT", 1.0))
            config["CACHE_TYPE"] = f"{__name__}.{FallbackRedisCache.__name__}"
            config["CACHE_OPTIONS"] = {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                # One immediate retry replaces a pooled connection that a Redis restart closed;
                # redis-py's default (10 retries with backoff) would stall every request.
                "retry": Retry(NoBackoff(), 1),
                **(config.get("CACHE_OPTIONS") or {}),
            }
        super().init_app(app, config)

    def status(self) -> dict[str, object]:
        """The backend and whether it answers now (the app in context)."""
        backend = self.cache
        status: dict[str, object] = {"type": current_app.config["CACHE_TYPE"], "status": "ok"}
        if isinstance(backend, FallbackRedisCache) and not backend.reachable():
            status.update(status="unreachable", error=backend.last_error)
        return status


cache = QueryCache()
