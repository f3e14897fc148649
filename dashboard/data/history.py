"""What is derived from a snapshot once per history instead of once per snapshot.

A source may promise that its snapshots of one `Snapshot.history` share their settled rows
(the simulator: a UTC day). What is derived from those rows (rollups, weekly drift) is then
built once for the history (in gunicorn's master, before the workers fork, when it is
prepared there) and kept for the last HISTORIES_KEPT histories. A snapshot without a history
is its own history, so its derived values are rebuilt with every snapshot, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from dashboard.data.sources import Snapshot

HISTORIES_KEPT = 2
T = TypeVar("T")


def history_key(snapshot: Snapshot) -> tuple[str, str]:
    return snapshot.source, snapshot.history or snapshot.version


class PerHistory:
    """Derived values of the last few histories, each computed once (under a lock)."""

    def __init__(self, kept: int = HISTORIES_KEPT) -> None:
        self.kept = kept
        self.lock = threading.RLock()
        self.histories: OrderedDict[tuple[str, str], dict[Hashable, Any]] = OrderedDict()

    def get(self, snapshot: Snapshot, name: Hashable, compute: Callable[[], T]) -> T:
        key = history_key(snapshot)
        with self.lock:
            values = self.histories.setdefault(key, {})
            self.histories.move_to_end(key)
            while len(self.histories) > self.kept:
                self.histories.popitem(last=False)
            if name not in values:
                values[name] = compute()
            return values[name]

    def clear(self) -> None:
        with self.lock:
            self.histories.clear()


derived = PerHistory()
