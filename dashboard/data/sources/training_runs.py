"""Training runs (MLflow runs, TensorBoard run folders) -> the contract's training tables.

Both run-based sources reduce what they read to `Run`s and metric points (session_id, key,
step, timestamp, value), and this module builds from them:

- training_metrics: every point of every metric, named through `MetricNames`;
- resource_usage: MLflow's system metrics `system/gpu_<N>_utilization_percentage` (-> gpu_util,
  a fraction), `system/gpu_<N>_memory_usage_megabytes` (-> GB; with
  `system/gpu_<N>_memory_usage_percentage` also the GPU's total), and
  `system/system_memory_usage_megabytes` (-> host GB), one row per sample and GPU;
- training_sessions: one row per run; last values from each metric's last point, GPU mean and
  peak from its resource rows, samples and epochs from a parameter or tag, else a metric, else
  the highest `epoch` logged (0 when nothing says);
- GPU claims: a run whose parameters or tags name `gpu_host` (the host the GPU exporter
  reports) and `gpus` (comma-separated GPU indices or UUIDs) holds those GPUs while it runs
  (see `dashboard.data.sources.gpu_attribution`).

MLflow's megabytes are 10^6 bytes (it divides by 1e6), so GB here are 10^9 bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from dashboard.data.sources.base import GpuClaim, Snapshot, content_token
from dashboard.data.sources.metric_aliases import MetricNames
from dashboard.data.sources.validation import Problem, validate_table
from simulator.schema import TABLES

POINT_COLUMNS = ["session_id", "key", "step", "timestamp", "value"]
SYSTEM_PREFIX = "system/"
GPU_KEY = (
    r"^system/gpu_(\d+)_(utilization_percentage|memory_usage_megabytes|memory_usage_percentage)$"
)
HOST_MEMORY_KEY = "system/system_memory_usage_megabytes"
MEGABYTES_PER_GB = 1000.0
LAST_VALUES = ("train_accuracy", "val_accuracy", "train_loss", "val_loss")
HOST_KEY, GPUS_KEY = "gpu_host", "gpus"


@dataclass(frozen=True)
class Run:
    """One training run as a session: who it is, its state, and the parameters it logged."""

    session_id: str
    model_type: str
    model_version: str | None
    status: str  # active, completed or failed
    started_at: pd.Timestamp
    ended_at: pd.Timestamp | None
    failure_reason: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    run_name: str | None = None  # what people call it: MLflow's run name, the run folder


def empty_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "session_id": pd.Series(dtype="string"),
            "key": pd.Series(dtype="string"),
            "step": pd.Series(dtype="int64"),
            "timestamp": pd.Series(dtype="datetime64[us, UTC]"),
            "value": pd.Series(dtype="float64"),
        }
    )


def build_tables(
    runs: list[Run], points: pd.DataFrame, names: MetricNames
) -> dict[str, pd.DataFrame]:
    """training_sessions, training_metrics and resource_usage of `runs` and their points."""
    points = points[points["session_id"].isin([run.session_id for run in runs])]
    system = points["key"].str.startswith(SYSTEM_PREFIX).fillna(False).astype(bool)
    metrics = _training_metrics(points[~system], names)
    resources = _resource_usage(points[system])
    return {
        "training_sessions": _sessions(runs, metrics, resources, names),
        "training_metrics": metrics,
        "resource_usage": resources,
    }


def validated_tables(
    tables: dict[str, pd.DataFrame], where: str
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The built tables checked against the contract; a problem names the run it is in."""
    checked, problems = {}, []
    for table, frame in tables.items():

        def run_of(row: object, frame: pd.DataFrame = frame) -> str:
            if "session_id" not in frame.columns:
                return f"version {frame.at[row, 'version']}"
            return f"run {frame.at[row, 'session_id']}"

        result, table_problems = validate_table(table, frame, f"{where} ({table})", run_of)
        problems.extend(table_problems)
        if result is not None:
            checked[table] = result
    return checked, problems


def claims_of(run: Run) -> list[GpuClaim]:
    """The GPUs a run names (`gpu_host` and `gpus`, parameters or tags), held while it runs."""
    host = (run.params.get(HOST_KEY) or "").strip()
    gpus = tuple(gpu.strip() for gpu in (run.params.get(GPUS_KEY) or "").split(",") if gpu.strip())
    if not host or not gpus:
        return []
    return [GpuClaim(run.session_id, host, gpus, run.started_at, run.ended_at)]


def left_out(noun: str, names: list[str], why: str) -> str:
    """'left out 5 run(s) (a, b, c, …): why', a note on runs a source could not use."""
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return f"left out {len(names)} {noun}(s) ({shown}): {why}"


