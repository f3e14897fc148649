"""The contract tables: every table's columns and pandas dtypes, in one place.

Timestamps are UTC and timezone-aware (microsecond resolution, pandas 3's default). Rates
are fractions 0..1. This module is the documented on-disk format of `python -m simulator
export` and of the directory data source.
"""

from __future__ import annotations

import pandas as pd

MODEL_TYPES: tuple[str, ...] = (
    "threat_detection",
    "false_positive_filter",
    "incident_classification",
    "response_automation",
)
SESSION_STATUSES: tuple[str, ...] = ("active", "completed", "failed")
VERSION_STATUSES: tuple[str, ...] = ("stable", "canary", "retired")
ARMS: tuple[str, ...] = ("control", "treatment")
QUALITY_INDICATORS: tuple[str, ...] = (
    "quality_score",
    "label_accuracy",
    "completeness",
    "feature_coverage",
    "freshness_days",
    "outlier_detection",
    "diversity",
    "class_balance",
)

TIMESTAMP = "datetime64[us, UTC]"
TEXT = "string"
MODEL_TYPE = pd.CategoricalDtype(list(MODEL_TYPES))

# table -> {column: dtype}; the order is the column order on disk.
TABLES: dict[str, dict[str, object]] = {
    "model_versions": {
        "version": TEXT,
        "released_at": TIMESTAMP,
        "status": TEXT,
        "description": TEXT,
    },
    "training_sessions": {
        "session_id": TEXT,
        "run_name": TEXT,  # what people call the run (optional: sources without names leave it out)
        "model_type": MODEL_TYPE,
        "model_version": TEXT,
        "started_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
        "status": TEXT,
        "samples": "int64",
        "epochs": "int64",
        "train_accuracy": "float64",
        "val_accuracy": "float64",
        "train_loss": "float64",
        "val_loss": "float64",
        "gpu_util_mean": "float64",
        "gpu_mem_peak_gb": "float64",
        "failure_reason": TEXT,
    },
    "training_metrics": {
        "session_id": TEXT,
        "step": "int64",
        "timestamp": TIMESTAMP,
        "metric": TEXT,
        "value": "float64",
    },
    "resource_usage": {
        "timestamp": TIMESTAMP,
        "gpu_id": "int64",
        "session_id": TEXT,
        "gpu_util": "float32",
        "gpu_mem_used_gb": "float32",
        "gpu_mem_total_gb": "float32",
        "host_mem_used_gb": "float32",
    },
    "alerts": {
        "alert_id": TEXT,
        "timestamp": TIMESTAMP,
        "model_type": MODEL_TYPE,
        "model_version": TEXT,
        "automated": "bool",
        "escalated": "bool",
        "false_positive": "bool",
        "response_time_min": "float64",
    },
    "experiments": {
        "experiment_id": TEXT,
        "model_type": MODEL_TYPE,
        "control_version": TEXT,
        "treatment_version": TEXT,
        "started_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
        "treatment_share": "float64",
    },
    "experiment_alerts": {
        "experiment_id": TEXT,
        "alert_id": TEXT,
        "timestamp": TIMESTAMP,
        "model_type": MODEL_TYPE,
        "arm": TEXT,
        "model_version": TEXT,
        "correct": "bool",
        "automated": "bool",
        "false_positive": "bool",
        "response_time_min": "float64",
    },
    "data_quality": {
        "date": TIMESTAMP,
        "model_type": MODEL_TYPE,
        **{indicator: "float64" for indicator in QUALITY_INDICATORS},
    },
    "feature_samples": {
        "date": TIMESTAMP,
        "model_type": MODEL_TYPE,
        "feature": TEXT,
        "value": "float64",
    },
}

# Each table's time column, by which it is sorted (ascending) so that time filters can bisect.
TIME_COLUMNS: dict[str, str | None] = {
    "model_versions": "released_at",
    "training_sessions": "started_at",
    "training_metrics": None,  # sorted by (session_id, step); filter through sessions
    "resource_usage": "timestamp",
    "alerts": "timestamp",
    "experiments": "started_at",
    "experiment_alerts": "timestamp",
    "data_quality": "date",
    "feature_samples": "date",
}


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with exactly the contract's columns, in order, cast to their dtypes."""
    columns = TABLES[name]
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"table {name!r} lacks column(s) {', '.join(missing)}")
    return frame[list(columns)].astype(columns)
