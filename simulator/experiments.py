"""A/B experiments: each release piloted against the stable version on a cohort of alerts.

Experiment n (EXP-00n) pilots release n (simulator.timeline) against release n - 1. Up to
v5.2.1, a pilot ran 50/50 for the EXPERIMENT_DAYS before the release went out; from v5.3.0
on, a release goes out as the canary and is piloted on CANARY_SHARE of the cohort from its
release until the next one, when it is promoted. Pilot-cohort figures follow the brief's
version table up to v5.3.0; later versions close a share of the gap to VERSION_KPI_LIMITS
each, so improvements get smaller and rarely significant. Outcomes are exact per day, arm and
model type (the day's figures times the alerts, rounded), the day's figures swinging around the
version's in a way that cancels out over the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.alerts import (
    AUTOMATION_BY_TYPE,
    FALSE_POSITIVE_BY_TYPE,
    MAX_RESPONSE_MIN,
    RESPONSE_BY_TYPE,
)
from simulator.arrivals import arrival_times
from simulator.clock import NAT_US, US_PER_DAY, US_PER_MINUTE, day_label, utc_times
from simulator.draws import (
    centred,
    exact_successes,
    hashed_normals,
    lognormal_with_mean,
    model_types,
)
from simulator.rows import Rows
from simulator.schema import MODEL_TYPE, MODEL_TYPES, conform
from simulator.strings import fixed_width_strings, id_width, label_strings, numbered_ids
from simulator.timeline import (
    FIRST_CANARY,
    HISTORY,
    released_us,
    releases_by,
    version_code,
    version_strings,
)

PILOT_ALERTS_PER_DAY = 600
EXPERIMENT_DAYS = 14
CANARY_SHARE = 0.2
SRM_TREATMENT = version_code("v4.2.0")
# A logging fault loses this share of that experiment's treatment alerts. With ~8,400 pilot
# alerts a 6% loss gives chi-square ~8 (p ~0.005, not < 0.001); 9% gives ~18 (p ~2e-5).
SRM_LOSS = 0.09
ALLOCATION_BLOCK = 10  # alerts per permuted block: arms stay balanced, so any SRM is a fault
# Pilot-cohort outcomes per version: accuracy, automation rate, false-positive rate, response min.
VERSION_KPIS: dict[str, tuple[float, float, float, float]] = {
    "v4.0.0": (0.80, 0.25, 0.80, 9.6),
    "v4.1.0": (0.82, 0.28, 0.78, 9.2),
    "v4.2.0": (0.85, 0.32, 0.75, 8.8),
    "v5.0.0": (0.87, 0.38, 0.72, 8.1),
    "v5.1.0": (0.89, 0.41, 0.69, 7.6),
    "v5.2.1": (0.90, 0.44, 0.66, 7.2),
    "v5.3.0": (0.904, 0.448, 0.655, 7.1),
}
VERSION_KPI_LIMITS = (0.95, 0.60, 0.55, 5.5)
VERSION_KPI_RETAINED = 0.9  # share of the gap to the limits that the next release leaves
ACCURACY_BY_TYPE = centred((-0.01, 0.02, -0.015, 0.01))
# Day-to-day swings of an arm's figures, as a share of how much a day's arm mean would vary by
# chance. A day's swing is z(day) - z(day - 1) of hashed noise z, so the swings of an
# experiment's days cancel out: its totals stay on the version's figures.
DAILY_SWING = 0.3
SWING_KEY = 31
RESPONSE_SIGMA = 0.5
ID_DIGITS = 3  # a release every 35 days: good for 95 years
_HISTORY_KPIS = np.array([VERSION_KPIS[release.version] for release in HISTORY])


def version_kpis(version: np.ndarray) -> np.ndarray:
    """Pilot-cohort figures (accuracy, automation, false positives, response) per release."""
    number = np.asarray(version, dtype=np.int64)
    later = np.maximum(number - FIRST_CANARY, 0)[:, None]
    limits = np.asarray(VERSION_KPI_LIMITS)
    approach = limits + (_HISTORY_KPIS[FIRST_CANARY] - limits) * VERSION_KPI_RETAINED**later
    return np.where(later > 0, approach, _HISTORY_KPIS[np.minimum(number, FIRST_CANARY)])


def windows(number: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (epoch us) of experiments `number` (>= 1): the pilot, or the canary's run."""
    number = np.asarray(number, dtype=np.int64)
    released = released_us(number)
    canary = number >= FIRST_CANARY
    start = np.where(canary, released, released - EXPERIMENT_DAYS * US_PER_DAY)
    end = np.where(canary, released_us(number + 1), released)
    return start, end


