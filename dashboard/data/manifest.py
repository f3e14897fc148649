"""The published state of the embedded store: which files hold each table, as of when.

The ingest (dashboard.data.ingest) writes the files and then a new manifest, atomically (a
temporary file renamed over the old one), so a reader sees either the old generation or the
new one, never half of each. Web workers (dashboard.data.store) only read manifests.

Event tables are split into time partitions: a UTC month once it is settled (no row of it can
change any more), a UTC day before that. A settled partition's file is never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

MANIFEST = "manifest.json"
# Where the engines of this store spill what exceeds their memory limit (never the server's
# working directory, which the service user may not write).
SPILL_DIR = ".spill"
FORMAT = 2  # 2: training_sessions.run_name

# The column each event table is partitioned and ordered by; the other tables are small
# reference tables, stored whole.
PARTITION_COLUMNS: dict[str, str] = {
    "training_sessions": "started_at",
    "training_metrics": "timestamp",
    "resource_usage": "timestamp",
    "alerts": "timestamp",
    "experiment_alerts": "timestamp",
    "data_quality": "date",
    "feature_samples": "date",
}
WHOLE = "all"


@dataclass
class Part:
    """One file of a table: the partition it holds (a day, a month or WHOLE) and its rows."""

    partition: str
    file: str
    rows: int
    digest: str = ""  # of the rows, so that an unchanged partition is not written again
    settled: bool = False  # no row of it can change any more


@dataclass
class Manifest:
    """One generation of the store. `generation` grows by one whenever any content changes;
    `checked_at` is the last successful read of the source, even one that changed nothing."""

    generation: int = 0
    source: str = ""
    as_of: str | None = None
    checked_at: str | None = None
    settled_before: str | None = None
    token: str = ""
    tables: dict[str, list[Part]] = field(default_factory=dict)
    # Tables a SQL database holds in place, with what identifies their content now.
    sql_tables: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    last_error: str | None = None
    failed_at: str | None = None
    errors_total: int = 0
    retired: list[tuple[str, str]] = field(default_factory=list)  # (file, retired at)
    format: int = FORMAT

    @property
    def loaded(self) -> bool:
        return self.as_of is not None

    def as_of_time(self) -> pd.Timestamp | None:
        return None if self.as_of is None else pd.Timestamp(self.as_of)

    @property
    def content_key(self) -> str:
        """What identifies this generation's content: equal on every host that ingested the
        same rows as of the same moment, so hosts sharing a cache (Redis) share its entries."""
        parts = sorted(
            (name, [part.digest for part in parts]) for name, parts in self.tables.items()
        )
        text = repr((self.as_of, parts, sorted(self.sql_tables.items())))
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def holds(self, table: str) -> bool:
        return table in self.tables or table in self.sql_tables

    def files(self, table: str) -> list[str]:
        return [part.file for part in self.tables.get(table, [])]

    def rows(self, table: str) -> int:
        return sum(part.rows for part in self.tables.get(table, []))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        raw["tables"] = {
            name: [Part(**part) for part in parts] for name, parts in raw.get("tables", {}).items()
        }
        raw["retired"] = [tuple(item) for item in raw.get("retired", [])]
        return cls(**raw)


def read_manifest(data_dir: Path) -> Manifest | None:
    """The current manifest of `data_dir`, or None before the first publication."""
    try:
        text = (data_dir / MANIFEST).read_text()
    except FileNotFoundError:
        return None
    manifest = Manifest.from_json(text)
    return manifest if manifest.format == FORMAT else None


def write_manifest(data_dir: Path, manifest: Manifest) -> None:
    """Publish `manifest` atomically."""
    handle, temporary = tempfile.mkstemp(dir=data_dir, prefix=".manifest-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        out.write(manifest.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, data_dir / MANIFEST)


def manifest_stamp(data_dir: Path) -> tuple[int, int, int] | None:
    """What changes whenever a manifest is published (cheap to check on every request)."""
    try:
        stat = (data_dir / MANIFEST).stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
