"""Training-data quality: daily indicators per model type.

The brief's figures hold for the week up to the calibration day (the day before the anchor,
simulator.timeline) against the week before it; earlier the levels wander around the earlier
week's. After it the improved levels hold, wandering again, with an ingestion outage now and
then.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, utc_times
from simulator.draws import daily_noise, hashed_uniforms
from simulator.rows import Rows
from simulator.schema import MODEL_TYPE, MODEL_TYPES, QUALITY_INDICATORS, conform
from simulator.timeline import ANCHOR_US

# Mean over model types of the last 7 days, and its change against the 7 days before; for
# freshness, the mean of each day's oldest model type.
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
# An ingestion outage 46-43 days before the calibration day: incomplete, stale data for four
# days. After the anchor one such outage strikes in every INCIDENT_EVERY_DAYS, on a day drawn
# from the seed.
INCIDENT_AGES = np.array([46, 45, 44, 43])
INCIDENT_DROP = np.array([0.08, 0.10, 0.095, 0.085])  # on its first ... last day
INCIDENT_FRESHNESS_DAYS = 1.2
INCIDENT_EVERY_DAYS = 120
INCIDENT_KEY = 21
NOISE_KEY = 22
OFFSETS_KEY = 23
# The calibration day (2026-11-26, age 0): its week and the one before carry the brief's figures.
CALIBRATION_DAY = ANCHOR_US // US_PER_DAY - 1


def _improvement(age: np.ndarray | int) -> np.ndarray:
    """Share of the improvement reached on each day: none before the latest week, all after."""
    return np.select([age >= 7, age == 6], [0.0, 0.5], 1.0)


# The expected maximum of four standard normal draws (one per model type).
EXPECTED_MAX_OF_TYPES = 1.0294


def _taper(age: int) -> float:
    """How much the level wanders: fully but for the four weeks around the calibration day."""
    return float(np.clip((age - 14) / 14, 0, 1) if age >= 0 else np.clip(-age / 14, 0, 1))


def incident_drop(seed: int, day: int) -> float:
    """How much of the data an ingestion outage loses on UTC day `day` (0: none)."""
    age = CALIBRATION_DAY - day
    if age >= 0:
        history = np.flatnonzero(age == INCIDENT_AGES)
        return float(INCIDENT_DROP[history[0]]) if history.size else 0.0
    block, position = divmod(-age - 1, INCIDENT_EVERY_DAYS)
    span = INCIDENT_EVERY_DAYS - 2 * INCIDENT_DROP.size
    first = INCIDENT_DROP.size + int(
        hashed_uniforms((seed, INCIDENT_KEY), np.array([block]))[0] * span
    )
    into = position - first
    return float(INCIDENT_DROP[into]) if 0 <= into < INCIDENT_DROP.size else 0.0


@functools.lru_cache(maxsize=8)
def _type_offsets(seed: int) -> np.ndarray:
    """Each indicator's lasting offset per model type (rows in QUALITY_INDICATORS order)."""
    rng = np.random.default_rng([seed, OFFSETS_KEY])
    offsets = rng.normal(0, 0.004, (len(QUALITY_INDICATORS), len(MODEL_TYPES)))
    return offsets - offsets.mean(axis=1, keepdims=True)


def simulate_quality(rng: np.random.Generator, seed: int, day: int) -> Rows:
    """The data_quality rows of UTC day `day`: one per model type, dated at midnight UTC."""
    age = CALIBRATION_DAY - day
    types = len(MODEL_TYPES)
    latest = np.array([LATEST_WEEK[name] for name in QUALITY_INDICATORS])
    change = np.array([CHANGE_ON_PREVIOUS_WEEK[name] for name in QUALITY_INDICATORS])
    freshness = np.array([name == "freshness_days" for name in QUALITY_INDICATORS])
    scale = np.where(freshness, 40.0, 1.0)  # freshness moves in days, not fractions
    latest_week_share = _improvement(np.arange(7)).mean()
    wander = daily_noise((seed, NOISE_KEY), np.arange(latest.size), day, 0.006 * scale, span=6)
    level = latest - change + change / latest_week_share * _improvement(age) + _taper(age) * wander
    # Data are as fresh as their stalest part: the brief's freshness is the oldest model type's
    # (what All Models shows), so the model types sit below it by the expected excess of their
    # oldest one: its lasting offset plus the expected maximum of the daily noise.
    excess = scale * (_type_offsets(seed).max(axis=1) + 0.003 * EXPECTED_MAX_OF_TYPES)
    level = level - np.where(freshness, excess, 0.0)
    values = (
        level[:, None]
        + scale[:, None] * _type_offsets(seed)
        + 0.003 * scale[:, None] * rng.standard_normal((latest.size, types))
    )  # (indicator, model type)
    incident = incident_drop(seed, day)
    effect = {"completeness": -incident, "quality_score": -0.9 * incident}
    effect["freshness_days"] = INCIDENT_FRESHNESS_DAYS * (incident > 0)
    values += np.array([effect.get(name, 0.0) for name in QUALITY_INDICATORS])[:, None]
    values = np.where(freshness[:, None], values.clip(0.3, None), values.clip(0, 0.999))
    return {
        "date": np.full(types, day * US_PER_DAY, dtype=np.int64),
        "model_type": np.arange(types, dtype=np.int8),
        **dict(zip(QUALITY_INDICATORS, values, strict=True)),
    }


def quality_frame(rows: Rows) -> pd.DataFrame:
    """The data_quality table: one row per (day, model type)."""
    frame = pd.DataFrame(
        {
            "date": utc_times(rows["date"]),
            "model_type": pd.Categorical.from_codes(rows["model_type"], dtype=MODEL_TYPE),
            **{indicator: rows[indicator] for indicator in QUALITY_INDICATORS},
        }
    )
    return conform("data_quality", frame)
