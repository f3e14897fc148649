"""The alerting conditions: their thresholds, and which of them hold in a set of health figures.

One place for both sides: `deploy/prometheus/rules.yml` alerts on `/metrics` with these
thresholds (tests/unit/test_alert_rules.py checks that every rule's name, threshold, severity
and page match `ALERTS`), and the navbar's badge lists the conditions that `conditions_of`
finds in the same figures (dashboard.data.health) the metrics export. The badge has no `for:`
delay: it says what holds right now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pandas as pd

from dashboard.analysis.ab import INCONCLUSIVE, INFERIOR, NON_INFERIOR
from dashboard.analysis.drift import DATASET_DRIFT_SHARE
from dashboard.analysis.quality import FAILING, STATUS_RANK
from dashboard.domain import ALL_MODELS, model_label

if TYPE_CHECKING:
    from dashboard.data.health import ModelHealth

CRITICAL, WARNING, INFO = "critical", "warning", "info"
# An experiment's false-positive guardrail as a number (dashboard_experiment_guardrail_state).
GUARDRAIL_STATES = {NON_INFERIOR: 0, INCONCLUSIVE: 1, INFERIOR: 2}
# The time range of the page each figure is computed at (dashboard.data.health) and linked to.
VIEWS = {"soc": "24h", "training": "24h", "quality": "24h", "drift": "7d"}


@dataclass(frozen=True)
class Alert:
    """One alerting rule: its threshold, severity and the page (and time range) showing it."""

    severity: str
    threshold: float
    page: str
    range_key: str | None = None


ALERTS: dict[str, Alert] = {
    # Over the last hour, with at least MIN_ALERTS_PER_HOUR alerts (fewer say little).
    "SocFalsePositiveRateHigh": Alert(WARNING, 0.9, "/", VIEWS["soc"]),
    # A running experiment's treatment below its control (the stable version) by this much.
    "NewVersionAccuracyDrop": Alert(WARNING, 0.02, "/ab-testing"),
    "NewVersionAutomationDrop": Alert(WARNING, 0.02, "/ab-testing"),
    "ExperimentGuardrailFailing": Alert(WARNING, GUARDRAIL_STATES[INFERIOR], "/ab-testing"),
    "ExperimentSampleRatioMismatch": Alert(WARNING, 1, "/ab-testing"),
    # Failed sessions started in the last 24 hours.
    "TrainingSessionFailed": Alert(WARNING, 0, "/training", VIEWS["training"]),
    # Seconds an active session has logged no metric point.
    "TrainingStale": Alert(WARNING, 900, "/training", VIEWS["training"]),
    # Seconds since any session started.
    "NoTrainingStarted": Alert(INFO, 6 * 3600, "/training", "7d"),
    # Mean GPU utilisation of an active session over its last 15 minutes.
    "TrainingGpuIdle": Alert(WARNING, 0.1, "/resources", VIEWS["training"]),
    "DataQualityIndicatorFailing": Alert(
        CRITICAL, STATUS_RANK[FAILING], "/data-quality", VIEWS["quality"]
    ),
    # Share of features drifted, the page's dataset-drift rule.
    "FeatureDrift": Alert(WARNING, DATASET_DRIFT_SHARE, "/data-quality", VIEWS["drift"]),
    # Seconds since the ingest last read the source.
    "DashboardDataStale": Alert(CRITICAL, 300, "/"),
}
MIN_ALERTS_PER_HOUR = 20


@dataclass(frozen=True)
class Condition:
    """An alerting condition that holds: which alert, about what, and where to look."""

    alert: str
    summary: str
    model: str = ALL_MODELS

    @property
    def severity(self) -> str:
        return ALERTS[self.alert].severity

    @property
    def href(self) -> str:
        return page_link(self.alert, self.model)


def page_link(alert: str, model: str = ALL_MODELS) -> str:
    """The page (path and filters) that shows what `alert` is about."""
    spec = ALERTS[alert]
    query = (
        {"model": model} if spec.range_key is None else {"range": spec.range_key, "model": model}
    )
    return f"{spec.page}?{urlencode(query)}"


def _per_model(frame: pd.DataFrame, model_types: bool = True) -> pd.DataFrame:
    """Rows of one model type each (model_types) or of All Models only."""
    if frame.empty:
        return frame
    chosen = frame["model_type"] != ALL_MODELS
    return frame[chosen if model_types else ~chosen]


def _soc(health: ModelHealth) -> list[Condition]:
    if health.soc.empty:
        return []
    hour = _per_model(health.soc)
    hour = hour[hour["period"] == "1h"]
    high = hour[
        (hour["false_positive_rate"] > ALERTS["SocFalsePositiveRateHigh"].threshold)
        & (hour["alerts"] >= MIN_ALERTS_PER_HOUR)
    ]
    return [
        Condition(
            "SocFalsePositiveRateHigh",
            f"{model_label(row.model_type)}: {row.false_positive_rate:.0%} false positives "
            "in the last hour",
            row.model_type,
        )
        for row in high.itertuples()
    ]


def _experiments(health: ModelHealth) -> list[Condition]:
    found = []
    for row in health.experiments.itertuples():
        model = row.model_type
        for alert, metric, name in (
            ("NewVersionAccuracyDrop", "accuracy", "accuracy"),
            ("NewVersionAutomationDrop", "automation_rate", "automation"),
        ):
            control, treatment = (
                getattr(row, f"control_{metric}"),
                getattr(row, f"treatment_{metric}"),
            )
            if treatment < control - ALERTS[alert].threshold:
                found.append(
                    Condition(
                        alert,
                        f"{row.experiment_id}: {row.treatment_version} {name} {treatment:.1%} "
                        f"vs {row.control_version} {control:.1%}",
                        model,
                    )
                )
        if GUARDRAIL_STATES.get(row.guardrail) == ALERTS["ExperimentGuardrailFailing"].threshold:
            found.append(
                Condition(
                    "ExperimentGuardrailFailing",
                    f"{row.experiment_id}: {row.treatment_version} fails the false-positive "
                    "guardrail",
                    model,
                )
            )
        if row.srm is True:
            found.append(
                Condition(
                    "ExperimentSampleRatioMismatch",
                    f"{row.experiment_id}: sample ratio mismatch",
                    model,
                )
            )
    return found


def _training(health: ModelHealth, checked_at: pd.Timestamp) -> list[Condition]:
    found = []
    if not health.sessions.empty:
        for row in _per_model(health.sessions).itertuples():
            if row.failed > ALERTS["TrainingSessionFailed"].threshold:
                found.append(
                    Condition(
                        "TrainingSessionFailed",
                        f"{model_label(row.model_type)}: {row.failed} failed session"
                        f"{'' if row.failed == 1 else 's'} in the last 24 hours",
                        row.model_type,
                    )
                )
        overall = _per_model(health.sessions, model_types=False)
        for row in overall.itertuples():
            age = seconds_between(row.last_started_at, checked_at)
            if age is not None and age > ALERTS["NoTrainingStarted"].threshold:
                found.append(
                    Condition("NoTrainingStarted", f"No session started for {age / 3600:.0f} h")
                )
    for row in health.active.itertuples():
        age = seconds_between(row.last_point_at, checked_at)
        if age is not None and age > ALERTS["TrainingStale"].threshold:
            found.append(
                Condition(
                    "TrainingStale",
                    f"{row.session_id}: no metric for {age / 60:.0f} min",
                    row.model_type,
                )
            )
        if pd.notna(row.gpu_util) and row.gpu_util < ALERTS["TrainingGpuIdle"].threshold:
            found.append(
                Condition(
                    "TrainingGpuIdle",
                    f"{row.session_id}: GPUs at {row.gpu_util:.0%} while training",
                    row.model_type,
                )
            )
    return found


def _quality(health: ModelHealth) -> list[Condition]:
    found = []
    if not health.quality.empty:
        failing = _per_model(health.quality)
        failing = failing[failing["status_code"] >= ALERTS["DataQualityIndicatorFailing"].threshold]
        found += [
            Condition(
                "DataQualityIndicatorFailing",
                f"{model_label(row.model_type)}: {row.indicator.replace('_', ' ')} failing",
                row.model_type,
            )
            for row in failing.itertuples()
        ]
    if not health.drift.empty:
        drifted = health.drift[health.drift["share"] >= ALERTS["FeatureDrift"].threshold]
        found += [
            Condition(
                "FeatureDrift",
                f"{model_label(row.model_type)}: {row.drifted} of {row.features} features drifted",
                row.model_type,
            )
            for row in drifted.itertuples()
        ]
    return found


def seconds_between(earlier: object, later: pd.Timestamp | None) -> float | None:
    """Seconds from `earlier` to `later`; None when either is missing."""
    if later is None or earlier is None or pd.isna(earlier):
        return None
    return (pd.Timestamp(later) - pd.Timestamp(earlier)).total_seconds()


def conditions_of(
    health: ModelHealth, checked_at: pd.Timestamp | None, data_age_seconds: float | None
) -> list[Condition]:
    """The conditions that hold in `health`, the ingest having last read the source at
    `checked_at` (session ages are measured to it), `data_age_seconds` ago."""
    found = _soc(health) + _experiments(health) + _training(health, checked_at) + _quality(health)
    if data_age_seconds is not None and data_age_seconds > ALERTS["DashboardDataStale"].threshold:
        found.append(
            Condition("DashboardDataStale", f"Data last read {data_age_seconds / 60:.0f} min ago")
        )
    return found
