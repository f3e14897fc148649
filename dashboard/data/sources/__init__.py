"""Data sources: each turns where the data lives into the contract tables as of a moment.

`DASHBOARD_DATA_SOURCE` names one (see `source_from_setting`):

- `simulator`: the built-in simulator (default; `sources.simulator`);
- a directory path: one `<table>.parquet` or `<table>.csv` per contract table, in the format of
  `python -m simulator export` (`sources.directory`);
- `mlflow:<tracking URI>`: training runs from MLflow (`sources.mlflow`);
- `tensorboard:<log dir>`: training runs from TensorBoard event files (`sources.tensorboard`);
- `prometheus:<URL>`: GPU telemetry of DCGM exporters from a Prometheus server
  (`sources.prometheus`);
- several of these joined by `;` (`mlflow:sqlite:///runs.db;/srv/soc-exports`): each table comes
  from the first of them that holds it (`sources.combined`).

A `postgresql://…` database is not a source: it is a store queried in place (dashboard.data.store).
Only the ingest (dashboard.data.ingest) reads sources; the protocol is in `sources.base`.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.data.sources.base import (
    SEPARATOR,
    GpuClaim,
    MissingTable,
    ReadingSource,
    Snapshot,
    Source,
    Tables,
    content_token,
    load,
    load_history,
    read_source,
    reads,
)
from dashboard.data.sources.combined import CombinedSource
from dashboard.data.sources.simulator import SimulatorSource
from simulator.incidents import Incident, parse_incidents

SQL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_sql_store(setting: str) -> bool:
    """Whether a part of DASHBOARD_DATA_SOURCE names a SQL database queried in place."""
    return setting.strip().lower().startswith(SQL_SCHEMES)


def source_from_config(setting: str, config: Mapping[str, object]) -> Source:
    """The source `setting` names, with the options of the app's settings (dashboard.config)."""
    return source_from_setting(
        setting,
        int(config["SIM_SEED"]),
        int(config["SIM_SCALE"]),
        config.get("METRIC_ALIASES"),
        config.get("MODEL_TYPE_MAP"),
        parse_incidents(config.get("SIM_INCIDENT")),
        version_status=config.get("MLFLOW_VERSION_STATUS"),
        prometheus=config.get("PROMETHEUS"),
    )


def source_from_setting(
    setting: str,
    seed: int,
    scale: int,
    metric_aliases: Mapping[str, str] | None = None,
    model_type_map: Mapping[str, str] | None = None,
    incidents: tuple[Incident, ...] = (),
    *,
    version_status: Mapping[str, object] | None = None,
    prometheus: Mapping[str, object] | None = None,
) -> Source:
    """Build the source that `DASHBOARD_DATA_SOURCE` names (ValueError if it cannot be)."""
    setting = setting.strip()
    if SEPARATOR in setting:
        parts = [part for part in setting.split(SEPARATOR) if part.strip()]
        return CombinedSource(
            [
                source_from_setting(
                    part,
                    seed,
                    scale,
                    metric_aliases,
                    model_type_map,
                    incidents,
                    version_status=version_status,
                    prometheus=prometheus,
                )
                for part in parts
            ]
        )
    if setting == "simulator":
        return SimulatorSource(seed, scale, incidents)
    if setting.startswith("mlflow:"):
        from dashboard.data.sources.mlflow import MlflowSource

        return MlflowSource(
            setting.removeprefix("mlflow:"), metric_aliases, model_type_map, version_status
        )
    if setting.startswith("prometheus:"):
        from dashboard.data.sources.prometheus import PrometheusSource

        return PrometheusSource(setting.removeprefix("prometheus:"), **dict(prometheus or {}))
    if setting.startswith("tensorboard:"):
        from dashboard.data.sources.tensorboard import TensorBoardSource

        return TensorBoardSource(
            setting.removeprefix("tensorboard:"), metric_aliases, model_type_map
        )
    if not setting:
        raise ValueError("DASHBOARD_DATA_SOURCE is empty; use 'simulator'")
    from dashboard.data.sources.directory import DirectorySource

    return DirectorySource(setting)


__all__ = [
    "SEPARATOR",
    "CombinedSource",
    "GpuClaim",
    "MissingTable",
    "ReadingSource",
    "SimulatorSource",
    "Snapshot",
    "Source",
    "Tables",
    "content_token",
    "is_sql_store",
    "load",
    "load_history",
    "read_source",
    "reads",
    "source_from_config",
    "source_from_setting",
]
