"""The models' health now: the figures alerting watches, read through the pages' own queries.

`model_health()` gathers, per model type (and version where it applies): the SOC KPIs over the
last hour and day; each data-quality indicator and its status; the share of drifted features;
the training sessions (active, failed in the last day, when the last one started, when each
active one last logged a metric and how busy its GPUs are); and each running experiment's
arms, false-positive guardrail and sample-ratio check. Every figure comes from the functions
the pages' callbacks call (queries, quality, experiments, experiment_checks), for the filters
that `VIEWS` names, so a figure here is the one its page shows there.

It is computed once per data generation and app, and kept: a scrape of `/metrics` or the
navbar's badge only reads it (see `model_health` for what happens while a new generation's
figures are computed). A table the source lacks leaves its part empty.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import pandas as pd
from flask import Flask, current_app

from dashboard.analysis.quality import STATUS_RANK, quality_thresholds
from dashboard.conditions import VIEWS
from dashboard.data import experiment_checks, experiments, queries
from dashboard.data import quality as quality_data
from dashboard.data.filters import RECENT_PERIODS, Window
from dashboard.data.sources import MissingTable
from dashboard.domain import ALL_MODELS, MODEL_LABELS
from simulator.schema import QUALITY_INDICATORS

log = logging.getLogger(__name__)

MODEL_FILTERS: tuple[str, ...] = tuple(MODEL_LABELS)
# An active session's GPUs count as idle from their utilisation over this last stretch.
GPU_WINDOW = pd.Timedelta(minutes=15)
EXTENSION = "dashboard_model_health"
THREAD_NAME = "models-health"  # the background computation's thread
# The most of a worker's time the background computation of the figures may take.
BUSY_SHARE = 0.2
PENDING_HINT = "the models' health figures are being computed from the current data"


@dataclass(frozen=True)
class ModelHealth:
    """The figures of one data generation, one frame per subject (see the module)."""

    generation_key: str
    generation: int
    as_of: pd.Timestamp
    soc: pd.DataFrame  # model_type, period, alerts, automation_rate, false_positive_rate, ...
    versions: pd.DataFrame  # model_type, period, model_version, status, alerts, rates
    quality: pd.DataFrame  # model_type, indicator, value, status, status_code
    drift: pd.DataFrame  # model_type, features, drifted, share
    sessions: pd.DataFrame  # model_type, active, failed, last_started_at
    active: pd.DataFrame  # session_id, model_type, model_version, last_point_at, gpu_util
    experiments: pd.DataFrame  # experiment_id, model_type, arms' levels, guardrail, srm


def _soc() -> tuple[pd.DataFrame, pd.DataFrame]:
    levels, versions = [], []
    stable = _version_statuses()
    for period in RECENT_PERIODS:
        for model in MODEL_FILTERS:
            row = queries.recent_alert_levels(period, model)
            levels.append({"model_type": model, "period": period, **row.to_dict()})
        per_version = queries.recent_version_levels(period).copy()
        per_version.insert(1, "period", period)
        per_version["status"] = per_version["model_version"].map(stable)
        versions.append(per_version)
    return pd.DataFrame(levels), pd.concat(versions, ignore_index=True)


def _version_statuses() -> dict[str, str]:
    try:
        versions = queries.model_versions()
    except MissingTable:
        return {}
    return dict(zip(versions["version"].astype(str), versions["status"].astype(str), strict=True))


def _quality() -> pd.DataFrame:
    thresholds = quality_thresholds(current_app.config.get("QUALITY_THRESHOLDS"))
    rows = []
    for model in MODEL_FILTERS:
        summary = quality_data.quality_summary(VIEWS["quality"], model, thresholds)
        for indicator in QUALITY_INDICATORS:
            status = str(summary.at[indicator, "status"])
            rows.append(
                {
                    "model_type": model,
                    "indicator": indicator,
                    "value": float(summary.at[indicator, "current"]),
                    "status": status,
                    "status_code": STATUS_RANK.get(status, -1),
                }
            )
    return pd.DataFrame(rows)


def drift_windows() -> tuple[Window, Window]:
    """The windows the drift figure compares: the Data Quality page's at VIEWS['drift'] with
    no dates chosen (the range, and the period of equal length before it)."""
    current = queries.window(VIEWS["drift"])
    return current, current.previous()


def _drift() -> pd.DataFrame:
    current, reference = drift_windows()
    rows = []
    for model in MODEL_FILTERS:
        dataset = quality_data.drift_report(model, current, reference).dataset
        if dataset is None:
            continue
        rows.append(
            {
                "model_type": model,
                "features": dataset["n_features"],
                "drifted": dataset["n_drifted"],
                "share": float(dataset["share"]),
            }
        )
    return pd.DataFrame(rows, columns=["model_type", "features", "drifted", "share"])


def _sessions() -> tuple[pd.DataFrame, pd.DataFrame]:
    # One query per range for every model type: each model type's rows are those the page
    # reads with that model type chosen.
    recent = queries.sessions_in_range(VIEWS["training"], ALL_MODELS)
    every = queries.sessions_in_range("all", ALL_MODELS)
    active = queries.active_sessions(ALL_MODELS)
    rows = []
    for model in MODEL_FILTERS:
        chosen = {
            name: frame if model == ALL_MODELS else frame[frame["model_type"] == model]
            for name, frame in (("recent", recent), ("every", every), ("active", active))
        }
        rows.append(
            {
                "model_type": model,
                "active": len(chosen["active"]),
                "failed": int((chosen["recent"]["status"] == "failed").sum()),
                "last_started_at": chosen["every"]["started_at"].max()
                if len(chosen["every"])
                else pd.NaT,
            }
        )
    gpu = [_recent_gpu_util(str(session_id)) for session_id in active["session_id"]]
    running = pd.DataFrame(
        {
            "session_id": active["session_id"].astype(str),
            "model_type": active["model_type"].astype(str),
            "model_version": active["model_version"].astype(str),
            "last_point_at": active["last_point_at"],
            "gpu_util": pd.Series(gpu, index=active.index, dtype="float64"),
        }
    )
    return pd.DataFrame(rows), running.reset_index(drop=True)


def _recent_gpu_util(session_id: str) -> float:
    """Mean utilisation of a session's GPUs over its last GPU_WINDOW (the rows of its GPU
    chart on the Training page's drill-down)."""
    try:
        usage = queries.session_resources(session_id)
    except MissingTable:
        return float("nan")
    recent = usage[usage["timestamp"] > queries.as_of() - GPU_WINDOW]
    return float(recent["gpu_util"].mean()) if len(recent) else float("nan")


