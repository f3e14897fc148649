"""Failed sign-ins counted per client, in bounded memory, so that guessing passwords (each
guess an scrypt check) is slow and cheap to refuse."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache

# Failures an address may make within the window before it has to wait.
ALLOWED_FAILURES = 10
WINDOW_SECONDS = 300.0
# Clients remembered at once; beyond that the least recent are forgotten first.
MAX_CLIENTS = 10_000


class SignInThrottle:
    """After `allowed` failed sign-ins, a client is refused without a password check until
    `window` seconds have passed since its last counted failure."""

    def __init__(
        self,
        allowed: int = ALLOWED_FAILURES,
        window: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = allowed
        self.window = window
        self.lock = threading.Lock()
        # Each failure stores the count again, which restarts its time to live.
        self.failures: TTLCache[Hashable, int] = TTLCache(max_clients, window, timer=timer)

    def blocked(self, client: Hashable) -> bool:
        with self.lock:
            return self.failures.get(client, 0) >= self.allowed

    def failed(self, client: Hashable) -> int:
        """Count a failure; the client's failures so far."""
        with self.lock:
            count = self.failures.get(client, 0) + 1
            self.failures[client] = count
            return count

    def succeeded(self, client: Hashable) -> None:
        with self.lock:
            self.failures.pop(client, None)

    def __len__(self) -> int:
        with self.lock:
            self.failures.expire()
            return len(self.failures)
