"""Incidents: the simulated models told to misbehave, to try alerting on them.

`DASHBOARD_SIM_INCIDENT` (or `python -m simulator export --incident`) names one, or several
joined by commas:

- `fp-spike:<model_type>[@<ISO-8601 start>]`: from `start` on, nearly every live alert of that
  model type (FP_SPIKE_RATE of them) is a false positive.
- `gpu-idle:<model_type>[@<ISO-8601 start>]`: from `start` on, the GPUs of that model type's
  training sessions sit idle (GPU_IDLE_UTIL) while the sessions run.

`<model_type>` is one of the four, or `all`. Without a start, the incident covers all of
history. An incident is a pure function of its
setting and of each row (its time, its model type or session): a row looks the same whatever
`now` is and whichever other rows are generated, so the simulator's past still never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.schema import MODEL_TYPES

FP_SPIKE, GPU_IDLE = "fp-spike", "gpu-idle"
EVERY_MODEL = "all"
SEPARATOR = ","
KINDS: tuple[str, ...] = (FP_SPIKE, GPU_IDLE)
FP_SPIKE_RATE = 0.97
GPU_IDLE_UTIL = 0.02
# Odd 64-bit constant (the golden ratio's): a row's time times it is a well-spread draw.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Incident:
    kind: str
    model_type: str
    start: pd.Timestamp | None = None

    @property
    def setting(self) -> str:
        """The setting that names this incident (what `parse_incident` reads)."""
        text = f"{self.kind}:{self.model_type}"
        return text if self.start is None else f"{text}@{self.start.isoformat()}"


def parse_incident(text: str | None) -> Incident | None:
    """The incident `text` names, None for an empty setting; ValueError saying what is wrong."""
    text = (text or "").strip()
    if not text:
        return None
    kind, _, rest = text.partition(":")
    model_type, _, start_text = rest.partition("@")
    if kind not in KINDS:
        raise ValueError(
            f"unknown incident {kind[:40]!r}: use {' or '.join(KINDS)}, "
            "e.g. fp-spike:threat_detection@2026-12-01T12:00:00Z"
        )
    if model_type not in (*MODEL_TYPES, EVERY_MODEL):
        raise ValueError(
            f"incident {kind}: unknown model type {model_type[:40]!r}; "
            f"allowed: {', '.join(MODEL_TYPES)}, {EVERY_MODEL}"
        )
    start = None
    if start_text:
        try:
            start = pd.Timestamp(start_text)
        except ValueError:
            raise ValueError(
                f"incident {kind}: the start {start_text[:40]!r} is not an ISO-8601 time"
            ) from None
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        start = start.as_unit("us")
    return Incident(kind, model_type, start)


def parse_incidents(text: str | None) -> tuple[Incident, ...]:
    """The incidents `text` names, joined by commas (none for an empty setting)."""
    parts = [part for part in (text or "").split(SEPARATOR) if part.strip()]
    return tuple(parse_incident(part) for part in parts)


def incidents_setting(incidents: tuple[Incident, ...]) -> str:
    """The setting that names `incidents` (what `parse_incidents` reads)."""
    return SEPARATOR.join(incident.setting for incident in incidents)


def _of_model(model_types: pd.Series, incident: Incident) -> np.ndarray:
    if incident.model_type == EVERY_MODEL:
        return np.ones(len(model_types), dtype=bool)
    return (model_types == incident.model_type).to_numpy(dtype=bool)


def _draws(times: pd.Series) -> np.ndarray:
    """A uniform number in [0, 1) per row, from the row's time alone."""
    micros = times.to_numpy(dtype="datetime64[us]").astype(np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        spread = micros * _SPREAD
    return (spread >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _from_start(times: pd.Series, incident: Incident) -> np.ndarray:
    return np.ones(len(times), dtype=bool) if incident.start is None else (times >= incident.start)


def _fp_spike(tables: dict[str, pd.DataFrame], incident: Incident) -> None:
    alerts = tables.get("alerts")
    if alerts is None or alerts.empty:
        return
    hit = _of_model(alerts["model_type"], incident) & _from_start(alerts["timestamp"], incident)
    alerts = alerts.copy()
    spiked = _draws(alerts["timestamp"]) < FP_SPIKE_RATE
    alerts["false_positive"] = np.where(hit, spiked, alerts["false_positive"].to_numpy())
    tables["alerts"] = alerts


def _gpu_idle(tables: dict[str, pd.DataFrame], incident: Incident) -> None:
    usage, sessions = tables.get("resource_usage"), tables.get("training_sessions")
    if usage is None or sessions is None or usage.empty:
        return
    chosen = sessions.loc[_of_model(sessions["model_type"], incident), "session_id"]
    hit = usage["session_id"].isin(chosen).fillna(False).to_numpy(dtype=bool) & _from_start(
        usage["timestamp"], incident
    )
    usage = usage.copy()
    usage["gpu_util"] = np.where(hit, GPU_IDLE_UTIL, usage["gpu_util"].to_numpy())
    tables["resource_usage"] = usage


def apply_incidents(
    incidents: tuple[Incident, ...], tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """`tables` (a day's event rows, or whole tables) with each incident injected in turn."""
    if not incidents:
        return tables
    tables = dict(tables)
    for incident in incidents:
        (_fp_spike if incident.kind == FP_SPIKE else _gpu_idle)(tables, incident)
    return tables