def runs_snapshot(
    runs: list[Run],
    points: list[pd.DataFrame],
    names: MetricNames,
    *,
    source: str,
    now: pd.Timestamp,
    fingerprints: list[tuple[str, object]],
    hint: Callable[[str], str],
    notes: tuple[str, ...],
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Snapshot:
    """The snapshot of a training-run source: its runs' tables (and `extra` tables it read),
    checked against the contract, with a hint for each table such a source does not hold."""
    tables = {**build_tables(runs, pd.concat(points, ignore_index=True), names), **(extra or {})}
    checked, problems = validated_tables(tables, source)
    return Snapshot(
        checked,
        now,
        source,
        token=content_token(fingerprints),
        hints={name: hint(name) for name in TABLES if name not in tables},
        problems=tuple(problems),
        notes=notes,
        claims=tuple(claim for run in runs for claim in claims_of(run)),
    )


def _training_metrics(points: pd.DataFrame, names: MetricNames) -> pd.DataFrame:
    contract = {key: names.metric(key) for key in points["key"].unique()}
    metrics = pd.DataFrame(
        {
            "session_id": points["session_id"],
            "step": points["step"],
            "timestamp": points["timestamp"],
            "metric": points["key"].map(contract).astype("string"),
            "value": points["value"],
        }
    )
    return metrics.sort_values(["session_id", "step", "timestamp"], kind="stable").reset_index(
        drop=True
    )


def _resource_usage(system: pd.DataFrame) -> pd.DataFrame:
    parts = system["key"].str.extract(GPU_KEY)
    found = parts[0].notna()
    if not found.any():
        return pd.DataFrame(columns=RESOURCE_COLUMNS)
    gpu = system[found].assign(gpu_id=parts.loc[found, 0].astype("int64"), kind=parts[1])
    keys = ["session_id", "step", "gpu_id"]
    wide = gpu.pivot_table(index=keys, columns="kind", values="value", aggfunc="last")
    wide = wide.reindex(
        columns=[
            "utilization_percentage",
            "memory_usage_megabytes",
            "memory_usage_percentage",
        ]
    )
    host = system[system["key"] == HOST_MEMORY_KEY].groupby(["session_id", "step"])["value"].last()
    rows = wide.join(gpu.groupby(keys)["timestamp"].min()).reset_index()
    host_mb = pd.Series(
        host.reindex(pd.MultiIndex.from_frame(rows[["session_id", "step"]])).to_numpy(),
        index=rows.index,
    )
    used_mb = rows["memory_usage_megabytes"]
    share = rows["memory_usage_percentage"] / 100.0
    table = pd.DataFrame(
        {
            "timestamp": rows["timestamp"],
            "gpu_id": rows["gpu_id"],
            "session_id": rows["session_id"],
            "gpu_util": rows["utilization_percentage"] / 100.0,
            "gpu_mem_used_gb": used_mb / MEGABYTES_PER_GB,
            "gpu_mem_total_gb": (used_mb / share.where(share > 0)) / MEGABYTES_PER_GB,
            "host_mem_used_gb": host_mb / MEGABYTES_PER_GB,
        }
    )
    return table.sort_values(["timestamp", "gpu_id"], kind="stable").reset_index(drop=True)


def _count(run: Run, name: str, last: Mapping[str, float], names: MetricNames) -> float | None:
    for logged, text in run.params.items():
        if names.contract_name(logged) == name:
            try:
                return float(text)
            except (TypeError, ValueError):
                continue
    return last.get(name)


def _sessions(
    runs: list[Run], metrics: pd.DataFrame, resources: pd.DataFrame, names: MetricNames
) -> pd.DataFrame:
    ordered = metrics.sort_values(["session_id", "metric", "step", "timestamp"], kind="stable")
    last = ordered.groupby(["session_id", "metric"])["value"].last()
    top_epoch = metrics[metrics["metric"] == "epoch"].groupby("session_id")["value"].max()
    last_logged = metrics.groupby("session_id")["timestamp"].max()
    by_session = resources.groupby("session_id")
    gpu_util_mean = by_session["gpu_util"].mean()
    gpu_mem_peak = by_session["gpu_mem_used_gb"].max()
    rows = []
    for run in runs:
        values = last[run.session_id].to_dict() if run.session_id in last.index else {}
        samples = _count(run, "samples", values, names)
        epochs = _count(run, "epochs", values, names)
        if epochs is None and run.session_id in top_epoch.index:
            epochs = math.ceil(top_epoch[run.session_id])
        ended = run.ended_at
        if run.status != "active" and ended is None:
            ended = last_logged.get(run.session_id, run.started_at)
        rows.append(
            {
                "session_id": run.session_id,
                "run_name": run.run_name,
                "model_type": run.model_type,
                "model_version": run.model_version,
                "started_at": run.started_at,
                "ended_at": None if run.status == "active" else ended,
                "status": run.status,
                "samples": _whole(samples),
                "epochs": _whole(epochs),
                **{name: values.get(name, math.nan) for name in LAST_VALUES},
                "gpu_util_mean": gpu_util_mean.get(run.session_id, math.nan),
                "gpu_mem_peak_gb": gpu_mem_peak.get(run.session_id, math.nan),
                "failure_reason": run.failure_reason if run.status == "failed" else None,
            }
        )
    sessions = pd.DataFrame(rows, columns=SESSION_COLUMNS)
    for column in ("started_at", "ended_at"):
        sessions[column] = pd.to_datetime(sessions[column], utc=True)
    return sessions


def _whole(value: float | None) -> int:
    return 0 if value is None or math.isnan(value) else round(value)


RESOURCE_COLUMNS = [
    "timestamp",
    "gpu_id",
    "session_id",
    "gpu_util",
    "gpu_mem_used_gb",
    "gpu_mem_total_gb",
    "host_mem_used_gb",
]
SESSION_COLUMNS = [
    "session_id",
    "run_name",
    "model_type",
    "model_version",
    "started_at",
    "ended_at",
    "status",
    "samples",
    "epochs",
    *LAST_VALUES,
    "gpu_util_mean",
    "gpu_mem_peak_gb",
    "failure_reason",
]
