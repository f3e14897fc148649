"""Live SOC alerts triaged by the stable model: volume cycles and the KPI trends.

The KPIs follow the brief over the TREND_DAYS before the anchor (simulator.timeline): flat
before, then linear from the first week's levels to the last week's. After the anchor they
keep improving slowly, by ever less (a time constant of TREND_SETTLES_DAYS), levelling off
TREND_HEADROOM times the brief's improvement beyond it: automation near 58%, false positives
near 62%, responses near 5.8 minutes. Day-to-day noise rides on top.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.arrivals import arrival_times
from simulator.clock import US_PER_DAY, US_PER_MINUTE, day_label, utc_times
from simulator.draws import centred, daily_noise, lognormal_with_mean, model_types, normalised
from simulator.rows import Rows
from simulator.schema import MODEL_TYPE, conform
from simulator.strings import fixed_width_strings, id_width, numbered_ids
from simulator.timeline import ANCHOR_US, stable_version_codes, version_strings

ALERTS_PER_DAY = 3_000
TREND_DAYS = 90
# (first week, last week) of the TREND_DAYS before the anchor, over all model types.
AUTOMATION_RATE = (0.35, 0.50)
FALSE_POSITIVE_RATE = (0.85, 0.70)
RESPONSE_MIN = (12.0, 8.0)
# After the anchor: how much more of the brief's improvement is still to come, and how fast.
TREND_HEADROOM = 0.5
TREND_SETTLES_DAYS = 120
AUTOMATION_BY_TYPE = centred((-0.05, 0.04, -0.03, 0.10))
FALSE_POSITIVE_BY_TYPE = centred((0.03, -0.07, 0.04, 0.0))
RESPONSE_BY_TYPE = normalised((1.15, 0.85, 1.10, 0.80))
ESCALATION_BY_TYPE = np.array([0.22, 0.08, 0.18, 0.12])  # share of the non-automated alerts
AUTOMATED_RESPONSE_MIN = 1.5
ESCALATION_SLOWDOWN = 1.6
# Every response is done within this many minutes (simulator.SETTLE_TIME).
MAX_RESPONSE_MIN = 240.0
NOISE_KEY = 11
_TREND_START_US = ANCHOR_US - TREND_DAYS * US_PER_DAY


def trend_progress(times_us: np.ndarray) -> np.ndarray:
    """0 mid first week of the TREND_DAYS before the anchor, 1 mid last week; see the module."""
    days = (np.asarray(times_us) - _TREND_START_US) / US_PER_DAY
    linear = (np.maximum(days, 0) - 3.5) / (TREND_DAYS - 7)
    after = np.maximum(days - TREND_DAYS, 0)
    levelling = TREND_HEADROOM * (1 - np.exp(-after / TREND_SETTLES_DAYS))
    return np.where(days <= TREND_DAYS, linear, (TREND_DAYS - 3.5) / (TREND_DAYS - 7) + levelling)


def alert_id_width(scale: int) -> int:
    """Digits of an alert's number within its day: one width for every day of a scale."""
    return id_width(10 * ALERTS_PER_DAY * scale, 6)


def simulate_alerts(rng: np.random.Generator, seed: int, day: int, scale: int) -> Rows:
    """The alerts of UTC day `day` with every response done, and when each is done."""
    start_us = day * US_PER_DAY
    times = arrival_times(rng, start_us, start_us + US_PER_DAY, ALERTS_PER_DAY * scale)
    size = times.size
    mtype = model_types(rng, size)
    progress = trend_progress(times)

    def trend(levels: tuple[float, float]) -> np.ndarray:
        return levels[0] + (levels[1] - levels[0]) * progress

    # Day-to-day wander of the automation rate, false-positive rate and response time.
    noise = daily_noise((seed, NOISE_KEY), np.arange(3), day, np.array([0.006, 0.006, 0.015]))
    automation = trend(AUTOMATION_RATE) + AUTOMATION_BY_TYPE[mtype] + noise[0]
    false_positive_rate = trend(FALSE_POSITIVE_RATE) + FALSE_POSITIVE_BY_TYPE[mtype] + noise[1]
    response_target = trend(RESPONSE_MIN) * RESPONSE_BY_TYPE[mtype] * (1 + noise[2])

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
    response = lognormal_with_mean(rng, mean, np.where(automated, 0.45, 0.6))
    response = np.round(np.minimum(response, MAX_RESPONSE_MIN), 2)
    return {
        "alert_id": numbered_ids(
            f"AL-{day_label(day)}-", np.arange(1, size + 1), alert_id_width(scale)
        ),
        "timestamp": times,
        "model_type": mtype,
        "model_version": stable_version_codes(times),
        "automated": automated,
        "escalated": escalated,
        "false_positive": false_positive,
        "response_time_min": response,
        "done_us": times + np.rint(response * US_PER_MINUTE).astype(np.int64),
    }


def alerts_frame(rows: Rows) -> pd.DataFrame:
    """The alerts table; open alerts have a NaN response time."""
    frame = pd.DataFrame(
        {
            "alert_id": fixed_width_strings(rows["alert_id"]),
            "timestamp": utc_times(rows["timestamp"]),
            "model_type": pd.Categorical.from_codes(rows["model_type"], dtype=MODEL_TYPE),
            "model_version": version_strings(rows["model_version"]),
            "automated": rows["automated"],
            "escalated": rows["escalated"],
            "false_positive": rows["false_positive"],
            "response_time_min": rows["response_time_min"],
        }
    )
    return conform("alerts", frame)
