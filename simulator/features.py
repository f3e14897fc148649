"""Feature samples for drift checks.

`bytes_out_log` and `severity` shift on DRIFT_START_DAY, the DRIFT_DAYS days up to the
calibration day (simulator.quality) being the first shifted, and stay shifted after it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, utc_times
from simulator.rows import Rows
from simulator.schema import MODEL_TYPE, MODEL_TYPES, conform
from simulator.strings import label_strings
from simulator.timeline import ANCHOR_US

FEATURES = (
    "event_rate",
    "bytes_out_log",
    "unique_dest_ports",
    "severity",
    "asset_criticality",
    "dwell_time_log",
)
SAMPLES_PER_DAY = 40  # per model type and feature, times the scale
DRIFT_DAYS = 21
DRIFT_START_DAY = ANCHOR_US // US_PER_DAY - DRIFT_DAYS
BYTES_OUT_SD = 1.1
BYTES_OUT_SHIFT_SD = 0.8
SEVERITY_MIX = (
    (0.32, 0.28, 0.22, 0.12, 0.06),  # codes 1..5 before the drift, the mildest most common
    (0.25, 0.27, 0.23, 0.16, 0.09),  # and after
)
ASSET_CRITICALITY_MIX = (0.50, 0.35, 0.15)


def _codes(rng: np.random.Generator, mix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Category codes 1..k drawn from `mix` (broadcast against `shape` on the leading axes)."""
    cumulative = np.cumsum(mix, axis=-1)[..., :-1]
    uniform = rng.random(shape)
    return 1 + (uniform[..., None] > cumulative[:, None, None, :]).sum(axis=-1)


def simulate_features(rng: np.random.Generator, day: int, scale: int) -> Rows:
    """The feature samples of UTC day `day`, ordered by (model type, feature)."""
    types = len(MODEL_TYPES)
    per_cell = SAMPLES_PER_DAY * scale
    shape = (1, types, per_cell)
    drifted = day >= DRIFT_START_DAY

    def per_type(values: tuple[float, ...]) -> np.ndarray:
        return np.asarray(values)[None, :, None]

    event_scale = 12.0 * per_type((1.0, 1.3, 0.8, 0.6))
    port_mean = per_type((6.0, 4.0, 9.0, 5.0))
    severity_mix = np.asarray(SEVERITY_MIX)[[int(drifted)]]
    values = {
        "event_rate": np.round(rng.gamma(4.0, 1.0, shape) * event_scale, 3),
        "bytes_out_log": rng.normal(per_type((9.2, 8.6, 9.8, 9.0)), BYTES_OUT_SD, shape)
        + BYTES_OUT_SHIFT_SD * BYTES_OUT_SD * drifted,
        "unique_dest_ports": rng.negative_binomial(3, 3 / (3 + port_mean), shape).astype(float),
        "severity": _codes(rng, severity_mix, shape).astype(float),
        "asset_criticality": _codes(rng, np.asarray([ASSET_CRITICALITY_MIX]), shape).astype(float),
        "dwell_time_log": rng.normal(per_type((4.0, 3.6, 4.4, 3.8)), 0.9, shape),
    }
    stacked = np.stack([values[name] for name in FEATURES], axis=2)  # (day, type, feature, sample)
    size = stacked.size
    return {
        "date": np.full(size, day * US_PER_DAY, dtype=np.int64),
        "model_type": np.repeat(np.arange(types, dtype=np.int8), len(FEATURES) * per_cell),
        "feature": np.tile(np.repeat(np.arange(len(FEATURES), dtype=np.int8), per_cell), types),
        "value": stacked.ravel(),
    }


def features_frame(rows: Rows) -> pd.DataFrame:
    """The feature_samples table, ordered by (date, model type, feature)."""
    frame = pd.DataFrame(
        {
            "date": utc_times(rows["date"]),
            "model_type": pd.Categorical.from_codes(rows["model_type"], dtype=MODEL_TYPE),
            "feature": label_strings(FEATURES, rows["feature"]),
            "value": rows["value"],
        }
    )
    return conform("feature_samples", frame)
