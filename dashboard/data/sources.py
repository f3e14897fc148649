"""Data sources: each turns where the data lives into the contract tables as of a moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from simulator import simulate


@dataclass(frozen=True)
class Snapshot:
    """The contract tables as they stood at `as_of`, and where they came from."""

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    source: str
    errors: tuple[str, ...] = field(default=())

    @property
    def version(self) -> str:
        """A token that changes whenever the data may have: part of every cache key."""
        return f"{self.source}@{self.as_of.isoformat()}"

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]


class Source(Protocol):
    name: str

    def load(self, now: pd.Timestamp) -> Snapshot: ...


class SimulatorSource:
    """The built-in simulator: live data that ends at `now`."""

    def __init__(self, seed: int, scale: int = 1) -> None:
        self.seed = seed
        self.scale = scale
        self.name = f"simulator(seed={seed}, scale={scale})"

    def load(self, now: pd.Timestamp) -> Snapshot:
        return Snapshot(simulate(self.seed, self.scale, now), now, self.name)


def source_from_setting(setting: str, seed: int, scale: int) -> Source:
    """Build the source that `DASHBOARD_DATA_SOURCE` names."""
    if setting == "simulator":
        return SimulatorSource(seed, scale)
    raise ValueError(f"DASHBOARD_DATA_SOURCE {setting!r} is not supported yet; use 'simulator'")
