"""dashboard.conditions: which alerting conditions hold in a set of health figures, at the
rules' thresholds, and where each one links."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.conditions import ALERTS, MIN_ALERTS_PER_HOUR, conditions_of, page_link
from dashboard.data.health import ModelHealth

CHECKED = pd.Timestamp("2026-12-03 12:00", tz="UTC")


def health(**frames: pd.DataFrame) -> ModelHealth:
    """Healthy figures, with `frames` replacing some of them."""
    healthy = {
        "soc": pd.DataFrame(
            {
                "model_type": ["all", "threat_detection"],
                "period": ["1h", "1h"],
                "alerts": [120, 40],
                "automation_rate": [0.5, 0.5],
                "false_positive_rate": [0.7, 0.7],
                "response_min": [8.0, 8.0],
            }
        ),
        "versions": pd.DataFrame(),
        "quality": pd.DataFrame(
            {
                "model_type": ["all", "threat_detection"],
                "indicator": ["completeness", "completeness"],
                "value": [0.9, 0.9],
                "status": ["ok", "ok"],
                "status_code": [0, 0],
            }
        ),
        "drift": pd.DataFrame(
            {"model_type": ["all"], "features": [6], "drifted": [1], "share": [1 / 6]}
        ),
        "sessions": pd.DataFrame(
            {
                "model_type": ["all", "threat_detection"],
                "active": [1, 1],
                "failed": [0, 0],
                "last_started_at": [CHECKED - pd.Timedelta(hours=1)] * 2,
            }
        ),
        "active": pd.DataFrame(
            {
                "session_id": ["TS-1"],
                "model_type": ["threat_detection"],
                "model_version": ["v5.2.1"],
                "last_point_at": [CHECKED - pd.Timedelta(minutes=1)],
                "gpu_util": [0.85],
            }
        ),
        "experiments": pd.DataFrame(
            {
                "experiment_id": ["EXP-1"],
                "model_type": ["all"],
                "control_version": ["v5.2.1"],
                "treatment_version": ["v5.3.0"],
                "guardrail": ["non_inferior"],
                "srm": [False],
                "control_alerts": [2000],
                "control_accuracy": [0.90],
                "control_automation_rate": [0.44],
                "treatment_alerts": [500],
                "treatment_accuracy": [0.91],
                "treatment_automation_rate": [0.45],
            }
        ),
    }
    healthy.update(frames)
    return ModelHealth("key", 1, CHECKED, **healthy)


def names(found) -> list[str]:
    return [condition.alert for condition in found]


def test_healthy_figures_hold_no_condition():
    assert conditions_of(health(), CHECKED, 10.0) == []


def test_a_false_positive_spike_needs_enough_alerts_in_the_hour():
    base = health().soc
    spiked = base.assign(false_positive_rate=[0.95, 0.95])
    found = conditions_of(health(soc=spiked), CHECKED, 10.0)
    # One per model type: All Models is not a model type of its own.
    assert names(found) == ["SocFalsePositiveRateHigh"]
    assert found[0].model == "threat_detection"
    assert found[0].href == "/?range=24h&model=threat_detection"
    quiet = spiked.assign(alerts=[120, MIN_ALERTS_PER_HOUR - 1])
    assert conditions_of(health(soc=quiet), CHECKED, 10.0) == []
    at_threshold = base.assign(false_positive_rate=[0.9, 0.9])
    assert conditions_of(health(soc=at_threshold), CHECKED, 10.0) == []


def test_a_new_version_below_the_stable_one_and_its_checks():
    worse = health().experiments.assign(
        treatment_accuracy=[0.87],
        treatment_automation_rate=[0.40],
        guardrail=["inferior"],
        srm=[True],
    )
    found = conditions_of(health(experiments=worse), CHECKED, 10.0)
    assert names(found) == [
        "NewVersionAccuracyDrop",
        "NewVersionAutomationDrop",
        "ExperimentGuardrailFailing",
        "ExperimentSampleRatioMismatch",
    ]
    assert {condition.href for condition in found} == {"/ab-testing?model=all"}
    assert "v5.3.0 accuracy 87.0% vs v5.2.1 90.0%" in found[0].summary
    within = health().experiments.assign(treatment_accuracy=[0.885], guardrail=["inconclusive"])
    assert conditions_of(health(experiments=within), CHECKED, 10.0) == []


def test_failed_stale_and_idle_training():
    sessions = health().sessions.assign(
        failed=[2, 2], last_started_at=[CHECKED - pd.Timedelta(hours=7)] * 2
    )
    active = health().active.assign(
        last_point_at=[CHECKED - pd.Timedelta(minutes=20)], gpu_util=[0.02]
    )
    found = conditions_of(health(sessions=sessions, active=active), CHECKED, 10.0)
    assert names(found) == [
        "TrainingSessionFailed",
        "NoTrainingStarted",
        "TrainingStale",
        "TrainingGpuIdle",
    ]
    hrefs = {condition.alert: condition.href for condition in found}
    assert hrefs["TrainingStale"] == "/training?range=24h&model=threat_detection"
    assert hrefs["TrainingGpuIdle"] == "/resources?range=24h&model=threat_detection"
    assert hrefs["NoTrainingStarted"] == "/training?range=7d&model=all"
    assert "2 failed sessions" in found[0].summary
    assert "no metric for 20 min" in found[2].summary


def test_failing_quality_and_drift():
    quality = health().quality.assign(status=["failing", "failing"], status_code=[2, 2])
    drift = health().drift.assign(drifted=[3], share=[0.5])
    found = conditions_of(health(quality=quality, drift=drift), CHECKED, 10.0)
    assert names(found) == ["DataQualityIndicatorFailing", "FeatureDrift"]
    assert found[0].href == "/data-quality?range=24h&model=threat_detection"
    assert found[1].href == "/data-quality?range=7d&model=all"
    warning = health().quality.assign(status=["warning", "warning"], status_code=[1, 1])
    assert conditions_of(health(quality=warning), CHECKED, 10.0) == []


def test_stale_dashboard_data():
    threshold = ALERTS["DashboardDataStale"].threshold
    assert names(conditions_of(health(), CHECKED, threshold + 1)) == ["DashboardDataStale"]
    assert conditions_of(health(), CHECKED, threshold) == []
    assert conditions_of(health(), CHECKED, None) == []


def test_missing_figures_hold_nothing():
    empty = {
        name: pd.DataFrame()
        for name in ("soc", "quality", "drift", "sessions", "active", "experiments")
    }
    assert conditions_of(health(**empty), None, None) == []


@pytest.mark.parametrize("alert", list(ALERTS))
def test_every_alert_links_to_a_page_of_the_dashboard(alert):
    link = page_link(alert, "threat_detection")
    assert link.split("?")[0] in {"/", "/training", "/ab-testing", "/data-quality", "/resources"}
    assert "model=threat_detection" in link