def _experiments_before(moment_us: int) -> np.ndarray:
    """Numbers of the experiments started before `moment_us`, in start order."""
    # A pilot starts EXPERIMENT_DAYS before its release, a canary's run at it.
    candidates = np.arange(1, releases_by(moment_us + EXPERIMENT_DAYS * US_PER_DAY) + 1)
    return candidates[windows(candidates)[0] < moment_us]


def experiment_ids(numbers: np.ndarray) -> np.ndarray:
    """`EXP-001` ... as fixed-width bytes: one width, so that ids sort as their numbers."""
    return numbered_ids("EXP-", numbers, ID_DIGITS)


def experiments_table(now_us: int) -> pd.DataFrame:
    """The experiments started by `now_us`; those still running have no end yet.

    model_type is <NA> because every pilot covers all model types.
    """
    number = _experiments_before(now_us + 1)
    start, end = windows(number)
    frame = pd.DataFrame(
        {
            "experiment_id": fixed_width_strings(experiment_ids(number)),
            "model_type": pd.Categorical([None] * number.size, dtype=MODEL_TYPE),
            "control_version": version_strings(number - 1),
            "treatment_version": version_strings(number),
            "started_at": utc_times(start),
            "ended_at": utc_times(np.where(end <= now_us, end, NAT_US)),
            "treatment_share": np.where(number >= FIRST_CANARY, CANARY_SHARE, 0.5),
        }
    )
    return conform("experiments", frame)


