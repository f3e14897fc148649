"""The settings of the real sources: MLflow's UI link, registry statuses, Prometheus names."""

from __future__ import annotations

import pytest

from dashboard.components.session_title import mlflow_run_url
from dashboard.config import settings_from_env
from dashboard.data.sources import source_from_config

RUN_ID = "3f9c2b7e1d4a4f0b9c8e7d6a5b4c3d2e"


def test_the_mlflow_ui_is_the_tracking_server_unless_set():
    server = settings_from_env({"DASHBOARD_DATA_SOURCE": "mlflow:https://mlflow.soc:5000;/srv/x"})
    assert server["MLFLOW_UI_URL"] == "https://mlflow.soc:5000"
    local = settings_from_env({"DASHBOARD_DATA_SOURCE": "mlflow:sqlite:////srv/mlflow.db"})
    assert local["MLFLOW_UI_URL"] == ""  # a database file has no UI to link to
    chosen = settings_from_env(
        {
            "DASHBOARD_DATA_SOURCE": "mlflow:sqlite:////srv/mlflow.db",
            "DASHBOARD_MLFLOW_UI_URL": "http://mlflow-ui:5000",
        }
    )
    assert chosen["MLFLOW_UI_URL"] == "http://mlflow-ui:5000"


def test_only_mlflow_run_ids_get_a_link():
    assert mlflow_run_url("http://mlflow:5000/", RUN_ID) == f"http://mlflow:5000/#/runs/{RUN_ID}"
    assert mlflow_run_url("http://mlflow:5000", "threat_detection/run-07") is None
    assert mlflow_run_url("", RUN_ID) is None


def test_prometheus_settings_reach_the_source():
    settings = settings_from_env(
        {
            "DASHBOARD_PROMETHEUS_METRICS": '{"gpu_util": "nvidia_gpu_utilization"}',
            "DASHBOARD_PROMETHEUS_LABELS": '{"host": "instance"}',
            "DASHBOARD_PROMETHEUS_LOOKBACK_DAYS": "7",
            "DASHBOARD_PROMETHEUS_STEP_SECONDS": "30",
        }
    )
    source = source_from_config("prometheus:http://prometheus:9090/", settings)
    assert source.url == "http://prometheus:9090"
    assert source.metrics["gpu_util"] == "nvidia_gpu_utilization"
    assert source.metrics["mem_used"] == "DCGM_FI_DEV_FB_USED"
    assert source.labels == {"host": "instance", "gpu": "gpu", "uuid": "UUID"}
    assert (source.lookback.days, source.min_step_seconds) == (7, 30)


def test_bad_settings_are_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="DASHBOARD_PROMETHEUS_STEP_SECONDS"):
        settings_from_env({"DASHBOARD_PROMETHEUS_STEP_SECONDS": "0"})
    with pytest.raises(ValueError, match="DASHBOARD_MLFLOW_VERSION_STATUS must be a JSON object"):
        settings_from_env({"DASHBOARD_MLFLOW_VERSION_STATUS": "[1]"})