def _experiments() -> pd.DataFrame:
    listed = experiments.experiment_list()
    running = listed[listed["ended_at"].isna()]
    margin = float(current_app.config["AB_GUARDRAIL_MARGIN"])
    rows = []
    for experiment_id in running["experiment_id"].astype(str):
        chosen = experiments.experiment_comparison(experiment_id)
        model = _experiment_model(running, experiment_id)
        arms = experiments.arm_summary(chosen, model)
        srm, _alerts = experiment_checks.sample_ratio(chosen)
        row = {
            "experiment_id": experiment_id,
            "model_type": model,
            "control_version": chosen.control,
            "treatment_version": chosen.treatment,
            "guardrail": experiment_checks.guardrail(chosen, model, margin)["status"],
            "srm": None if srm is None else bool(srm["mismatch"]),
        }
        for arm in experiments.ARMS:
            alerts = int(arms.at[arm, "alerts"])
            row[f"{arm}_alerts"] = alerts
            for metric in ("accuracy", "automation_rate"):
                row[f"{arm}_{metric}"] = arms.at[arm, metric] / alerts if alerts else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def _experiment_model(running: pd.DataFrame, experiment_id: str) -> str:
    model = running.loc[running["experiment_id"] == experiment_id, "model_type"].iloc[0]
    return ALL_MODELS if pd.isna(model) else str(model)


def _part(build, empty: pd.DataFrame | tuple) -> object:
    try:
        return build()
    except MissingTable:
        return empty


def compute_health() -> ModelHealth:
    """Every figure of the generation in force (uncached; `model_health` keeps it)."""
    manifest = queries.generation()
    generation_key = manifest.content_key
    soc, versions = _part(_soc, (pd.DataFrame(), pd.DataFrame()))
    sessions, active = _part(_sessions, (pd.DataFrame(), pd.DataFrame()))
    return ModelHealth(
        generation_key=generation_key,
        generation=manifest.generation,
        as_of=queries.as_of(),
        soc=soc,
        versions=versions,
        quality=_part(_quality, pd.DataFrame()),
        drift=_part(_drift, pd.DataFrame()),
        sessions=sessions,
        active=active,
        experiments=_part(_experiments, pd.DataFrame()),
    )


class _Kept:
    """An app's figures, and at most one computation of newer ones running at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.health: ModelHealth | None = None
        self.computing: str | None = None  # the generation key being computed
        self.finished = 0.0  # time.monotonic() when the last computation ended
        self.took = 0.0  # how long it took

    def refresh(self, app: Flask, generation_key: str) -> None:
        """Compute the figures of `generation_key` in a thread, unless that is under way; at
        most one in BUSY_SHARE of the time: a computation that takes 20 s (scale 100) waits
        until 80 s after the last, so the figures never keep a worker busy."""
        with self.lock:
            if self.computing is not None:
                return
            self.computing = generation_key
        delay = max(0.0, self.finished + self.took * (1 / BUSY_SHARE - 1) - time.monotonic())
        threading.Thread(
            target=self._compute, args=(app, delay), name=THREAD_NAME, daemon=True
        ).start()

    def _compute(self, app: Flask, delay: float) -> None:
        time.sleep(delay)
        started = time.monotonic()
        try:
            with app.app_context():
                health = compute_health()
            self.health = health
        except Exception:  # the last figures stay; the next request tries again
            log.exception("computing the models' health figures failed")
        finally:
            self.finished = time.monotonic()
            self.took = self.finished - started
            self.computing = None


def model_health(wait: bool = False) -> ModelHealth:
    """The figures of the generation in force, computed once per generation and app.

    They are computed in a background thread while requests get the last ones (a scrape or
    the navbar never waits the seconds they take; `ModelHealth.generation` says which
    generation they describe). Before a worker's first figures, MissingTable says they are
    being computed, unless `wait` (tests, and gunicorn's master before it forks, whose
    figures every worker then starts with). MissingTable (the data is being read) before the
    first generation, too."""
    kept: _Kept = current_app.extensions.setdefault(EXTENSION, _Kept())
    generation_key = queries.key()
    health = kept.health
    if health is not None and health.generation_key == generation_key:
        return health
    if health is None and wait:
        with kept.lock:  # computed once, however many callers wait for them
            if kept.health is None:
                kept.health = compute_health()
            return kept.health
    kept.refresh(current_app._get_current_object(), generation_key)
    if health is None:
        raise MissingTable("models' health", PENDING_HINT)
    return health
