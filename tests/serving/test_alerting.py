"""End to end: a real Prometheus scrapes the dashboard (gunicorn, the ingest process, the
simulator told to degrade) with the shipped rules, and the matching alerts fire."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from dashboard.conditions import page_link
from tests.prometheus_server import PrometheusServer
from tests.serving.harness import Gunicorn, wait_for

pytestmark = pytest.mark.serving

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yml"
FIRING_TIMEOUT = 120
SPIKED = "threat_detection"
CLOCK = pd.Timestamp("2026-11-26T13:30", tz="UTC")


def rules_without_delays() -> str:
    """The shipped rules with every `for:` at 0s: a test cannot wait out 15 minutes."""
    groups = yaml.safe_load(RULES.read_text())
    for group in groups["groups"]:
        for rule in group["rules"]:
            rule["for"] = "0s"
    return yaml.safe_dump(groups, sort_keys=False)


def scrape_config(target: str) -> str:
    return yaml.safe_dump(
        {
            "global": {
                "scrape_interval": "5s",
                "scrape_timeout": "5s",
                "evaluation_interval": "1s",
            },
            "rule_files": ["rules.yml"],
            "scrape_configs": [
                {"job_name": "ai-training-dashboard", "static_configs": [{"targets": [target]}]}
            ],
        }
    )


def firing(prometheus: PrometheusServer, alert: str) -> list[dict]:
    return [
        found
        for found in prometheus.alerts()
        if found["labels"]["alertname"] == alert and found["state"] == "firing"
    ]


def test_a_false_positive_spike_and_idle_gpus_fire_their_alerts_in_prometheus(tmp_path):
    # The simulated clock starts at a fixed moment, so that the hour before "now" is the same in
    # every run: on the wall clock, some hours hold a model type whose own false-positive rate
    # passes 0.9 with 20 alerts, and its alert fires beside the spiked one.
    start = CLOCK - pd.Timedelta(hours=3)
    # GPU 0 always runs a session: with every model type's GPUs idle, one is idle now.
    incident = f"fp-spike:{SPIKED}@{start.isoformat()},gpu-idle:all@{start.isoformat()}"
    clock = CLOCK.isoformat()
    with Gunicorn(
        tmp_path, DASHBOARD_SIM_INCIDENT=incident, DASHBOARD_SIM_CLOCK_START=clock
    ) as server:
        # The first scrape of each worker computes the figures; later ones read them.
        for _ in range(4):
            assert requests.get(f"{server.url}/metrics", timeout=30).status_code == 200
        metrics = server.metrics()
        spiked = metrics[
            ("dashboard_soc_false_positive_ratio", (("model_type", SPIKED), ("window", "1h")))
        ]
        assert spiked > 0.9
        directory = tmp_path / "prometheus"
        directory.mkdir()
        target = f"127.0.0.1:{server.port}"
        config = scrape_config(target)
        with PrometheusServer(directory, config, {"rules.yml": rules_without_delays()}) as prom:
            alerts = wait_for(
                lambda: firing(prom, "SocFalsePositiveRateHigh"),
                FIRING_TIMEOUT,
                lambda: f"no firing alert: {prom.alerts()}\n{prom.targets()}\n{prom.logs()}",
                interval=1.0,
            )
            idle = wait_for(
                lambda: firing(prom, "TrainingGpuIdle"),
                FIRING_TIMEOUT,
                lambda: f"no idle GPU alert: {prom.alerts()}",
                interval=1.0,
            )
            scraped = prom.query('dashboard_soc_false_positive_ratio{window="1h"}')
            sessions = prom.query("dashboard_training_gpu_utilization_ratio")
        runbook = alerts[0]["annotations"]["runbook_url"]
        page = requests.get(runbook, timeout=30)
    assert [alert["labels"]["model_type"] for alert in alerts] == [SPIKED]
    assert alerts[0]["labels"]["severity"] == "warning"
    assert runbook == f"http://{target}" + page_link("SocFalsePositiveRateHigh", SPIKED)
    assert page.status_code == 200
    others = [
        float(sample["value"][1])
        for sample in scraped
        if sample["metric"]["model_type"] not in (SPIKED, "all")
    ]
    assert len(others) == 3
    assert max(others) < 0.9
    # Every active session's GPUs idle, each its own alert linking to its model's Resources.
    assert {alert["labels"]["session_id"] for alert in idle} == {
        sample["metric"]["session_id"] for sample in sessions
    }
    for alert in idle:
        model = alert["labels"]["model_type"]
        assert alert["annotations"]["runbook_url"] == f"http://{target}" + page_link(
            "TrainingGpuIdle", model
        )
