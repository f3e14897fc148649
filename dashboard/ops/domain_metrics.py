"""The models' health as Prometheus gauges on `/metrics` (dashboard.data.health's figures).

Names carry their unit (`_ratio` for fractions 0..1, `_seconds`), none ends in `_total` (each
is a level now, not a count since start), and every label set is bounded: five model filters
(`all` and the four model types), two windows, the eight indicators, the versions that handled
alerts in the window, and only the sessions and experiments running now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd
from prometheus_client.core import GaugeMetricFamily, Metric

from dashboard.conditions import GUARDRAIL_STATES, seconds_between
from dashboard.data.health import ModelHealth, model_health
from dashboard.data.sources import MissingTable

log = logging.getLogger(__name__)

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_DAY = 86_400.0
FRESHNESS = "freshness_days"


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _add(family: GaugeMetricFamily, labels: list[str], value: object) -> None:
    """Add a sample unless its value is missing (Prometheus would read NaN as a value)."""
    if value is None or pd.isna(value):
        return
    family.add_metric(labels, float(value))


def soc_metrics(health: ModelHealth) -> Iterator[Metric]:
    labels = ["model_type", "window"]
    alerts = _gauge("dashboard_soc_alerts", "Live SOC alerts in the window", labels)
    automation = _gauge(
        "dashboard_soc_automation_ratio", "Share of the window's alerts automated", labels
    )
    false_positive = _gauge(
        "dashboard_soc_false_positive_ratio",
        "Share of the window's alerts that were false positives",
        labels,
    )
    response = _gauge(
        "dashboard_soc_response_time_seconds",
        "Mean response time of the window's alerts (open alerts counted as still waiting)",
        labels,
    )
    for row in health.soc.itertuples():
        key = [row.model_type, row.period]
        _add(alerts, key, row.alerts)
        _add(automation, key, row.automation_rate)
        _add(false_positive, key, row.false_positive_rate)
        _add(response, key, row.response_min * SECONDS_PER_MINUTE)
    yield from (alerts, automation, false_positive, response)
    version_labels = ["model_type", "model_version", "window"]
    version_alerts = _gauge(
        "dashboard_soc_version_alerts",
        "Live SOC alerts in the window, per model version",
        version_labels,
    )
    version_automation = _gauge(
        "dashboard_soc_version_automation_ratio",
        "Share of the window's alerts automated, per model version",
        version_labels,
    )
    version_false_positive = _gauge(
        "dashboard_soc_version_false_positive_ratio",
        "Share of the window's alerts that were false positives, per model version",
        version_labels,
    )
    version_response = _gauge(
        "dashboard_soc_version_response_time_seconds",
        "Mean response time of the window's answered alerts, per model version",
        version_labels,
    )
    info = _gauge(
        "dashboard_model_version_info",
        "1 for each model version that handled live alerts in the last day, with its status",
        ["model_version", "status"],
    )
    listed = set()
    for row in health.versions.itertuples():
        key = [row.model_type, row.model_version, row.period]
        _add(version_alerts, key, row.alerts)
        _add(version_automation, key, row.automation_rate)
        _add(version_false_positive, key, row.false_positive_rate)
        _add(version_response, key, row.response_min * SECONDS_PER_MINUTE)
        if row.period == "1d" and isinstance(row.status, str) and row.model_version not in listed:
            listed.add(row.model_version)
            info.add_metric([row.model_version, row.status], 1.0)
    yield from (version_alerts, version_automation, version_false_positive, version_response, info)


def quality_metrics(health: ModelHealth) -> Iterator[Metric]:
    ratio = _gauge(
        "dashboard_data_quality_ratio",
        "Data-quality indicator (a fraction) on the latest day",
        ["model_type", "indicator"],
    )
    freshness = _gauge(
        "dashboard_data_quality_freshness_seconds",
        "Age of the training data on the latest day (the freshness indicator)",
        ["model_type"],
    )
    status = _gauge(
        "dashboard_data_quality_status",
        "Data-quality indicator's status against its thresholds: 0 ok, 1 warning, 2 failing",
        ["model_type", "indicator"],
    )
    for row in health.quality.itertuples():
        if row.indicator == FRESHNESS:
            _add(freshness, [row.model_type], row.value * SECONDS_PER_DAY)
        else:
            _add(ratio, [row.model_type, row.indicator], row.value)
        if row.status_code >= 0:
            status.add_metric([row.model_type, row.indicator], float(row.status_code))
    drift = _gauge(
        "dashboard_feature_drift_ratio",
        "Share of features drifted over the last 7 days against the 7 before",
        ["model_type"],
    )
    for row in health.drift.itertuples():
        _add(drift, [row.model_type], row.share)
    yield from (ratio, freshness, status, drift)


def training_metrics(health: ModelHealth, checked_at: pd.Timestamp | None) -> Iterator[Metric]:
    active = _gauge(
        "dashboard_training_sessions_active", "Training sessions running now", ["model_type"]
    )
    failed = _gauge(
        "dashboard_training_sessions_failed",
        "Training sessions started in the window that failed",
        ["model_type", "window"],
    )
    started = _gauge(
        "dashboard_training_last_session_start_age_seconds",
        "Seconds from the last session's start to the ingest's last read of the source",
        ["model_type"],
    )
    for row in health.sessions.itertuples():
        _add(active, [row.model_type], row.active)
        _add(failed, [row.model_type, "1d"], row.failed)
        _add(started, [row.model_type], seconds_between(row.last_started_at, checked_at))
    labels = ["model_type", "session_id"]
    last_point = _gauge(
        "dashboard_training_last_metric_age_seconds",
        "Seconds from an active session's newest metric point to the ingest's last read",
        labels,
    )
    gpu = _gauge(
        "dashboard_training_gpu_utilization_ratio",
        "Mean utilisation of an active session's GPUs over its last 15 minutes",
        labels,
    )
    for row in health.active.itertuples():
        key = [row.model_type, row.session_id]
        _add(last_point, key, seconds_between(row.last_point_at, checked_at))
        _add(gpu, key, row.gpu_util)
    yield from (active, failed, started, last_point, gpu)


def experiment_metrics(health: ModelHealth) -> Iterator[Metric]:
    guardrail = _gauge(
        "dashboard_experiment_guardrail_state",
        "A running experiment's false-positive guardrail: 0 holds, 1 inconclusive, 2 fails",
        ["experiment_id", "model_type"],
    )
    srm = _gauge(
        "dashboard_experiment_sample_ratio_mismatch",
        "1 when a running experiment's arm sizes contradict its planned split (p < 0.001)",
        ["experiment_id", "model_type"],
    )
    arm_labels = ["experiment_id", "model_type", "arm", "model_version"]
    alerts = _gauge(
        "dashboard_experiment_arm_alerts", "Pilot alerts in an experiment's arm", arm_labels
    )
    accuracy = _gauge(
        "dashboard_experiment_arm_accuracy_ratio",
        "Share of an arm's pilot alerts triaged correctly",
        arm_labels,
    )
    automation = _gauge(
        "dashboard_experiment_arm_automation_ratio",
        "Share of an arm's pilot alerts automated",
        arm_labels,
    )
    for row in health.experiments.itertuples():
        _add(guardrail, [row.experiment_id, row.model_type], GUARDRAIL_STATES.get(row.guardrail))
        if row.srm is not None:
            srm.add_metric([row.experiment_id, row.model_type], 1.0 if row.srm else 0.0)
        for arm, version in (
            ("control", row.control_version),
            ("treatment", row.treatment_version),
        ):
            key = [row.experiment_id, row.model_type, arm, version]
            _add(alerts, key, getattr(row, f"{arm}_alerts"))
            _add(accuracy, key, getattr(row, f"{arm}_accuracy"))
            _add(automation, key, getattr(row, f"{arm}_automation_rate"))
    yield from (guardrail, srm, alerts, accuracy, automation)


class ModelHealthCollector:
    """A one-scrape collector of the health figures (`health` None: none yet)."""

    def __init__(self, health: ModelHealth | None, checked_at: pd.Timestamp | None) -> None:
        self.health = health
        self.checked_at = checked_at

    def collect(self) -> Iterator[Metric]:
        available = _gauge(
            "dashboard_model_health_available",
            "1 when the models' health figures below are computed from the current data",
            [],
        )
        available.add_metric([], 0.0 if self.health is None else 1.0)
        yield available
        if self.health is None:
            return
        generation = _gauge(
            "dashboard_model_health_generation",
            "The data generation the figures below describe (dashboard_data_generation: the "
            "one served; one behind while the newest figures are computed)",
            [],
        )
        generation.add_metric([], float(self.health.generation))
        yield generation
        yield from soc_metrics(self.health)
        yield from quality_metrics(self.health)
        yield from training_metrics(self.health, self.checked_at)
        yield from experiment_metrics(self.health)


def health_collector(status: dict[str, object]) -> ModelHealthCollector:
    """The collector of this scrape: the kept figures, or none (logged) when they fail."""
    checked = status.get("checked_at")
    checked_at = None if checked is None else pd.Timestamp(checked)
    try:
        return ModelHealthCollector(model_health(), checked_at)
    except MissingTable:  # no data yet: /ready says so
        return ModelHealthCollector(None, checked_at)
    except Exception:  # the operational metrics must still be served
        log.exception("computing the models' health figures for /metrics failed")
        return ModelHealthCollector(None, checked_at)
