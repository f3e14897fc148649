"""simulator.incidents: an incident is a pure function of its setting and each row's time."""

from __future__ import annotations

import pandas as pd
import pytest

import simulator
from dashboard.config import settings_from_env
from dashboard.data.sources import SimulatorSource
from simulator.incidents import (
    FP_SPIKE_RATE,
    GPU_IDLE_UTIL,
    apply_incidents,
    incidents_setting,
    parse_incident,
    parse_incidents,
)

DAY = pd.Timestamp("2026-11-26", tz="UTC")
START = pd.Timestamp("2026-11-26 06:00", tz="UTC")


def day_rows(now: pd.Timestamp | None = None) -> dict[str, pd.DataFrame]:
    return simulator.day_rows(20261126, 1, DAY, now)


def test_settings_name_an_incident_and_refuse_a_wrong_one():
    incident = parse_incident("fp-spike:threat_detection@2026-11-26T06:00:00Z")
    assert (incident.kind, incident.model_type, incident.start) == (
        "fp-spike",
        "threat_detection",
        START,
    )
    assert parse_incident(incident.setting) == incident
    assert parse_incident("gpu-idle:response_automation").start is None
    assert parse_incident("  ") is None
    for bad, says in (
        ("fp-storm:threat_detection", "unknown incident"),
        ("fp-spike:everything", "unknown model type"),
        ("fp-spike:threat_detection@yesterday", "not an ISO-8601 time"),
    ):
        with pytest.raises(ValueError, match=says):
            parse_incident(bad)
    with pytest.raises(ValueError, match="DASHBOARD_SIM_INCIDENT"):
        settings_from_env({"DASHBOARD_SIM_INCIDENT": "fp-spike:everything"})
    setting = settings_from_env(
        {"DASHBOARD_SIM_INCIDENT": "fp-spike:threat_detection@2026-11-26T06:00Z"}
    )
    assert setting["SIM_INCIDENT"] == incident.setting
    assert settings_from_env({})["SIM_INCIDENT"] is None


def test_a_false_positive_spike_hits_one_model_type_from_its_start():
    incident = parse_incident(f"fp-spike:threat_detection@{START.isoformat()}")
    plain = day_rows()["alerts"]
    spiked = apply_incidents((incident,), day_rows())["alerts"]
    hit = (plain["model_type"] == "threat_detection") & (plain["timestamp"] >= START)
    pd.testing.assert_frame_equal(spiked[~hit], plain[~hit])
    assert spiked.loc[hit, "false_positive"].mean() == pytest.approx(FP_SPIKE_RATE, abs=0.02)
    assert plain.loc[hit, "false_positive"].mean() < 0.85


def test_idle_gpus_while_one_model_types_sessions_run():
    incident = parse_incident("gpu-idle:threat_detection")
    rows = day_rows()
    idle = apply_incidents((incident,), rows)["resource_usage"]
    sessions = rows["training_sessions"]
    chosen = sessions.loc[sessions["model_type"] == "threat_detection", "session_id"]
    hit = rows["resource_usage"]["session_id"].isin(chosen).fillna(False).astype(bool)
    assert hit.any()
    assert (idle.loc[hit, "gpu_util"] == GPU_IDLE_UTIL).all()
    pd.testing.assert_frame_equal(idle[~hit], rows["resource_usage"][~hit])


def test_the_past_never_changes_with_an_incident():
    incident = parse_incident(f"fp-spike:threat_detection@{START.isoformat()}")
    early, late = DAY + pd.Timedelta(hours=12), DAY + pd.Timedelta(days=2)
    at_noon = apply_incidents((incident,), day_rows(early))["alerts"]
    settled = apply_incidents((incident,), day_rows(late))["alerts"]
    answered = at_noon["response_time_min"].notna()
    columns = ["alert_id", "timestamp", "model_type", "false_positive"]
    pd.testing.assert_frame_equal(
        at_noon.loc[answered, columns].reset_index(drop=True),
        settled.set_index("alert_id").loc[at_noon.loc[answered, "alert_id"]].reset_index()[columns],
    )


def test_the_simulator_source_injects_it_into_its_own_store():
    incident = parse_incident(f"fp-spike:threat_detection@{START.isoformat()}")
    source = SimulatorSource(20261126, 1, (incident,))
    assert incident.setting in source.name
    assert source.name != SimulatorSource(20261126, 1).name
    alerts = source.read(DAY + pd.Timedelta(hours=13)).tables["alerts"]
    hit = (alerts["model_type"] == "threat_detection") & (alerts["timestamp"] >= START)
    assert alerts.loc[hit, "false_positive"].mean() > 0.9


def test_several_incidents_at_once_and_every_model_type():
    both = parse_incidents("fp-spike:threat_detection@2026-11-26T06:00Z, gpu-idle:all")
    assert [incident.kind for incident in both] == ["fp-spike", "gpu-idle"]
    assert parse_incidents(incidents_setting(both)) == both
    assert parse_incidents("") == ()
    rows = apply_incidents(both, day_rows())
    busy = rows["resource_usage"]["session_id"].notna()
    assert (rows["resource_usage"].loc[busy, "gpu_util"] == GPU_IDLE_UTIL).all()
    alerts = rows["alerts"]
    spiked = (alerts["model_type"] == "threat_detection") & (alerts["timestamp"] >= START)
    assert alerts.loc[spiked, "false_positive"].mean() > 0.9
