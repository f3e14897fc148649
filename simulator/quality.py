"""Training-data quality: daily indicators per model type, improving over the last two weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, utc_times
from simulator.draws import smooth_noise
from simulator.schema import MODEL_TYPE, MODEL_TYPES, QUALITY_INDICATORS, conform

# Mean over model types of the last 7 days, and its change against the 7 days before.
LATEST_WEEK = {
    "quality_score": 0.942,
    "label_accuracy": 0.968,
    "completeness": 0.913,
    "feature_coverage": 0.897,
    "freshness_days": 2.3,
    "outlier_detection": 0.874,
    "diversity": 0.921,
    "class_balance": 0.889,
}
CHANGE_ON_PREVIOUS_WEEK = {
    "quality_score": 0.021,
    "label_accuracy": 0.015,
    "completeness": 0.032,
    "feature_coverage": 0.028,
    "freshness_days": -0.5,
    "outlier_detection": 0.041,
    "diversity": 0.018,
    "class_balance": 0.023,
}
# An ingestion outage about 45 days before the day end: incomplete, stale data for four days.
INCIDENT_AGES = np.array([46, 45, 44, 43])
INCIDENT_DROP = np.array([0.08, 0.10, 0.095, 0.085])
INCIDENT_FRESHNESS_DAYS = 1.2


def _improvement(age: np.ndarray) -> np.ndarray:
    """Share of the improvement reached on each day: none before the latest week, all after."""
    return np.select([age >= 7, age == 6], [0.0, 0.5], 1.0)


def simulate_quality(rng: np.random.Generator, day_start_us: int, days: int) -> pd.DataFrame:
    """The data_quality table: one row per (day, model type), dates at midnight UTC."""
    age = np.arange(days - 1, -1, -1)  # days before the plan's day; 0 is that day
    types = len(MODEL_TYPES)
    latest_week_share = _improvement(np.arange(7)).mean()
    # Earlier history wanders; the last two weeks are steady so the weekly figures are on target.
    taper = np.clip((age - 14) / 14, 0, 1)
    incident = np.zeros(days)
    incident[days - 1 - INCIDENT_AGES] = INCIDENT_DROP
    columns = {}
    for indicator in QUALITY_INDICATORS:  # a loop over the eight indicators
        change = CHANGE_ON_PREVIOUS_WEEK[indicator]
        freshness = indicator == "freshness_days"
        scale = 40.0 if freshness else 1.0  # freshness moves in days, not fractions
        level = (
            LATEST_WEEK[indicator]
            - change
            + change / latest_week_share * _improvement(age)
            + taper * smooth_noise(rng, days, 0.006 * scale, span=6)
        )
        offsets = rng.normal(0, 0.004 * scale, types)
        values = (
            level[:, None]
            + (offsets - offsets.mean())[None, :]
            + rng.normal(0, 0.003 * scale, (days, types))
        )
        if indicator == "completeness":
            values -= incident[:, None]
        elif indicator == "quality_score":
            values -= 0.9 * incident[:, None]
        elif freshness:
            values += INCIDENT_FRESHNESS_DAYS * (incident[:, None] > 0)
        columns[indicator] = (
            values.clip(0.3, None) if freshness else values.clip(0, 0.999)
        ).ravel()

    dates = day_start_us - age.astype(np.int64) * US_PER_DAY
    frame = pd.DataFrame(
        {
            "date": utc_times(np.repeat(dates, types)),
            "model_type": pd.Categorical.from_codes(
                np.tile(np.arange(types), days), dtype=MODEL_TYPE
            ),
            **columns,
        }
    )
    return conform("data_quality", frame)