def _allocate(rng: np.random.Generator, size: int, share: float) -> np.ndarray:
    """Per-alert random arm assignment in permuted blocks with the treatment share in each."""
    blocks = -(-size // ALLOCATION_BLOCK)
    rank = np.argsort(rng.random((blocks, ALLOCATION_BLOCK)), axis=1)
    return (rank < round(share * ALLOCATION_BLOCK)).ravel()[:size]


def pilot_id_width(scale: int) -> int:
    """Digits of a pilot alert's number within its day: one width for every day of a scale."""
    return id_width(10 * PILOT_ALERTS_PER_DAY * scale, 5)


def _daily_swings(seed: int, arms: np.ndarray, day: int) -> np.ndarray:
    """Standard swings of each arm (experiment * 2 + treated) and metric on UTC day `day`."""
    series = (arms[:, None] * 4 + np.arange(4)[None, :]) << 32
    noise = hashed_normals((seed, SWING_KEY), series[..., None] + np.array([day - 1, day]))
    return noise[..., 1] - noise[..., 0]  # what a day adds, the next takes away


def simulate_pilot_alerts(rng: np.random.Generator, seed: int, day: int, scale: int) -> Rows:
    """Pilot alerts of UTC day `day` in every experiment running then, randomised per alert."""
    day_start, day_end = day * US_PER_DAY, (day + 1) * US_PER_DAY
    running = _experiments_before(day_end)
    starts, ends = windows(running)
    overlap = ends > day_start
    parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))]
    for number, start, end in zip(
        running[overlap], starts[overlap], ends[overlap], strict=True
    ):  # a loop over the one or two experiments of a day
        share = CANARY_SHARE if number >= FIRST_CANARY else 0.5
        times = arrival_times(
            rng, max(int(start), day_start), min(int(end), day_end), PILOT_ALERTS_PER_DAY * scale
        )
        treated = _allocate(rng, times.size, share)
        if number == SRM_TREATMENT:
            logged = ~treated | (rng.random(times.size) >= SRM_LOSS)
            times, treated = times[logged], treated[logged]
        parts.append((np.full(times.size, number), times, treated))
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.argsort(columns[1], kind="stable")  # windows may overlap: order by time
    experiment, times, treated = (column[order] for column in columns)
    version = experiment - 1 + treated
    size = times.size
    mtype = model_types(rng, size)

    types = len(MODEL_TYPES)
    # One group per (experiment, arm) of the day, and per model type within it.
    arms, arm = np.unique(experiment * 2 + treated, return_inverse=True)
    arm_kpis = version_kpis(arms // 2 - 1 + arms % 2)
    share = np.where(arms // 2 >= FIRST_CANARY, CANARY_SHARE, 0.5)
    expected = PILOT_ALERTS_PER_DAY * scale * np.where(arms % 2 == 1, share, 1 - share)
    # The day's figures of an arm: the version's, swung by a share of a day's chance spread.
    rates = arm_kpis[:, :3]
    spread = np.column_stack(
        [
            np.sqrt(rates * (1 - rates) / expected[:, None]),
            arm_kpis[:, 3] * RESPONSE_SIGMA / np.sqrt(expected),
        ]
    )
    day_kpis = arm_kpis + DAILY_SWING * spread * _daily_swings(seed, arms, day)
    cell = arm * types + mtype
    cell_arm = np.repeat(np.arange(arms.size), types)
    cell_type = np.tile(np.arange(types), arms.size)

    def outcomes(column: int, offsets: np.ndarray) -> np.ndarray:
        rates = (day_kpis[cell_arm, column] + offsets[cell_type]).clip(0, 1)
        return exact_successes(rng, cell, rates)

    correct = outcomes(0, ACCURACY_BY_TYPE)
    automated = outcomes(1, AUTOMATION_BY_TYPE / 2)
    false_positive = outcomes(2, FALSE_POSITIVE_BY_TYPE / 2)
    target = day_kpis[arm, 3]
    response = lognormal_with_mean(rng, target * RESPONSE_BY_TYPE[mtype], RESPONSE_SIGMA)
    # Rescale per arm so that each arm's mean of the day is its figure of the day.
    arm_mean = np.bincount(arm, response, minlength=arms.size) / np.maximum(
        1, np.bincount(arm, minlength=arms.size)
    )
    response = np.round(np.minimum(response * target / arm_mean[arm], MAX_RESPONSE_MIN), 2)
    return {
        "experiment": experiment,
        "alert_id": numbered_ids(
            f"PA-{day_label(day)}-", np.arange(1, size + 1), pilot_id_width(scale)
        ),
        "timestamp": times,
        "model_type": mtype,
        "treated": treated,
        "model_version": version,
        "correct": correct,
        "automated": automated,
        "false_positive": false_positive,
        "response_time_min": response,
        "done_us": times + np.rint(response * US_PER_MINUTE).astype(np.int64),
    }


def pilot_frame(rows: Rows) -> pd.DataFrame:
    """The experiment_alerts table; open alerts have a NaN response time."""
    frame = pd.DataFrame(
        {
            "experiment_id": fixed_width_strings(experiment_ids(rows["experiment"])),
            "alert_id": fixed_width_strings(rows["alert_id"]),
            "timestamp": utc_times(rows["timestamp"]),
            "model_type": pd.Categorical.from_codes(rows["model_type"], dtype=MODEL_TYPE),
            "arm": label_strings(("control", "treatment"), rows["treated"].astype(np.int8)),
            "model_version": version_strings(rows["model_version"]),
            "correct": rows["correct"],
            "automated": rows["automated"],
            "false_positive": rows["false_positive"],
            "response_time_min": rows["response_time_min"],
        }
    )
    return conform("experiment_alerts", frame)
