"""Model releases: which version was stable when, relative to the plan's day end."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, US_PER_HOUR, utc_times
from simulator.schema import conform
from simulator.strings import fixed_width_strings


class Release(NamedTuple):
    version: str
    days_before_end: int
    canary: bool
    description: str


RELEASES: tuple[Release, ...] = (
    Release("v4.0.0", 210, False, "Transformer alert encoder replaces the boosted-tree baseline"),
    Release("v4.1.0", 160, False, "Adds asset-criticality and user-context features"),
    Release("v4.2.0", 125, False, "Retrained on relabelled phishing and lateral-movement alerts"),
    Release("v5.0.0", 90, False, "One multi-task model shared by the four triage heads"),
    Release("v5.1.0", 55, False, "Calibrated confidence scores and a lower auto-close threshold"),
    Release("v5.2.1", 20, False, "Hotfix for tokenizer drift on EDR process names"),
    Release("v5.3.0", 6, True, "Incremental learning from the analyst feedback loop"),
)
VERSIONS: tuple[str, ...] = tuple(release.version for release in RELEASES)
STABLE_VERSIONS: tuple[str, ...] = tuple(r.version for r in RELEASES if not r.canary)
_VERSION_BYTES = np.array([version.encode() for version in VERSIONS])  # all vX.Y.Z: one width
RELEASE_HOUR_UTC = 10  # releases go out in the morning change window


def release_times(day_end_us: int) -> np.ndarray:
    """Release instant of every entry of RELEASES, in epoch microseconds."""
    days = np.array([release.days_before_end for release in RELEASES], dtype=np.int64)
    return day_end_us - days * US_PER_DAY + RELEASE_HOUR_UTC * US_PER_HOUR


def stable_version_codes(times_us: np.ndarray, day_end_us: int) -> np.ndarray:
    """Index into VERSIONS of the stable version at each time (canaries never count)."""
    stable = ~np.array([release.canary for release in RELEASES])
    stable_index = np.flatnonzero(stable)
    at = np.searchsorted(release_times(day_end_us)[stable], times_us, side="right") - 1
    return stable_index[np.clip(at, 0, None)].astype(np.int8)


def model_versions_table(day_end_us: int) -> pd.DataFrame:
    """The model_versions contract table as of the plan's day end."""
    latest_stable = STABLE_VERSIONS[-1]
    status = [
        "canary" if r.canary else "stable" if r.version == latest_stable else "retired"
        for r in RELEASES
    ]
    frame = pd.DataFrame(
        {
            "version": VERSIONS,
            "released_at": utc_times(release_times(day_end_us)),
            "status": status,
            "description": [release.description for release in RELEASES],
        }
    )
    return conform("model_versions", frame)


def version_strings(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string column of version labels from codes into VERSIONS."""
    return fixed_width_strings(_VERSION_BYTES, codes)
