"""What a reading of a source found, in its users' words: runs by name, versions, GPUs, spans.

`check-data` (dashboard.__main__) prints these lines after the table counts, so that someone
pointing the dashboard at their MLflow, TensorBoard logs or Prometheus sees at once whether it
found what they expect: which runs (by the names they gave them), which registry versions and
their statuses, which GPUs on which hosts, over what time, and (in the snapshot's notes) what
it left out and why.
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.sources.base import Snapshot

SHOWN = 8  # named items listed before "and N more"


def _span(times: pd.Series) -> str:
    times = times.dropna()
    if times.empty:
        return "no times"
    return f"{times.min():%Y-%m-%d %H:%M} → {times.max():%Y-%m-%d %H:%M} UTC"


def _listed(items: list[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f", and {more} more" if more > 0 else "")


def _runs(sessions: pd.DataFrame) -> list[str]:
    if sessions.empty:
        return ["Training runs: none"]
    statuses = sessions["status"].astype(str).value_counts()
    counts = ", ".join(
        f"{statuses[s]:,} {s}" for s in ("active", "completed", "failed") if s in statuses
    )
    types = sessions["model_type"].astype(str).value_counts()
    newest = sessions.sort_values("started_at", ascending=False)
    names = newest["run_name"].astype("string")
    named = int(names.notna().sum())
    described = [
        (f"{name} ({session}, {status})" if pd.notna(name) else f"{session} ({status})")
        for name, session, status in zip(
            names, newest["session_id"].astype(str), newest["status"].astype(str), strict=True
        )
    ]
    lines = [
        f"Training runs: {len(sessions):,} ({counts}), started {_span(sessions['started_at'])}",
        "  by model type: " + ", ".join(f"{kind} {count:,}" for kind, count in types.items()),
        f"  {named:,} of them named; newest first: {_listed(described)}",
    ]
    failed = newest[newest["status"].astype(str) == "failed"]
    if not failed.empty:
        reasons = failed["failure_reason"].astype("string").fillna("no reason given")
        reasons = reasons.str.replace(r"\d+$", "N", regex=True)  # "NaN loss at step N"
        lines.append(
            "  why runs failed: "
            + _listed([f"{reason} ({count:,})" for reason, count in reasons.value_counts().items()])
        )
    return lines


def _versions(versions: pd.DataFrame) -> list[str]:
    if versions.empty:
        return ["Model versions: none"]
    ordered = versions.sort_values("released_at", ascending=False)
    return [
        f"Model versions: {len(versions):,}, released {_span(versions['released_at'])}; "
        "newest first: "
        + _listed(
            [
                f"{row.version} {row.status} ({row.released_at:%Y-%m-%d})"
                for row in ordered.itertuples()
            ]
        )
    ]


def _gpus(usage: pd.DataFrame, gpus: pd.DataFrame | None) -> list[str]:
    if usage.empty:
        return ["GPU telemetry: none"]
    attributed = usage["session_id"].notna().mean()
    lines = [
        f"GPU telemetry: {usage['gpu_id'].nunique():,} GPU(s), {len(usage):,} samples, "
        f"{_span(usage['timestamp'])}; {attributed:.0%} of samples belong to a training run, "
        "the rest is idle time"
    ]
    if gpus is not None and not gpus.empty:
        hosts = gpus.groupby("host", sort=True).size()
        lines.append(
            "  hosts: " + ", ".join(f"{host} ({count} GPU(s))" for host, count in hosts.items())
        )
        lines.append(
            "  "
            + _listed(
                [
                    f"GPU {row.gpu_id} = {row.host} gpu {row.gpu} ({row.uuid})"
                    for row in gpus.itertuples()
                ]
            )
        )
    return lines


def findings(snapshot: Snapshot) -> list[str]:
    """Lines saying what the snapshot's training, version and GPU tables hold."""
    lines = []
    if "training_sessions" in snapshot.tables:
        lines += _runs(snapshot.tables["training_sessions"])
    if "model_versions" in snapshot.tables:
        lines += _versions(snapshot.tables["model_versions"])
    if "resource_usage" in snapshot.tables:
        lines += _gpus(snapshot.tables["resource_usage"], snapshot.gpus)
    return lines
