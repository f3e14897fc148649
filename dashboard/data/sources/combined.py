"""Several sources as one (`mlflow:…;/srv/soc-exports`): each table from the first that holds it."""

from __future__ import annotations

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot, Source, content_token, read_source
from simulator.schema import TABLES


class CombinedSource(ReadingSource):
    """Several sources as one: each table from the first source that holds it."""

    def __init__(self, parts: list[Source]) -> None:
        self.parts = parts
        self.name = " + ".join(part.name for part in parts)

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        snapshots = [part.read(now, since) for part in self.parts]
        if since is not None and any(snap.since != since for snap in snapshots):
            # Parts that read whole tables and parts that read only new rows do not mix in one
            # snapshot: read every part whole.
            snapshots = [read_source(part, now) for part in self.parts]
            since = None
        tables: dict[str, pd.DataFrame] = {}
        hints: dict[str, str] = {}
        for name in TABLES:
            holder = next((snap for snap in snapshots if name in snap.tables), None)
            if holder is not None:
                tables[name] = holder.tables[name]
            else:
                ways = [snap.hints.get(name) for snap in snapshots if snap.hints.get(name)]
                hints[name] = "; or ".join(dict.fromkeys(ways)) or "no source provides it"
        settled = [snap.settled_before for snap in snapshots]
        return Snapshot(
            tables,
            now,
            self.name,
            token=content_token([snap.token for snap in snapshots]),
            hints=hints,
            problems=tuple(problem for snap in snapshots for problem in snap.problems),
            notes=tuple(note for snap in snapshots for note in snap.notes),
            since=since,
            settled_before=None if None in settled else min(settled),
        )
