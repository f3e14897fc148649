"""Model releases on an absolute timeline: which version was released, stable or canary when.

Releases are numbered from 0 (v4.0.0) in release order; every instant below is a function of
that number alone, never of `now`.

Up to ANCHOR, the end of the UTC day that the calibration tests pin (2026-11-26), the story is
the brief's: the stable releases v4.0.0 ... v5.2.1, each piloted against the previous stable
version for the EXPERIMENT_DAYS before it went out (simulator.experiments), and v5.3.0,
released as a canary six days before the anchor.

After it the story goes on for ever on a RELEASE_CYCLE_DAYS cadence (the history's own): every
cycle a new version goes out as the canary at RELEASE_HOUR_UTC, and the canary before it is
promoted to stable at that moment. From v5.3.0 on there is always exactly one canary, piloted
against the stable version until the next release. Versions count minors up (v5.3.0, v5.4.0,
... v5.9.0, v6.0.0, ...; labels grow to seven characters at v10.0.0, in 2031). The story
starts with v4.0.0 (2026-04-30): rows before that carry v4.0.0, which model_versions lists
only from its release.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, US_PER_HOUR, utc_times
from simulator.schema import conform
from simulator.strings import label_strings

ANCHOR_US = int(pd.Timestamp("2026-11-27", tz="UTC").value // 1_000)
RELEASE_HOUR_UTC = 10  # releases go out in the morning change window
RELEASE_CYCLE_DAYS = 35
MINORS_PER_MAJOR = 10


class Release(NamedTuple):
    version: str
    days_before_anchor: int
    description: str


HISTORY: tuple[Release, ...] = (
    Release("v4.0.0", 210, "Transformer alert encoder replaces the boosted-tree baseline"),
    Release("v4.1.0", 160, "Adds asset-criticality and user-context features"),
    Release("v4.2.0", 125, "Retrained on relabelled phishing and lateral-movement alerts"),
    Release("v5.0.0", 90, "One multi-task model shared by the four triage heads"),
    Release("v5.1.0", 55, "Calibrated confidence scores and a lower auto-close threshold"),
    Release("v5.2.1", 20, "Hotfix for tokenizer drift on EDR process names"),
    Release("v5.3.0", 6, "Incremental learning from the analyst feedback loop"),
)
# The first release that went out as a canary; every later one does too.
FIRST_CANARY = len(HISTORY) - 1
# What later releases change, in turn.
LATER_CHANGES: tuple[str, ...] = (
    "Retrained on the last cycle's analyst verdicts",
    "Adds identity-provider and cloud-audit features",
    "Distilled encoder: lower triage latency on the same accuracy",
    "Per-source auto-close thresholds, recalibrated weekly",
    "Active learning on the least confident alerts",
    "Hardened against obfuscated command lines",
    "Longer alert context: the 24 hours before each alert",
)

_HISTORY_US = np.array(
    [
        ANCHOR_US - release.days_before_anchor * US_PER_DAY + RELEASE_HOUR_UTC * US_PER_HOUR
        for release in HISTORY
    ],
    dtype=np.int64,
)
_CYCLE_US = RELEASE_CYCLE_DAYS * US_PER_DAY
_FIRST_CANARY_US = int(_HISTORY_US[FIRST_CANARY])


def released_us(release: np.ndarray | int) -> np.ndarray:
    """When each release (number) went out, in epoch microseconds."""
    number = np.asarray(release, dtype=np.int64)
    later = _FIRST_CANARY_US + (number - FIRST_CANARY) * _CYCLE_US
    return np.where(number < FIRST_CANARY, _HISTORY_US[np.clip(number, 0, FIRST_CANARY)], later)


def promoted_us(release: np.ndarray | int) -> np.ndarray:
    """When each release became the stable version: at once, or a canary at the next release."""
    number = np.asarray(release, dtype=np.int64)
    return released_us(np.where(number < FIRST_CANARY, number, number + 1))


def releases_by(moment_us: int) -> int:
    """How many releases went out at or before `moment_us`."""
    if moment_us < _FIRST_CANARY_US:
        return int(np.searchsorted(_HISTORY_US, moment_us, side="right"))
    return FIRST_CANARY + 1 + (moment_us - _FIRST_CANARY_US) // _CYCLE_US


def stable_version_codes(times_us: np.ndarray) -> np.ndarray:
    """The release number of the stable version at each time (v4.0.0 before any release)."""
    times = np.asarray(times_us, dtype=np.int64)
    first_promotion = int(promoted_us(FIRST_CANARY))
    history = np.searchsorted(_HISTORY_US[:FIRST_CANARY], times, side="right") - 1
    later = FIRST_CANARY + (times - first_promotion) // _CYCLE_US
    return np.where(times < first_promotion, np.clip(history, 0, None), later).astype(np.int32)


def version_labels(count: int) -> list[str]:
    """Labels of releases 0 .. count - 1."""
    labels = [release.version for release in HISTORY[:count]]
    major, minor = 5, 3  # v5.3.0, the first canary
    for _ in range(len(HISTORY), count):  # a loop over releases, a few a year
        minor += 1
        if minor == MINORS_PER_MAJOR:
            major, minor = major + 1, 0
        labels.append(f"v{major}.{minor}.0")
    return labels


def version_code(label: str) -> int:
    """The release number of a version label (ValueError if it names no release)."""
    for number, release in enumerate(HISTORY):
        if release.version == label:
            return number
    major, minor, patch = (int(part) for part in label.removeprefix("v").split("."))
    number = FIRST_CANARY + (major - 5) * MINORS_PER_MAJOR + minor - 3
    if patch != 0 or minor >= MINORS_PER_MAJOR or number <= FIRST_CANARY:
        raise ValueError(f"{label!r} is not a release")
    return number


def version_strings(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string column of version labels from release numbers."""
    codes = np.asarray(codes)
    return label_strings(version_labels(int(codes.max(initial=0)) + 1), codes)


def _descriptions(count: int) -> list[str]:
    later = [
        LATER_CHANGES[(number - len(HISTORY)) % len(LATER_CHANGES)]
        for number in range(len(HISTORY), count)
    ]
    return [release.description for release in HISTORY[:count]] + later


def model_versions_table(now_us: int) -> pd.DataFrame:
    """The model_versions table as of `now_us`: every release out by then, in release order."""
    count = releases_by(now_us)
    number = np.arange(count)
    stable = stable_version_codes(np.array([now_us]))[0]
    canary = (number > stable) & (number >= FIRST_CANARY)
    status = np.where(number == stable, 0, np.where(canary, 1, 2))  # schema.VERSION_STATUSES
    frame = pd.DataFrame(
        {
            "version": version_labels(count),
            "released_at": utc_times(released_us(number)),
            "status": label_strings(("stable", "canary", "retired"), status),
            "description": _descriptions(count),
        }
    )
    return conform("model_versions", frame)
