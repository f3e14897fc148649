"""Training sessions: GPU lanes that run sessions back to back or with idle gaps, day by day.

A lane's sessions of a UTC day start and end within that day, so a day's sessions, learning
curves and GPU telemetry depend on that day alone. The first GPU of each node runs the
incremental-learning pipeline without pause: its sessions fill the day exactly, from midnight
to midnight, so that one is running at any moment. The other GPUs idle between sessions and
stay idle once the next session would not end before midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simulator.clock import NAT_US, US_PER_DAY, US_PER_MINUTE, day_label, utc_times
from simulator.draws import hashed_uniforms, model_types
from simulator.rows import Rows
from simulator.schema import MODEL_TYPE, SESSION_STATUSES, conform
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
MINUTES_PER_DAY = US_PER_DAY // US_PER_MINUTE
SESSIONS_PER_LANE = 52  # drawn per lane and day: more than a day can hold
# Samples per training GPU-minute: the brief's 127,842,828,389 per 4-GPU node in 30 days over
# the GPU-minutes a node trains in 30 days, ~2,920 a day (the pipeline's 1,440 and ~493 on each
# other GPU), 2,887 once weighted by THROUGHPUT_BY_TYPE. Measured over 2,000 node-days.
SAMPLES_PER_MINUTE = 1_476_000
THROUGHPUT_BY_TYPE = (1.0, 1.15, 0.9, 0.8)  # relative samples per minute
ACTIVE, COMPLETED, FAILED = (SESSION_STATUSES.index(s) for s in ("active", "completed", "failed"))
# Run names as people give them (`vigilant-falcon-0042`): a word pair drawn per session, then
# the session's number within its day.
NAME_WORDS = (
    ("amber", "brisk", "calm", "daring", "eager", "fearless", "gentle", "hidden"),
    ("iron", "keen", "lucid", "mighty", "nimble", "quiet", "rapid", "vigilant"),
)
NAME_NOUNS = (
    ("falcon", "heron", "lynx", "orca", "otter", "raven", "badger", "condor"),
    ("sentinel", "warden", "beacon", "harbor", "summit", "comet", "ember", "glacier"),
)
RUN_NAME_PAIRS = tuple(
    f"{word}-{noun}"
    for word in NAME_WORDS[0] + NAME_WORDS[1]
    for noun in NAME_NOUNS[0] + NAME_NOUNS[1]
)
RUN_NAME_KEY = 0x52554E  # the hashed draws of run names: their own stream


@dataclass(frozen=True)
class SessionPlan:
    """The sessions of one UTC day, sorted by start; index i is session number i + 1."""

    day: int  # days since the epoch
    lane: np.ndarray  # GPU id
    start_us: np.ndarray
    end_us: np.ndarray  # when it ended or will end (the failure time if it fails)
    planned_us: np.ndarray  # planned duration: the progress scale of its learning curves
    model_type: np.ndarray  # code into MODEL_TYPES
    version: np.ndarray  # release number (simulator.timeline)
    failure: np.ndarray  # code into FAILURE_REASONS, -1 if it completes
    epochs: np.ndarray
    samples: np.ndarray  # over the whole session; pro rata while it runs
    id_width: int

    @property
    def size(self) -> int:
        return int(self.start_us.size)

    def ids(self) -> np.ndarray:
        """Session ids (`TS-20261126-0001` ...) as fixed-width bytes, in plan order."""
        prefix = f"TS-{day_label(self.day)}-"
        return numbered_ids(prefix, np.arange(1, self.size + 1), self.id_width)

    def name_codes(self) -> np.ndarray:
        """Each session's word pair (an index into RUN_NAME_PAIRS), a pure function of its day
        and number."""
        draws = hashed_uniforms((RUN_NAME_KEY, self.day), np.arange(1, self.size + 1))
        return (draws * len(RUN_NAME_PAIRS)).astype(np.int32)


def plan_sessions(rng: np.random.Generator, day: int, n_gpus: int) -> SessionPlan:
    """The sessions that `n_gpus` lanes run on UTC day `day`."""
    shape = (n_gpus, SESSIONS_PER_LANE)
    continuous = np.arange(n_gpus) % GPUS_PER_NODE == 0

    low, high = DURATION_MIN
    planned = low + np.rint((high - low) * rng.beta(1.6, 1.8, shape)).astype(np.int64)
    fails = rng.random(shape) < FAILURE_RATE
    cut_short = np.maximum(3, np.rint(planned * rng.uniform(0.08, 0.92, shape))).astype(np.int64)
    gap = rng.integers(IDLE_GAP_MIN[0], IDLE_GAP_MIN[1] + 1, shape)
    gap[continuous] = 0
    first = np.where(continuous, 0, rng.integers(0, IDLE_GAP_MIN[1] + 1, n_gpus))
    actual = np.where(fails, cut_short, planned)
    planned[continuous], actual[continuous], fails[continuous] = _fill_the_day(
        planned[continuous], actual[continuous], fails[continuous]
    )
    step = actual + gap
    start = first[:, None] + np.cumsum(step, axis=1) - step
    end = start + actual
    if (end[:, -1] <= MINUTES_PER_DAY).any():
        raise RuntimeError("session capacity too small for a day")

    lane_of = np.broadcast_to(np.arange(n_gpus)[:, None], shape)
    kept = end <= MINUTES_PER_DAY  # a prefix of each lane: ends grow along it
    order = np.lexsort((lane_of[kept], start[kept]))
    lane = lane_of[kept][order].astype(np.int32)
    day_start_us = day * US_PER_DAY
    start_us = day_start_us + start[kept][order] * US_PER_MINUTE
    actual_us = actual[kept][order] * US_PER_MINUTE
    count = lane.size

    model_type = model_types(rng, count)
    reason = rng.choice(len(FAILURE_REASONS), size=count, p=FAILURE_WEIGHTS).astype(np.int8)
    epochs = rng.integers(3, 13, count)
    samples = (
        actual[kept][order]
        * np.asarray(THROUGHPUT_BY_TYPE)[model_type]
        * rng.uniform(0.9, 1.1, count)
        * SAMPLES_PER_MINUTE
    )
    return SessionPlan(
        day=day,
        lane=lane,
        start_us=start_us,
        end_us=start_us + actual_us,
        planned_us=planned[kept][order] * US_PER_MINUTE,
        model_type=model_type,
        version=stable_version_codes(start_us),
        failure=np.where(fails[kept][order], reason, -1).astype(np.int8),
        epochs=epochs,
        samples=np.rint(samples).astype(np.int64),
        id_width=session_id_width(n_gpus),
    )


def session_id_width(n_gpus: int) -> int:
    """Digits of a session's number within its day: one width for every day of a scale."""
    return id_width(n_gpus * SESSIONS_PER_LANE, 4)


