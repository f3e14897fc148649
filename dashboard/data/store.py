"""The current snapshot of the data, re-read from its source as it ages.

A Flask extension (flaskr style): `store.init_app(app)` builds the source from the app's
config; `store.snapshot()` returns the current Snapshot of the app in context. A failed re-read
keeps the last good snapshot and records why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pandas as pd
from flask import Flask, current_app

from dashboard.data.sources import Snapshot, Source, source_from_setting

log = logging.getLogger(__name__)

EXTENSION = "dashboard_data"


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class _AppData:
    def __init__(self, source: Source, refresh_seconds: int, clock: Callable[[], pd.Timestamp]):
        self.source = source
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.lock = threading.Lock()
        self.current: Snapshot | None = None
        self.loaded_at = 0.0
        self.last_error: str | None = None

    def _aligned_now(self) -> pd.Timestamp:
        # Aligning to the refresh interval lets every worker and host compute the same snapshot
        # (and so share cache entries).
        now = self.clock()
        if self.refresh_seconds > 0:
            now = now.floor(f"{self.refresh_seconds}s")
        return now.as_unit("us")

    def _stale(self) -> bool:
        if self.current is None:
            return True
        return (
            self.refresh_seconds > 0 and time.monotonic() - self.loaded_at >= self.refresh_seconds
        )

    def snapshot(self) -> Snapshot:
        if not self._stale():
            return self.current
        with self.lock:
            if self._stale():
                self._reload()
            return self.current

    def _reload(self) -> None:
        now = self._aligned_now()
        if self.current is None or self.current.as_of != now:
            try:
                self.current = self.source.load(now)
                self.last_error = None
            except Exception as error:  # any failure of a source must leave the last good data
                if self.current is None:
                    raise
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning(
                    "re-reading %s failed, serving data as of %s: %s",
                    self.source.name,
                    self.current.as_of,
                    self.last_error,
                )
        self.loaded_at = time.monotonic()


class DataStore:
    """Flask extension holding each app's data source and current snapshot."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, clock: Callable[[], pd.Timestamp] = utc_now) -> None:
        config = app.config
        source = config.get("DATA_SOURCE_OBJECT") or source_from_setting(
            str(config["DATA_SOURCE"]), int(config["SIM_SEED"]), int(config["SIM_SCALE"])
        )
        app.extensions[EXTENSION] = _AppData(source, int(config["REFRESH_SECONDS"]), clock)

    def _data(self) -> _AppData:
        return current_app.extensions[EXTENSION]

    def snapshot(self) -> Snapshot:
        return self._data().snapshot()

    def status(self) -> dict[str, object]:
        data = self._data()
        current = data.current
        return {
            "source": data.source.name,
            "as_of": None if current is None else current.as_of.isoformat(),
            "last_error": data.last_error,
        }


store = DataStore()
