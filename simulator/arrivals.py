"""When alerts arrive: Poisson counts per hour with a weekly and a daily cycle."""

from __future__ import annotations

import numpy as np

from simulator.clock import US_PER_DAY, US_PER_HOUR

WEEKEND_FACTOR = 0.6
DAILY_AMPLITUDE = 0.35
PEAK_HOUR_UTC = 14
_WEEK_MEAN = (5 + 2 * WEEKEND_FACTOR) / 7


def arrival_times(
    rng: np.random.Generator, start_us: int, end_us: int, per_day: float
) -> np.ndarray:
    """Sorted arrival times (epoch microseconds, millisecond precision) in [start, end).

    `per_day` is the mean over a whole week; weekends run at WEEKEND_FACTOR of weekdays.
    """
    first_hour = start_us - start_us % US_PER_HOUR
    hours = np.arange(first_hour, end_us, US_PER_HOUR, dtype=np.int64)
    weekday = (hours // US_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    hour_of_day = (hours % US_PER_DAY) // US_PER_HOUR
    weekly = np.where(weekday >= 5, WEEKEND_FACTOR, 1.0) / _WEEK_MEAN
    daily = 1 + DAILY_AMPLITUDE * np.cos(2 * np.pi * (hour_of_day - PEAK_HOUR_UTC) / 24)
    # The first and last hours may be partial.
    covered = np.minimum(hours + US_PER_HOUR, end_us) - np.maximum(hours, start_us)
    counts = rng.poisson(per_day / 24 * weekly * daily * covered / US_PER_HOUR)
    lower = np.repeat(np.maximum(hours, start_us), counts)
    span = np.repeat(covered, counts) // 1_000
    times = lower + (rng.random(lower.size) * span).astype(np.int64) * 1_000
    return np.sort(times)