def _fill_the_day(
    planned: np.ndarray, actual: np.ndarray, fails: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations of back-to-back lanes (rows) adjusted so that one session ends at midnight.

    The session that would cross midnight is cut to end there when that leaves it at least
    the shortest duration (it then completes); otherwise it is dropped and the minutes left
    are shared among the completed sessions before it, in proportion to how far each is from
    the longest duration, so every completed session stays within DURATION_MIN.
    """
    planned, actual, fails = planned.copy(), actual.copy(), fails.copy()
    lanes = np.arange(actual.shape[0])
    ends = np.cumsum(actual, axis=1)
    crossing = np.argmax(ends >= MINUTES_PER_DAY, axis=1)
    if not (ends[:, -1] >= MINUTES_PER_DAY).all():
        raise RuntimeError("session capacity too small for a day")
    left = MINUTES_PER_DAY - (ends[lanes, crossing] - actual[lanes, crossing])

    before = np.arange(actual.shape[1])[None, :] < crossing[:, None]
    room = np.where(before & ~fails, DURATION_MIN[1] - planned, 0)
    total = room.sum(axis=1)
    # Cut the crossing session when it stays long enough, or when nothing can absorb the rest.
    cut = (left >= DURATION_MIN[0]) | (total < left)
    actual[lanes[cut], crossing[cut]] = left[cut]
    planned[lanes[cut], crossing[cut]] = left[cut]
    fails[lanes[cut], crossing[cut]] = False

    share = np.where(cut[:, None], 0, left[:, None] * room // np.maximum(total, 1)[:, None])
    spare = room - share
    rest = np.where(cut, 0, left - share.sum(axis=1))
    share += np.clip(rest[:, None] - (np.cumsum(spare, axis=1) - spare), 0, spare)
    return planned + share, actual + share, fails


def session_rows(
    plan: SessionPlan,
    last_values: dict[str, np.ndarray],
    final_step: np.ndarray,
    gpu_util_mean: np.ndarray,
    gpu_mem_peak_gb: np.ndarray,
) -> Rows:
    """The day's training_sessions rows with every session finished."""
    failed = plan.failure >= 0
    return {
        "session_id": plan.ids(),
        "run_name": plan.name_codes(),
        "model_type": plan.model_type,
        "model_version": plan.version,
        "started_at": plan.start_us,
        "ended_at": plan.end_us,
        "status": np.where(failed, FAILED, COMPLETED).astype(np.int8),
        "samples": plan.samples,
        "epochs": plan.epochs,
        **last_values,
        "gpu_util_mean": gpu_util_mean,
        "gpu_mem_peak_gb": gpu_mem_peak_gb,
        "failure": plan.failure,
        "final_step": final_step,
    }


def run_names(codes: np.ndarray, session_ids: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """`vigilant-falcon-0042`: the word pair of each code and the number ending its session id."""
    pairs = pa.array(list(RUN_NAME_PAIRS), type=pa.large_string()).take(
        pa.array(np.asarray(codes, dtype=np.int32))
    )
    ids = pa.array(fixed_width_strings(session_ids), type=pa.large_string())
    numbers = pc.utf8_slice_codeunits(ids, start=len("TS-YYYYMMDD-"))
    joined = pc.binary_join_element_wise(pairs, numbers, pa.scalar("-", pa.large_string()))
    return pd.array(joined, dtype="string")


def sessions_frame(rows: Rows) -> pd.DataFrame:
    """The training_sessions table; active sessions have no end and no failure reason."""
    failed = rows["status"] == FAILED
    reasons = np.full(failed.size, None, dtype=object)
    codes = rows["failure"][failed]
    step_text = np.where(codes == NAN_LOSS, rows["final_step"][failed].astype(str), "")
    reasons[failed] = np.asarray(FAILURE_REASONS, dtype=object)[codes] + step_text.astype(object)
    active = rows["status"] == ACTIVE
    frame = pd.DataFrame(
        {
            "session_id": fixed_width_strings(rows["session_id"]),
            "run_name": run_names(rows["run_name"], rows["session_id"]),
            "model_type": pd.Categorical.from_codes(rows["model_type"], dtype=MODEL_TYPE),
            "model_version": version_strings(rows["model_version"]),
            "started_at": utc_times(rows["started_at"]),
            "ended_at": utc_times(np.where(active, NAT_US, rows["ended_at"])),
            "status": label_strings(SESSION_STATUSES, rows["status"]),
            **{
                column: rows[column]
                for column in (
                    "samples",
                    "epochs",
                    "train_accuracy",
                    "val_accuracy",
                    "train_loss",
                    "val_loss",
                    "gpu_util_mean",
                    "gpu_mem_peak_gb",
                )
            },
            "failure_reason": pd.array(reasons, dtype="string"),
        }
    )
    return conform("training_sessions", frame)
