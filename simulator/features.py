"""Feature samples for drift checks: `bytes_out_log` and `severity` shift 21 days before the end."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.clock import US_PER_DAY, utc_times
from simulator.schema import MODEL_TYPE, MODEL_TYPES, conform
from simulator.strings import label_strings

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
BYTES_OUT_SD = 1.1
BYTES_OUT_SHIFT_SD = 0.8
SEVERITY_MIX = (
    (0.30, 0.30, 0.22, 0.12, 0.06),  # codes 1..5 before the drift
    (0.25, 0.27, 0.23, 0.16, 0.09),  # and after
)
ASSET_CRITICALITY_MIX = (0.50, 0.35, 0.15)


def _codes(rng: np.random.Generator, mix: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Category codes 1..k drawn from `mix` (broadcast against `shape` on the leading axes)."""
    cumulative = np.cumsum(mix, axis=-1)[..., :-1]
    uniform = rng.random(shape)
    return 1 + (uniform[..., None] > cumulative[:, None, None, :]).sum(axis=-1)


def simulate_features(
    rng: np.random.Generator, day_start_us: int, days: int, scale: int
) -> pd.DataFrame:
    """The feature_samples table, ordered by (date, model type, feature)."""
    types = len(MODEL_TYPES)
    per_cell = SAMPLES_PER_DAY * scale
    shape = (days, types, per_cell)
    age = np.arange(days - 1, -1, -1)
    drifted = (age < DRIFT_DAYS)[:, None, None]

    def per_type(values: tuple[float, ...]) -> np.ndarray:
        return np.asarray(values)[None, :, None]

    event_scale = 12.0 * per_type((1.0, 1.3, 0.8, 0.6))
    port_mean = per_type((6.0, 4.0, 9.0, 5.0))
    severity_mix = np.asarray(SEVERITY_MIX)[drifted[:, 0, 0].astype(int)]
    values = {
        "event_rate": np.round(rng.gamma(4.0, 1.0, shape) * event_scale, 3),
        "bytes_out_log": rng.normal(per_type((9.2, 8.6, 9.8, 9.0)), BYTES_OUT_SD, shape)
        + BYTES_OUT_SHIFT_SD * BYTES_OUT_SD * drifted,
        "unique_dest_ports": rng.negative_binomial(3, 3 / (3 + port_mean), shape).astype(float),
        "severity": _codes(rng, severity_mix, shape).astype(float),
        "asset_criticality": _codes(
            rng, np.broadcast_to(ASSET_CRITICALITY_MIX, (days, 3)), shape
        ).astype(float),
        "dwell_time_log": rng.normal(per_type((4.0, 3.6, 4.4, 3.8)), 0.9, shape),
    }
    stacked = np.stack([values[name] for name in FEATURES], axis=2)  # (day, type, feature, sample)

    dates = day_start_us - age.astype(np.int64) * US_PER_DAY
    per_day = types * len(FEATURES) * per_cell
    frame = pd.DataFrame(
        {
            "date": utc_times(np.repeat(dates, per_day)),
            "model_type": pd.Categorical.from_codes(
                np.tile(np.repeat(np.arange(types), len(FEATURES) * per_cell), days),
                dtype=MODEL_TYPE,
            ),
            "feature": label_strings(
                FEATURES, np.tile(np.repeat(np.arange(len(FEATURES)), per_cell), days * types)
            ),
            "value": stacked.ravel(),
        }
    )
    return conform("feature_samples", frame)
