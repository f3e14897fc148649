"""GPU time -> training sessions: telemetry rows of the GPUs a session names, while it runs.

A telemetry source (Prometheus) says which host and GPU each `gpu_id` is; a training source
(MLflow) lists the GPUs each run claims (`GpuClaim`: host, GPU indices or UUIDs, start, end).
A row of a claimed GPU inside a claim's time takes that session's id, and a session that
logged no GPU figures of its own gets its mean utilisation and peak memory from those rows.
Hosts compare without case; an unmatched claim is reported, not guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard.data.sources.base import GpuClaim


def claimed_gpu_ids(claim: GpuClaim, gpus: pd.DataFrame) -> list[int]:
    """The `gpu_id`s of `gpus` (gpu_id, host, gpu, uuid) that `claim` names."""
    named = {gpu.lower() for gpu in claim.gpus}
    on_host = gpus["host"].str.lower() == claim.host.lower()
    chosen = on_host & (gpus["gpu"].str.lower().isin(named) | gpus["uuid"].str.lower().isin(named))
    return gpus.loc[chosen.fillna(False).astype(bool), "gpu_id"].astype(int).tolist()


def attribute(
    usage: pd.DataFrame, gpus: pd.DataFrame, claims: Sequence[GpuClaim]
) -> tuple[pd.DataFrame, list[str]]:
    """`usage` with the session of each claimed row, and notes on claims that matched nothing."""
    session = usage["session_id"].copy()
    unmatched = []
    for claim in claims:
        ids = claimed_gpu_ids(claim, gpus)
        if not ids:
            unmatched.append(f"{claim.session_id} ({claim.host}: {', '.join(claim.gpus)})")
            continue
        inside = usage["gpu_id"].isin(ids) & (usage["timestamp"] >= claim.start)
        if claim.end is not None:
            inside &= usage["timestamp"] < claim.end
        session[inside.to_numpy()] = claim.session_id
    notes = []
    if unmatched:
        notes.append(
            f"GPU attribution: {len(unmatched)} session(s) name GPUs no telemetry source has "
            f"({'; '.join(unmatched[:3])}{', …' if len(unmatched) > 3 else ''}); gpu_host must "
            "equal the exporter's host label and gpus its gpu index or UUID"
        )
    return usage.assign(session_id=session.astype("string")), notes


def with_session_gpu_figures(sessions: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """`sessions` whose missing GPU mean and peak come from their attributed rows."""
    by_session = usage.dropna(subset=["session_id"]).groupby("session_id")
    means = sessions["session_id"].map(by_session["gpu_util"].mean()).astype("float64")
    peaks = sessions["session_id"].map(by_session["gpu_mem_used_gb"].max()).astype("float64")
    return sessions.assign(
        gpu_util_mean=sessions["gpu_util_mean"].fillna(means),
        gpu_mem_peak_gb=sessions["gpu_mem_peak_gb"].fillna(peaks),
    )
