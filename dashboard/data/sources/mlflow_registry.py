"""Model versions from the MLflow Model Registry: registered model versions -> `model_versions`.

- `version`: the `model_version` tag of the run that produced it (so the version matches the
  sessions, alerts and experiments that name it), else the version's own `model_version` tag,
  else `<registered model> v<N>` (`soc-triage v7`). A run with no `model_version` tag of its
  own takes the label of the version it produced.
- `released_at`: when the version was registered; `description`: its description, else which
  registered model and run it came from.
- `status`: from its aliases (MLflow 2.3+) or, for older registries, its stage:
  champion, production, prod, stable, live -> stable; challenger, canary, staging, candidate,
  shadow -> canary; archived, retired, deprecated -> retired. `DASHBOARD_MLFLOW_VERSION_STATUS`
  (a JSON object `{"alias or stage": "stable|canary|retired"}`) adds to or overrides these.
  A version with none of them is retired, except that the newest version of a registered model
  that marks none of its versions counts as stable (a registry that does not use aliases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from simulator.schema import VERSION_STATUSES

DEFAULT_VERSION_STATUS: dict[str, str] = {
    **dict.fromkeys(("champion", "production", "prod", "stable", "live"), "stable"),
    **dict.fromkeys(("challenger", "canary", "staging", "candidate", "shadow"), "canary"),
    **dict.fromkeys(("archived", "retired", "deprecated"), "retired"),
}
RANK = {"stable": 0, "canary": 1, "retired": 2}
PAGE_SIZE = 1000
VERSION_COLUMNS = ["version", "released_at", "status", "description"]


class VersionStatuses:
    """Maps registry aliases and stages to the contract's version statuses."""

    def __init__(self, mapping: Mapping[str, object] | None = None) -> None:
        extra = dict(mapping or {})
        wrong = sorted(
            f"{name}: {status!r}"
            for name, status in extra.items()
            if not isinstance(status, str) or status.lower() not in VERSION_STATUSES
        )
        if wrong:
            raise ValueError(
                "DASHBOARD_MLFLOW_VERSION_STATUS maps to no version status "
                f"({', '.join(VERSION_STATUSES)}): {', '.join(wrong)}"
            )
        merged = {**DEFAULT_VERSION_STATUS, **{k: str(v) for k, v in extra.items()}}
        self.mapping = {name.strip().lower(): status.lower() for name, status in merged.items()}

    def of(self, marks: Iterable[str]) -> str | None:
        """The status the aliases and stage `marks` give (the strongest), or None."""
        found = [self.mapping.get(mark.strip().lower()) for mark in marks if mark]
        found = [status for status in found if status]
        return min(found, key=RANK.__getitem__) if found else None


@dataclass(frozen=True)
class Registry:
    """What the registry holds as the contract sees it."""

    versions: pd.DataFrame  # model_versions rows (not yet validated)
    label_of_run: dict[str, str]  # run id -> the version label it produced
    notes: tuple[str, ...]
    fingerprint: object


def _pages(search, page_size: int) -> list:
    found, token = [], None
    while True:
        page = search(max_results=page_size, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            return found


def _aliases(client) -> dict[tuple[str, str], list[str]]:
    """(registered model, version) -> its aliases (version searches leave them out)."""
    aliases: dict[tuple[str, str], list[str]] = {}
    for model in _pages(client.search_registered_models, 100):
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault((model.name, str(version)), []).append(alias)
    return aliases


def read_registry(
    client, run_versions: Mapping[str, str | None], statuses: VersionStatuses
) -> Registry:
    """The registry's versions; `run_versions` is each known run's own `model_version` tag.
    A store without a registry (or one this client cannot read) gives none, and says why."""
    from mlflow.exceptions import MlflowException

    try:
        found = _pages(client.search_model_versions, PAGE_SIZE)
        aliases = _aliases(client)
    except MlflowException as error:
        reason = str(error).splitlines()[0][:200]
        note = f"model registry: not read ({type(error).__name__}: {reason}); no model versions"
        empty = pd.DataFrame(columns=VERSION_COLUMNS)
        return Registry(empty, {}, (note,), ("unreadable", reason))
    versions = sorted(found, key=lambda v: (v.name, int(v.version)))

    def marks(v) -> list[str]:
        return [*aliases.get((v.name, str(v.version)), []), v.current_stage or ""]

    marked_models = {v.name for v in versions if statuses.of(marks(v)) is not None}
    newest = {v.name: v.version for v in versions}  # sorted: the last one is the newest
    rows: dict[str, dict] = {}
    label_of_run: dict[str, str] = {}
    repeated: list[str] = []
    for v in versions:
        tags = v.tags or {}
        label = run_versions.get(v.run_id or "") or tags.get("model_version")
        label = label or f"{v.name} v{v.version}"
        status = statuses.of(marks(v))
        if status is None:
            unmarked_newest = v.name not in marked_models and v.version == newest[v.name]
            status = "stable" if unmarked_newest else "retired"
        if label in rows:
            repeated.append(f"{v.name} v{v.version}")
        rows[label] = {
            "version": label,
            "released_at": pd.Timestamp(v.creation_timestamp, unit="ms", tz="UTC"),
            "status": status,
            "description": v.description
            or f"registered model {v.name}, version {v.version}"
            + (f", from run {v.run_id}" if v.run_id else ""),
        }
        if v.run_id:
            label_of_run[v.run_id] = label
    notes = []
    if versions:
        models = sorted({v.name for v in versions})
        notes.append(
            f"model registry: {len(versions)} version(s) of {len(models)} registered model(s) "
            f"({', '.join(models[:5])}{', …' if len(models) > 5 else ''}): "
            + ", ".join(f"{row['version']} {row['status']}" for row in list(rows.values())[-8:])
        )
    if repeated:
        notes.append(
            f"model registry: {len(repeated)} version(s) share a label with a newer one and "
            f"are shown as that one ({', '.join(repeated[:3])}); tag their runs with distinct "
            "model_version values to tell them apart"
        )
    frame = pd.DataFrame(list(rows.values()), columns=VERSION_COLUMNS)
    fingerprint = tuple(
        (v.name, v.version, v.last_updated_timestamp, tuple(sorted(marks(v)))) for v in versions
    )
    return Registry(frame, label_of_run, tuple(notes), fingerprint)
