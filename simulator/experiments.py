"""A/B experiments: each release piloted against the previous stable version on a cohort."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.alerts import AUTOMATION_BY_TYPE, FALSE_POSITIVE_BY_TYPE, RESPONSE_BY_TYPE
from simulator.arrivals import arrival_times
from simulator.clock import NAT_US, US_PER_DAY, US_PER_MINUTE, utc_times
from simulator.draws import centred, exact_successes, lognormal_with_mean, model_types
from simulator.schema import MODEL_TYPE, MODEL_TYPES, conform
from simulator.strings import fixed_width_strings, id_width, label_strings, numbered_ids
from simulator.timeline import RELEASES, VERSIONS, release_times, version_strings

PILOT_ALERTS_PER_DAY = 600
EXPERIMENT_DAYS = 14
CANARY_SHARE = 0.2
SRM_TREATMENT = "v4.2.0"
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
ACCURACY_BY_TYPE = centred((-0.01, 0.02, -0.015, 0.01))
RESPONSE_SIGMA = 0.5


@dataclass(frozen=True)
class Experiment:
    """A pilot: alerts randomised per alert between the control and the treatment version."""

    control: str
    treatment: str
    start_us: int
    end_us: int | None  # None while it runs
    treatment_share: float


def plan_experiments(day_end_us: int) -> list[Experiment]:
    """One experiment before each stable release, and the running canary, in start order."""
    released = release_times(day_end_us)
    experiments = []
    stable = RELEASES[0].version
    for release, released_us in zip(RELEASES[1:], released[1:], strict=True):
        if release.canary:
            experiments.append(
                Experiment(stable, release.version, int(released_us), None, CANARY_SHARE)
            )
        else:
            start = int(released_us) - EXPERIMENT_DAYS * US_PER_DAY
            experiments.append(Experiment(stable, release.version, start, int(released_us), 0.5))
            stable = release.version
    return sorted(experiments, key=lambda experiment: experiment.start_us)


def experiment_ids(count: int) -> np.ndarray:
    return numbered_ids("EXP-", np.arange(1, count + 1), id_width(count, 3))


def experiments_table(experiments: list[Experiment]) -> pd.DataFrame:
    """The experiments table; model_type is <NA> because every pilot covers all model types."""
    frame = pd.DataFrame(
        {
            "experiment_id": fixed_width_strings(experiment_ids(len(experiments))),
            "model_type": pd.Categorical([None] * len(experiments), dtype=MODEL_TYPE),
            "control_version": [experiment.control for experiment in experiments],
            "treatment_version": [experiment.treatment for experiment in experiments],
            "started_at": utc_times(np.array([e.start_us for e in experiments], dtype=np.int64)),
            "ended_at": utc_times(
                np.array([NAT_US if e.end_us is None else e.end_us for e in experiments])
            ),
            "treatment_share": [experiment.treatment_share for experiment in experiments],
        }
    )
    return conform("experiments", frame)


def _allocate(rng: np.random.Generator, size: int, share: float) -> np.ndarray:
    """Per-alert random arm assignment in permuted blocks with the treatment share in each."""
    blocks = -(-size // ALLOCATION_BLOCK)
    rank = np.argsort(rng.random((blocks, ALLOCATION_BLOCK)), axis=1)
    return (rank < round(share * ALLOCATION_BLOCK)).ravel()[:size]


def simulate_experiment_alerts(
    rng: np.random.Generator, experiments: list[Experiment], day_end_us: int, scale: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Pilot alerts of every experiment, randomised per alert, and when each response is done."""
    parts = []
    for number, experiment in enumerate(experiments):  # a loop over the few experiments
        end_us = day_end_us if experiment.end_us is None else experiment.end_us
        times = arrival_times(rng, experiment.start_us, end_us, PILOT_ALERTS_PER_DAY * scale)
        treated = _allocate(rng, times.size, experiment.treatment_share)
        if experiment.treatment == SRM_TREATMENT:
            logged = ~treated | (rng.random(times.size) >= SRM_LOSS)
            times, treated = times[logged], treated[logged]
        version = np.where(
            treated, VERSIONS.index(experiment.treatment), VERSIONS.index(experiment.control)
        )
        parts.append((np.full(times.size, number), times, treated, version))
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.argsort(columns[1], kind="stable")  # windows may overlap: order by time
    experiment, times, treated, version = (column[order] for column in columns)
    size = times.size
    mtype = model_types(rng, size)

    kpis = np.array([VERSION_KPIS[name] for name in VERSIONS])
    arm = experiment * 2 + treated  # one group per (experiment, arm)
    arm_version = np.zeros(2 * len(experiments), dtype=np.int64)
    arm_version[arm] = version
    types = len(MODEL_TYPES)
    cell = arm * types + mtype  # and per model type within it
    cell_version = np.repeat(arm_version, types)
    cell_type = np.tile(np.arange(types), arm_version.size)

    def outcomes(column: int, offsets: np.ndarray) -> np.ndarray:
        rates = (kpis[cell_version, column] + offsets[cell_type]).clip(0, 1)
        return exact_successes(rng, cell, rates)

    correct = outcomes(0, ACCURACY_BY_TYPE)
    automated = outcomes(1, AUTOMATION_BY_TYPE / 2)
    false_positive = outcomes(2, FALSE_POSITIVE_BY_TYPE / 2)
    target = kpis[version, 3]
    response = lognormal_with_mean(rng, target * RESPONSE_BY_TYPE[mtype], RESPONSE_SIGMA)
    # Rescale per arm so that each pilot arm's mean is the version's figure.
    arm_mean = np.bincount(arm, response, minlength=arm_version.size) / np.maximum(
        1, np.bincount(arm, minlength=arm_version.size)
    )
    response = np.round(response * target / arm_mean[arm], 2)

    frame = pd.DataFrame(
        {
            "experiment_id": fixed_width_strings(experiment_ids(len(experiments)), experiment),
            "alert_id": fixed_width_strings(
                numbered_ids("PA-", np.arange(1, size + 1), id_width(size, 7))
            ),
            "timestamp": utc_times(times),
            "model_type": pd.Categorical.from_codes(mtype, dtype=MODEL_TYPE),
            "arm": label_strings(("control", "treatment"), treated.astype(np.int8)),
            "model_version": version_strings(version),
            "correct": correct,
            "automated": automated,
            "false_positive": false_positive,
            "response_time_min": response,
        }
    )
    done_us = times + np.rint(response * US_PER_MINUTE).astype(np.int64)
    return conform("experiment_alerts", frame), done_us
