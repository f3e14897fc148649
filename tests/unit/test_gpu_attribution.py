"""GPU time -> sessions: rows of the GPUs a run names, inside its time, take its session id."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.data.sources.base import GpuClaim
from dashboard.data.sources.gpu_attribution import attribute, with_session_gpu_figures

START = pd.Timestamp("2026-11-26 10:00", tz="UTC")
GPUS = pd.DataFrame(
    {
        "gpu_id": [0, 1, 2],
        "host": pd.array(["node-a", "node-a", "node-b"], dtype="string"),
        "gpu": pd.array(["0", "1", "0"], dtype="string"),
        "uuid": pd.array(["GPU-a0", "GPU-a1", "GPU-b0"], dtype="string"),
    }
)


def usage() -> pd.DataFrame:
    minutes = pd.date_range(START, periods=4, freq="min", unit="us")
    return pd.DataFrame(
        {
            "timestamp": minutes.repeat(3),
            "gpu_id": [0, 1, 2] * 4,
            "session_id": pd.Series([pd.NA] * 12, dtype="string"),
            "gpu_util": [0.9, 0.5, 0.1] * 4,
            "gpu_mem_used_gb": [10.0, 5.0, 1.0] * 4,
        }
    )


def test_rows_of_claimed_gpus_inside_the_claim_take_its_session():
    claims = [
        GpuClaim(
            "run-a",
            "NODE-A",
            ("0",),
            START + pd.Timedelta(minutes=1),
            START + pd.Timedelta(minutes=3),
        ),
        GpuClaim("run-b", "node-b", ("GPU-b0",), START, None),  # by UUID, still running
    ]
    attributed, notes = attribute(usage(), GPUS, claims)
    owners = attributed.pivot(index="timestamp", columns="gpu_id", values="session_id")
    assert owners[0].fillna("-").tolist() == ["-", "run-a", "run-a", "-"]
    assert owners[1].isna().all()
    assert owners[2].tolist() == ["run-b"] * 4
    assert notes == []


def test_a_claim_of_no_known_gpu_is_reported_not_guessed():
    claims = [GpuClaim("run-c", "node-z", ("3",), START, None)]
    attributed, notes = attribute(usage(), GPUS, claims)
    assert attributed["session_id"].isna().all()
    assert "run-c (node-z: 3)" in notes[0] and "gpu_host" in notes[0]


def test_sessions_without_gpu_figures_take_them_from_their_rows():
    claims = [GpuClaim("run-a", "node-a", ("0", "1"), START, None)]
    attributed, _ = attribute(usage(), GPUS, claims)
    sessions = pd.DataFrame(
        {
            "session_id": pd.array(["run-a", "run-x"], dtype="string"),
            "gpu_util_mean": [float("nan"), 0.4],
            "gpu_mem_peak_gb": [float("nan"), 3.0],
        }
    )
    filled = with_session_gpu_figures(sessions, attributed).set_index("session_id")
    assert filled.at["run-a", "gpu_util_mean"] == pytest.approx(0.7)
    assert filled.at["run-a", "gpu_mem_peak_gb"] == pytest.approx(10.0)
    assert filled.at["run-x", "gpu_util_mean"] == pytest.approx(0.4)  # its own figure stays
