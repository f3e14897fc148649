"""Training runs from MLflow: `DASHBOARD_DATA_SOURCE=mlflow:<tracking URI>`.

The URI is anything MLflow's client accepts: a tracking server (`http://mlflow:5000`) or a
local store (`sqlite:///mlflow.db`). Needs the `mlflow` extra (`pip install .[mlflow]`).

- Each run of each active experiment is a training session; `session_id` is the run id,
  `run_name` the run's name.
- Model type: the run's tag `model_type`, else the experiment's name (either may be mapped by
  `DASHBOARD_MODEL_TYPE_MAP`); runs whose model type is none of the four are left out, and
  `check-data` lists them. Model version: the tag `model_version`.
- Status: RUNNING and SCHEDULED -> active, FINISHED -> completed, FAILED and KILLED -> failed
  (reason: the tag `failure_reason`, else the MLflow status).
- Metric histories (every point) -> training_metrics, through the metric aliases; MLflow's
  system metrics -> resource_usage (see `dashboard.data.sources.training_runs`).
- The Model Registry's versions -> model_versions (see `dashboard.data.sources.mlflow_registry`).
- A run that names its host and GPUs (tag or param `gpu_host` and `gpus`, see
  `dashboard.data.sources.training_runs`) claims those GPUs while it runs: GPU telemetry from
  Prometheus (`dashboard.data.sources.prometheus`) is attributed to it.
- Only training tables and versions: the others are missing (combine with a directory).

A finished run is fetched once; only runs that are still active, or changed, are fetched again.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from dashboard.data.sources.base import ReadingSource, Snapshot
from dashboard.data.sources.metric_aliases import MetricNames, ModelTypes
from dashboard.data.sources.mlflow_registry import VersionStatuses, read_registry
from dashboard.data.sources.training_runs import (
    POINT_COLUMNS,
    Run,
    empty_points,
    left_out,
    runs_snapshot,
)
from simulator.schema import MODEL_TYPES

STATUSES = {
    "RUNNING": "active",
    "SCHEDULED": "active",
    "FINISHED": "completed",
    "FAILED": "failed",
    "KILLED": "failed",
}
# A refresh holds the data lock while it reads: an unreachable server must fail fast, not after
# MLflow's default of 7 retries with exponential backoff. Set these variables to override.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
PAGE_SIZE = 1000


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (four slashes: absolute), else None."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///").split("?", 1)[0])


def _named(mlflow_run) -> str:
    """'orca-sentinel-17 (3f9c…)': a run as its users know it, with its id."""
    info = mlflow_run.info
    return f"{info.run_name} ({info.run_id})" if info.run_name else info.run_id


def _utc(milliseconds: int | None) -> pd.Timestamp | None:
    return None if milliseconds is None else pd.Timestamp(milliseconds, unit="ms", tz="UTC")


class MlflowSource(ReadingSource):
    """Training sessions, metrics and GPU usage from an MLflow tracking store."""

    def __init__(
        self,
        tracking_uri: str,
        metric_aliases: Mapping[str, str] | None = None,
        model_type_map: Mapping[str, str] | None = None,
        version_status: Mapping[str, object] | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri.strip()
        if not self.tracking_uri:
            raise ValueError("DASHBOARD_DATA_SOURCE 'mlflow:' needs a tracking URI")
        database = sqlite_path(self.tracking_uri)
        if database is not None and not database.is_file():
            raise ValueError(f"no MLflow database at {database} ({self.tracking_uri})")
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ValueError(
                "reading MLflow needs the mlflow extra: pip install 'ai-model-training-dashboard"
                "[mlflow]'"
            ) from None
        if self.tracking_uri.startswith(("http://", "https://")):
            for variable, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(variable, value)
        self.client = MlflowClient(tracking_uri=self.tracking_uri)
        self.names = MetricNames(metric_aliases)
        self.model_types = ModelTypes(model_type_map)
        self.statuses = VersionStatuses(version_status)
        self.name = f"MLflow {self.tracking_uri}"
        # run id -> (fingerprint, points) of finished runs already fetched
        self._fetched: dict[str, tuple[object, pd.DataFrame]] = {}

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        runs: list[Run] = []
        points: list[pd.DataFrame] = [empty_points()]
        skipped: dict[str, list[str]] = defaultdict(list)
        fingerprints = []
        for experiment in self._experiments():
            for mlflow_run in self._runs(experiment.experiment_id):
                run, reason = self._session(mlflow_run, experiment.name)
                if run is None:
                    skipped[reason].append(_named(mlflow_run))
                    continue
                fingerprint = self._fingerprint(mlflow_run)
                fingerprints.append((run.session_id, fingerprint))
                runs.append(run)
                points.append(self._points(mlflow_run, fingerprint))
        seen = {run.session_id for run in runs}
        self._fetched = {key: value for key, value in self._fetched.items() if key in seen}
        registry = read_registry(
            self.client, {run.session_id: run.model_version for run in runs}, self.statuses
        )
        runs = [
            replace(run, model_version=registry.label_of_run.get(run.session_id))
            if run.model_version is None and run.session_id in registry.label_of_run
            else run
            for run in runs
        ]
        return runs_snapshot(
            runs,
            points,
            self.names,
            source=self.name,
            now=now,
            fingerprints=[*fingerprints, ("registry", registry.fingerprint)],
            hint=self._hint,
            notes=tuple(left_out("run", ids, reason) for reason, ids in skipped.items())
            + registry.notes,
            extra={"model_versions": registry.versions} if len(registry.versions) else {},
        )

    def _hint(self, table: str) -> str:
        if table == "model_versions":
            return (
                "the MLflow Model Registry holds no model versions: register the models your "
                "runs produce (mlflow.register_model) and give versions an alias (champion, "
                "challenger), or put model_versions.csv in a directory DIR and set "
                f"DASHBOARD_DATA_SOURCE='mlflow:{self.tracking_uri};DIR'"
            )
        return (
            f"MLflow holds training runs only; put {table}.parquet or {table}.csv in a "
            f"directory DIR and set DASHBOARD_DATA_SOURCE='mlflow:{self.tracking_uri};DIR'"
        )

    def _experiments(self) -> list:
        experiments, token = [], None
        while True:
            page = self.client.search_experiments(max_results=PAGE_SIZE, page_token=token)
            experiments.extend(page)
            token = page.token
            if not token:
                return experiments

    def _runs(self, experiment_id: str) -> list:
        runs, token = [], None
        while True:
            page = self.client.search_runs([experiment_id], max_results=PAGE_SIZE, page_token=token)
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def _session(self, mlflow_run, experiment_name: str) -> tuple[Run | None, str]:
        info, tags = mlflow_run.info, mlflow_run.data.tags
        tagged = tags.get("model_type")
        model_type = self.model_types.first([tagged] if tagged else [experiment_name])
        if model_type is None:
            named = f"tag model_type {tagged!r}" if tagged else f"experiment {experiment_name!r}"
            return None, (
                f"{named} is no model type ({', '.join(MODEL_TYPES)}); tag the runs with "
                "model_type or map the name in DASHBOARD_MODEL_TYPE_MAP"
            )
        status = STATUSES.get(info.status)
        if status is None:
            return None, f"MLflow status {info.status!r} is not a training state"
        return (
            Run(
                session_id=info.run_id,
                run_name=info.run_name or None,
                model_type=model_type,
                model_version=tags.get("model_version"),
                status=status,
                started_at=_utc(info.start_time),
                ended_at=_utc(info.end_time),
                failure_reason=tags.get("failure_reason") or f"MLflow status {info.status}",
                params={**tags, **mlflow_run.data.params},
            ),
            "",
        )

    @staticmethod
    def _fingerprint(mlflow_run) -> object:
        info = mlflow_run.info
        return (info.status, info.end_time, tuple(sorted(mlflow_run.data.metrics.items())))

    def _points(self, mlflow_run, fingerprint: object) -> pd.DataFrame:
        run_id = mlflow_run.info.run_id
        cached = self._fetched.get(run_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        rows = [
            (run_id, metric.key, metric.step, metric.timestamp, metric.value)
            for key in mlflow_run.data.metrics
            for metric in self.client.get_metric_history(run_id, key)
        ]
        frame = pd.DataFrame(rows, columns=POINT_COLUMNS)
        frame = frame.astype({"session_id": "string", "key": "string", "step": "int64"})
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="ms", utc=True).astype(
            "datetime64[us, UTC]"
        )
        frame["value"] = frame["value"].astype("float64")
        if STATUSES.get(mlflow_run.info.status) != "active":
            self._fetched[run_id] = (fingerprint, frame)
        return frame
