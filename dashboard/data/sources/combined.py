"""Several sources as one (`mlflow:…;/srv/soc-exports`): each table from the first that holds it.

A table one source holds empty (MLflow runs without system metrics have no resource_usage rows)
comes from the first source that holds rows of it (`mlflow:…;prometheus:…`), if any. GPU time
is attributed to the sessions that claim it (`dashboard.data.sources.gpu_attribution`).
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.sources.base import (
    GpuClaim,
    ReadingSource,
    Snapshot,
    Source,
    content_token,
    read_source,
)
from dashboard.data.sources.gpu_attribution import attribute, with_session_gpu_figures
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
        held_by: dict[str, Snapshot] = {}
        hints: dict[str, str] = {}
        for name in TABLES:
            holders = [snap for snap in snapshots if name in snap.tables]
            filled = [snap for snap in holders if len(snap.tables[name])]
            holder = (filled or holders or [None])[0]
            if holder is not None:
                tables[name] = holder.tables[name]
                held_by[name] = holder
            else:
                givers = [snap for snap in snapshots if snap.hints.get(name)]
                givers = [snap for snap in givers if not snap.hints_yield] or givers
                ways = dict.fromkeys(snap.hints[name] for snap in givers)
                hints[name] = "; or ".join(ways) or "no source provides it"
        settled = [snap.settled_before for snap in snapshots]
        telemetry = held_by.get("resource_usage")
        claims = [claim for snap in snapshots for claim in snap.claims]
        unmatched = _attribute_gpu_time(tables, telemetry, claims)
        return Snapshot(
            tables,
            now,
            self.name,
            token=content_token([snap.token for snap in snapshots]),
            hints=hints,
            problems=tuple(problem for snap in snapshots for problem in snap.problems),
            notes=tuple(note for snap in snapshots for note in snap.notes) + tuple(unmatched),
            since=since,
            settled_before=None if None in settled else min(settled),
            claims=tuple(claims),
            gpus=telemetry.gpus if telemetry is not None else None,
        )


def _attribute_gpu_time(
    tables: dict[str, pd.DataFrame], telemetry: Snapshot | None, claims: list[GpuClaim]
) -> list[str]:
    """Give the claimed telemetry rows (and sessions' missing GPU figures) to the sessions that
    claim them, in `tables`; notes on claims that match no GPU."""
    if telemetry is None or telemetry.gpus is None or not claims:
        return []
    tables["resource_usage"], unmatched = attribute(
        tables["resource_usage"], telemetry.gpus, claims
    )
    if "training_sessions" in tables:
        tables["training_sessions"] = with_session_gpu_figures(
            tables["training_sessions"], tables["resource_usage"]
        )
    return unmatched
