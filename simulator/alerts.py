"""Live SOC alerts triaged by the stable model: volume cycles and the 90-day KPI trends."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.arrivals import arrival_times
from simulator.clock import US_PER_DAY, US_PER_MINUTE, utc_times
from simulator.draws import centred, lognormal_with_mean, model_types, normalised, smooth_noise
from simulator.schema import MODEL_TYPE, conform
from simulator.strings import fixed_width_strings, id_width, numbered_ids
from simulator.timeline import stable_version_codes, version_strings

ALERTS_PER_DAY = 3_000
TREND_DAYS = 90
# (first week, last week) of the last TREND_DAYS, over all model types.
AUTOMATION_RATE = (0.35, 0.50)
FALSE_POSITIVE_RATE = (0.85, 0.70)
RESPONSE_MIN = (12.0, 8.0)
AUTOMATION_BY_TYPE = centred((-0.05, 0.04, -0.03, 0.10))
FALSE_POSITIVE_BY_TYPE = centred((0.03, -0.07, 0.04, 0.0))
RESPONSE_BY_TYPE = normalised((1.15, 0.85, 1.10, 0.80))
ESCALATION_BY_TYPE = np.array([0.22, 0.08, 0.18, 0.12])  # share of the non-automated alerts
AUTOMATED_RESPONSE_MIN = 1.5
ESCALATION_SLOWDOWN = 1.6


def trend_progress(times_us: np.ndarray, day_end_us: int) -> np.ndarray:
    """0 mid first week of the last TREND_DAYS, 1 mid last week; flat before, linear after."""
    days = (times_us - (day_end_us - TREND_DAYS * US_PER_DAY)) / US_PER_DAY
    return (np.maximum(days, 0) - 3.5) / (TREND_DAYS - 7)


def simulate_alerts(
    rng: np.random.Generator, history_start_us: int, day_end_us: int, scale: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The alerts table with every response done, and when each response is done (epoch us)."""
    times = arrival_times(rng, history_start_us, day_end_us, ALERTS_PER_DAY * scale)
    size = times.size
    mtype = model_types(rng, size)
    progress = trend_progress(times, day_end_us)
    day = (times - history_start_us) // US_PER_DAY
    days = int(-(-(day_end_us - history_start_us) // US_PER_DAY))

    def trend(levels: tuple[float, float]) -> np.ndarray:
        return levels[0] + (levels[1] - levels[0]) * progress

    automation = (
        trend(AUTOMATION_RATE) + AUTOMATION_BY_TYPE[mtype] + smooth_noise(rng, days, 0.006)[day]
    )
    false_positive_rate = (
        trend(FALSE_POSITIVE_RATE)
        + FALSE_POSITIVE_BY_TYPE[mtype]
        + smooth_noise(rng, days, 0.006)[day]
    )
    response_target = (
        trend(RESPONSE_MIN) * RESPONSE_BY_TYPE[mtype] * (1 + smooth_noise(rng, days, 0.015)[day])
    )

    automated = rng.random(size) < automation
    escalation = ESCALATION_BY_TYPE[mtype]
    escalated = ~automated & (rng.random(size) < escalation)
    false_positive = rng.random(size) < false_positive_rate
    # Manual handling takes what is left of the target mean once automated alerts are counted.
    manual = (response_target - AUTOMATED_RESPONSE_MIN * automation) / (1 - automation)
    manual /= 1 + (ESCALATION_SLOWDOWN - 1) * escalation
    mean = np.where(
        automated, AUTOMATED_RESPONSE_MIN, manual * np.where(escalated, ESCALATION_SLOWDOWN, 1.0)
    )
    response = np.round(lognormal_with_mean(rng, mean, np.where(automated, 0.45, 0.6)), 2)

    frame = pd.DataFrame(
        {
            "alert_id": fixed_width_strings(
                numbered_ids("AL-", np.arange(1, size + 1), id_width(size, 8))
            ),
            "timestamp": utc_times(times),
            "model_type": pd.Categorical.from_codes(mtype, dtype=MODEL_TYPE),
            "model_version": version_strings(stable_version_codes(times, day_end_us)),
            "automated": automated,
            "escalated": escalated,
            "false_positive": false_positive,
            "response_time_min": response,
        }
    )
    done_us = times + np.rint(response * US_PER_MINUTE).astype(np.int64)
    return conform("alerts", frame), done_us
