"""Day plans: every row timestamped in one UTC day, generated from (seed, scale, day) alone.

A plan holds the day's rows as they stand once settled (every session over, every response
done), with what `simulator.as_of` needs to show them as they looked at an earlier moment.
Nothing carries over from one day to the next: sessions start and end within their day,
responses are done within SETTLE_TIME, ids carry the day, and the day's random streams are
seeded by (seed, scale, day). So a day is the same whatever other days are generated, and
whenever it is asked for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.alerts import MAX_RESPONSE_MIN, simulate_alerts
from simulator.clock import US_PER_DAY, US_PER_MINUTE
from simulator.experiments import simulate_pilot_alerts
from simulator.features import simulate_features
from simulator.metrics import MetricPoints, metric_rows, simulate_points
from simulator.quality import simulate_quality
from simulator.resources import simulate_usage
from simulator.rows import Rows
from simulator.sessions import DURATION_MIN, GPUS_PER_NODE, SessionPlan, plan_sessions, session_rows

DEFAULT_SEED = 20261126
# How long after its timestamp a row may still change: the longest response (an alert's
# response time) and the longest session (a session row, keyed by its start).
SETTLE_TIME = pd.Timedelta(minutes=max(MAX_RESPONSE_MIN, DURATION_MIN[1]))
SETTLE_US = int(SETTLE_TIME.value // 1_000)
# The tables whose rows belong to a day, in contract order; each draws from its own stream.
EVENT_TABLES: tuple[str, ...] = (
    "training_sessions",
    "training_metrics",
    "resource_usage",
    "alerts",
    "experiment_alerts",
    "data_quality",
    "feature_samples",
)


@dataclass(frozen=True, eq=False)
class DayPlan:
    """The settled rows of one UTC day's event tables, with what `as_of` needs to cut them."""

    seed: int
    scale: int
    day: int  # days since the epoch
    n_gpus: int
    rows: dict[str, Rows]  # by table name, in EVENT_TABLES order
    sessions: SessionPlan
    points: MetricPoints

    @property
    def start_us(self) -> int:
        return self.day * US_PER_DAY

    @property
    def minutes(self) -> int:
        return US_PER_DAY // US_PER_MINUTE

    @property
    def settled_us(self) -> int:
        """From this moment on, the day's rows no longer change."""
        return self.start_us + US_PER_DAY + SETTLE_US


def check_arguments(seed: int, scale: int) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if not isinstance(scale, (int, np.integer)) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f"scale must be a positive integer, not {scale!r}")


def day_plan(seed: int, scale: int, day: int) -> DayPlan:
    """The (cached) plan of UTC day `day` (days since the epoch)."""
    check_arguments(seed, scale)
    if day < 0:
        raise ValueError("days before 1970 are not simulated")
    return _day_plan(int(seed), int(scale), int(day))


@functools.lru_cache(maxsize=2)
def _day_plan(seed: int, scale: int, day: int) -> DayPlan:
    # Two: the days that may still be settling, today and (just after midnight) yesterday.
    return generate_day(seed, scale, day)


def clear_plan_cache() -> None:
    """Forget the cached day plans (they are generated again when next asked for)."""
    _day_plan.cache_clear()


def generate_day(seed: int, scale: int, day: int) -> DayPlan:
    """The plan of UTC day `day`, generated afresh."""
    children = np.random.SeedSequence([seed, scale, day]).spawn(len(EVENT_TABLES))
    rng = {
        name: np.random.default_rng(child)
        for name, child in zip(EVENT_TABLES, children, strict=True)
    }
    n_gpus = GPUS_PER_NODE * scale
    sessions = plan_sessions(rng["training_sessions"], day, n_gpus)
    session_ids = sessions.ids()
    points = simulate_points(rng["training_metrics"], sessions)
    usage, util_mean, memory_peak = simulate_usage(
        rng["resource_usage"], sessions, session_ids, n_gpus
    )
    last_point = points.offsets[1:] - 1
    rows = {
        "training_sessions": session_rows(
            sessions,
            points.last_values(last_point),
            points.step[last_point],
            util_mean,
            memory_peak,
        ),
        "training_metrics": metric_rows(points, session_ids),
        "resource_usage": usage,
        "alerts": simulate_alerts(rng["alerts"], seed, day, scale),
        "experiment_alerts": simulate_pilot_alerts(rng["experiment_alerts"], seed, day, scale),
        "data_quality": simulate_quality(rng["data_quality"], seed, day),
        "feature_samples": simulate_features(rng["feature_samples"], day, scale),
    }
    return DayPlan(seed, scale, day, n_gpus, rows, sessions, points)
