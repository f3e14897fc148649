"""Training sessions: GPU lanes that run sessions back to back or with idle gaps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, US_PER_MINUTE, utc_times
from simulator.draws import model_types
from simulator.schema import MODEL_TYPE, conform
from simulator.strings import fixed_width_strings, id_width, label_strings, numbered_ids
from simulator.timeline import stable_version_codes, version_strings

GPUS_PER_NODE = 4
DURATION_MIN = (45, 180)
IDLE_GAP_MIN = (60, 300)
FAILURE_RATE = 0.03
FAILURE_REASONS = (
    "CUDA out of memory",
    "NaN loss at step ",  # completed with the failing step
    "Data loader timeout",
    "Node preempted",
    "Checkpoint write failed",
)
FAILURE_WEIGHTS = (0.30, 0.15, 0.25, 0.20, 0.10)
NAN_LOSS = 1
SAMPLES_PER_30_DAYS = 127_842_828_389  # per 4-GPU node, the brief's 30-day total
THROUGHPUT_BY_TYPE = (1.0, 1.15, 0.9, 0.8)  # relative samples per minute


@dataclass(frozen=True)
class SessionPlan:
    """Every session of the plan, sorted by start; index i is session id number i + 1."""

    lane: np.ndarray  # GPU id
    start_us: np.ndarray
    end_us: np.ndarray  # when it ended or will end (the failure time if it fails)
    planned_us: np.ndarray  # planned duration: the progress scale of its learning curves
    model_type: np.ndarray  # code into MODEL_TYPES
    version: np.ndarray  # code into VERSIONS
    failure: np.ndarray  # code into FAILURE_REASONS, -1 if it completes
    epochs: np.ndarray
    samples: np.ndarray  # over the whole session; pro rata while it runs

    @property
    def size(self) -> int:
        return int(self.start_us.size)

    def ids(self) -> np.ndarray:
        """Session ids (`TS-000001` ...) as fixed-width bytes, in plan order."""
        return numbered_ids("TS-", np.arange(1, self.size + 1), id_width(self.size, 6))


def plan_sessions(
    rng: np.random.Generator, history_start_us: int, day_end_us: int, n_gpus: int
) -> SessionPlan:
    """Sessions on `n_gpus` lanes from history start until the day end."""
    horizon = (day_end_us - history_start_us) // US_PER_MINUTE
    capacity = horizon // (DURATION_MIN[0] - 5) + 16  # more sessions than any lane can run
    shape = (n_gpus, capacity)
    # One incremental-learning pipeline per node runs without pause; the other GPUs idle between.
    continuous = np.arange(n_gpus) % GPUS_PER_NODE == 0

    low, high = DURATION_MIN
    planned = low + np.rint((high - low) * rng.beta(1.6, 1.8, shape)).astype(np.int64)
    fails = rng.random(shape) < FAILURE_RATE
    cut_short = np.maximum(3, np.rint(planned * rng.uniform(0.08, 0.92, shape))).astype(np.int64)
    actual = np.where(fails, cut_short, planned)
    gap = rng.integers(IDLE_GAP_MIN[0], IDLE_GAP_MIN[1] + 1, shape)
    gap[continuous] = 0
    first = np.where(continuous, 0, rng.integers(0, IDLE_GAP_MIN[1] + 1, n_gpus))
    step = actual + gap
    start = first[:, None] + np.cumsum(step, axis=1) - step
    if (start[:, -1] < horizon).any():
        raise RuntimeError("session capacity too small for the history")

    lane_of = np.broadcast_to(np.arange(n_gpus)[:, None], shape)
    kept = start < horizon
    order = np.lexsort((lane_of[kept], start[kept]))
    lane = lane_of[kept][order].astype(np.int32)
    start_us = history_start_us + start[kept][order] * US_PER_MINUTE
    actual_us = actual[kept][order] * US_PER_MINUTE
    planned_us = planned[kept][order] * US_PER_MINUTE
    failed = fails[kept][order]
    count = lane.size

    model_type = model_types(rng, count)
    reason = rng.choice(len(FAILURE_REASONS), size=count, p=FAILURE_WEIGHTS).astype(np.int8)
    epochs = rng.integers(3, 13, count)
    raw = (
        actual_us
        / US_PER_MINUTE
        * np.asarray(THROUGHPUT_BY_TYPE)[model_type]
        * rng.uniform(0.9, 1.1, count)
    )
    # Throughput calibrated so that an average 30-day window processes the brief's total.
    history_days = (day_end_us - history_start_us) / US_PER_DAY
    target = SAMPLES_PER_30_DAYS * (n_gpus / GPUS_PER_NODE) * history_days / 30
    samples = np.rint(raw * target / raw.sum()).astype(np.int64)
    return SessionPlan(
        lane=lane,
        start_us=start_us,
        end_us=start_us + actual_us,
        planned_us=planned_us,
        model_type=model_type,
        version=stable_version_codes(start_us, day_end_us),
        failure=np.where(failed, reason, -1).astype(np.int8),
        epochs=epochs,
        samples=samples,
    )


def sessions_table(
    plan: SessionPlan,
    last_values: dict[str, np.ndarray],
    final_step: np.ndarray,
    gpu_util_mean: np.ndarray,
    gpu_mem_peak_gb: np.ndarray,
) -> pd.DataFrame:
    """The training_sessions table with every session finished (as of the plan's day end)."""
    failed = plan.failure >= 0
    reasons = np.full(plan.size, None, dtype=object)
    codes = plan.failure[failed]
    step_text = np.where(codes == NAN_LOSS, final_step[failed].astype(str), "").astype(object)
    reasons[failed] = np.asarray(FAILURE_REASONS, dtype=object)[codes] + step_text
    frame = pd.DataFrame(
        {
            "session_id": fixed_width_strings(plan.ids()),
            "model_type": pd.Categorical.from_codes(plan.model_type, dtype=MODEL_TYPE),
            "model_version": version_strings(plan.version),
            "started_at": utc_times(plan.start_us),
            "ended_at": utc_times(plan.end_us),
            "status": label_strings(("completed", "failed"), failed.astype(np.int8)),
            "samples": plan.samples,
            "epochs": plan.epochs,
            **last_values,
            "gpu_util_mean": gpu_util_mean,
            "gpu_mem_peak_gb": gpu_mem_peak_gb,
            "failure_reason": pd.array(reasons, dtype="string"),
        }
    )
    return conform("training_sessions", frame)
