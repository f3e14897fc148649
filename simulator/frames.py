"""The contract's DataFrames of the event tables, built from their rows (simulator.rows)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from simulator.alerts import alerts_frame
from simulator.experiments import pilot_frame
from simulator.features import features_frame
from simulator.metrics import METRICS, metrics_frame
from simulator.quality import quality_frame
from simulator.resources import usage_frame
from simulator.rows import Rows, row_count
from simulator.sessions import sessions_frame

BUILDERS: dict[str, Callable[[Rows], pd.DataFrame]] = {
    "training_sessions": sessions_frame,
    "training_metrics": metrics_frame,
    "resource_usage": usage_frame,
    "alerts": alerts_frame,
    "experiment_alerts": pilot_frame,
    "data_quality": quality_frame,
    "feature_samples": features_frame,
}


def table_frame(name: str, rows: Rows) -> pd.DataFrame:
    """Event table `name` as the contract's DataFrame (a fresh RangeIndex)."""
    return BUILDERS[name](rows)


def frame_length(name: str, rows: Rows) -> int:
    """How many rows the frame of `rows` has: a metric point becomes a row per metric."""
    return row_count(rows) * (len(METRICS) if name == "training_metrics" else 1)
