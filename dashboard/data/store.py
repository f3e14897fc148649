"""The current snapshot of the data, re-read from its source as it ages.

A Flask extension (flaskr style): `store.init_app(app)` builds the source from the app's
config; `store.snapshot()` returns the current Snapshot of the app in context. A failed re-read
keeps the last good snapshot, records why and sends `source_failed` (metrics count it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pandas as pd
from blinker import Namespace
from flask import Flask, current_app

from dashboard.data.sources import Snapshot, Source, source_from_setting

log = logging.getLogger(__name__)

EXTENSION = "dashboard_data"

# Sent with the source's name and the error whenever reading the source fails.
source_failed = Namespace().signal("source-failed")


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
                self.last_error = f"{type(error).__name__}: {error}"
                source_failed.send(self.source.name, error=error)
                if self.current is None:
                    raise
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
            str(config["DATA_SOURCE"]),
            int(config["SIM_SEED"]),
            int(config["SIM_SCALE"]),
            config.get("METRIC_ALIASES"),
            config.get("MODEL_TYPE_MAP"),
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
            **_contents(current, data.clock()),
        }

    def readiness(self) -> dict[str, object]:
        """Whether data is loaded (loading it if due), how old it is, and the last read error."""
        data = self._data()
        try:
            current = data.snapshot()
        except Exception:  # the source failed and no data was ever loaded: not ready
            current = None
        age = None if current is None else (data.clock() - current.as_of).total_seconds()
        return {
            "loaded": current is not None,
            "source": data.source.name,
            "as_of": None if current is None else current.as_of.isoformat(),
            "age_seconds": None if age is None else round(age, 3),
            "last_error": data.last_error,
            "tables": None if current is None else current.row_counts(),
            "missing_tables": None if current is None else current.missing,
        }


def _contents(current: Snapshot | None, now: pd.Timestamp) -> dict[str, object]:
    """Rows per table, the missing tables and the data's age in seconds (None before a load)."""
    if current is None:
        return {"tables": None, "missing_tables": None, "age_seconds": None}
    return {
        "tables": current.row_counts(),
        "missing_tables": current.missing,
        "age_seconds": round((now - current.as_of).total_seconds(), 3),
    }


store = DataStore()
