"""The TensorBoard source on event files that TensorBoard's own writer writes during the test.

The writer is `tensorboard.summary.writer.event_file_writer.EventFileWriter`, the TensorFlow-free
writer that PyTorch's SummaryWriter wraps. Runs are written both ways trainers write scalars:
PyTorch/TF1 style (`simple_value`) and TF2 style (tensor summaries from `scalar_pb`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from dashboard import create_app
from dashboard.callbacks import training
from dashboard.data import queries
from dashboard.data.sources import MissingTable
from dashboard.data.sources.tensorboard import TensorBoardSource
from tests.conftest import FIXED_NOW, FixedTimeSource, testing_config

# More than TensorBoard's default reservoir (500 tensors per tag) keeps, to prove none is dropped.
LONG_RUN = 1_200


def simple_values(step: int, values: dict[str, float]) -> summary_pb2.Summary:
    """What PyTorch's SummaryWriter.add_scalar writes."""
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(tag=tag, simple_value=value) for tag, value in values.items()
        ]
    )


def write_run(run_dir: Path, start: pd.Timestamp, steps: int, style: str, seconds: int = 30):
    writer = EventFileWriter(str(run_dir))
    for step in range(steps):
        progress = step / max(steps - 1, 1)
        wall_time = (start + pd.Timedelta(seconds=seconds * step)).timestamp()
        values = {
            "Accuracy/train": 0.5 + 0.25 * progress,
            "Accuracy/val": 0.48 + 0.25 * progress,
            "Loss/train": 1.0 - 0.8 * progress,
            "Loss/val": 1.1 - 0.8 * progress,
        }
        if style == "pytorch":
            summaries = [simple_values(step, values)]
        else:
            summaries = [scalar_pb(tag, value) for tag, value in values.items()]
        for summary in summaries:
            writer.add_event(event_pb2.Event(wall_time=wall_time, step=step, summary=summary))
    writer.close()


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tb-logs")
    write_run(
        root / "threat_detection" / "v5.2.1" / "run-01",
        FIXED_NOW - pd.Timedelta(hours=20),
        LONG_RUN,
        "pytorch",
    )
    write_run(
        root / "Incident Classification" / "lr-sweep-3",
        FIXED_NOW - pd.Timedelta(hours=5),
        80,
        "tf2",
    )
    # Still writing: its last point is two minutes old.
    write_run(
        root / "triage-nightly" / "v5.3.0" / "run-02",
        FIXED_NOW - pd.Timedelta(minutes=41),
        40,
        "tf2",
        seconds=60,
    )
    write_run(root / "scratch" / "run-x", FIXED_NOW - pd.Timedelta(hours=2), 5, "pytorch")
    return root


MAPPING = {"triage-nightly": "response_automation"}


@pytest.fixture(scope="module")
def snapshot(log_dir):
    return TensorBoardSource(log_dir, model_type_map=MAPPING).load(FIXED_NOW)


@pytest.fixture(scope="module")
def sessions(snapshot) -> pd.DataFrame:
    return snapshot.tables["training_sessions"].set_index("session_id")


def test_each_run_folder_is_a_session_with_model_type_and_version(sessions, snapshot):
    found = sessions[["model_type", "model_version"]].astype(object).fillna("none")
    assert found.to_dict("index") == {
        "threat_detection/v5.2.1/run-01": {
            "model_type": "threat_detection",
            "model_version": "v5.2.1",
        },
        "Incident Classification/lr-sweep-3": {
            "model_type": "incident_classification",
            "model_version": "none",
        },
        "triage-nightly/v5.3.0/run-02": {
            "model_type": "response_automation",
            "model_version": "v5.3.0",
        },
    }
    assert any("scratch/run-x" in note for note in snapshot.notes)


def test_every_point_is_read_without_reservoir_sampling(snapshot):
    metrics = snapshot.tables["training_metrics"]
    long_run = metrics[metrics["session_id"] == "threat_detection/v5.2.1/run-01"]
    assert long_run.groupby("metric").size().to_dict() == {
        "train_accuracy": LONG_RUN,
        "val_accuracy": LONG_RUN,
        "train_loss": LONG_RUN,
        "val_loss": LONG_RUN,
    }
    assert long_run["step"].max() == LONG_RUN - 1


def test_tensor_summaries_are_read_like_simple_values(snapshot, sessions):
    tf2 = sessions.loc["Incident Classification/lr-sweep-3"]
    assert tf2["train_accuracy"] == pytest.approx(0.75)
    assert tf2["val_loss"] == pytest.approx(0.3)
    metrics = snapshot.tables["training_metrics"]
    assert (metrics["session_id"] == "Incident Classification/lr-sweep-3").sum() == 4 * 80


def test_status_and_times_come_from_the_event_times(sessions):
    finished = sessions.loc["threat_detection/v5.2.1/run-01"]
    assert finished["status"] == "completed"
    assert finished["started_at"] == FIXED_NOW - pd.Timedelta(hours=20)
    assert finished["ended_at"] == FIXED_NOW - pd.Timedelta(hours=20) + pd.Timedelta(
        seconds=30 * (LONG_RUN - 1)
    )
    running = sessions.loc["triage-nightly/v5.3.0/run-02"]
    assert running["status"] == "active" and pd.isna(running["ended_at"])


def test_unchanged_runs_are_not_read_again(log_dir, monkeypatch):
    source = TensorBoardSource(log_dir, model_type_map=MAPPING)
    first = source.load(FIXED_NOW)
    monkeypatch.setattr(source, "_accumulator", lambda *a, **k: pytest.fail("read again"))
    assert source.load(FIXED_NOW).token == first.token


def test_the_query_layer_and_the_drill_down_show_the_runs(log_dir):
    source = TensorBoardSource(log_dir, model_type_map=MAPPING)
    app = create_app(testing_config(DATA_SOURCE_OBJECT=FixedTimeSource(source, FIXED_NOW)))
    with app.server.app_context():
        assert len(queries.sessions_in_range("24h", "all")) == 3
        assert queries.active_sessions()["session_id"].tolist() == ["triage-nightly/v5.3.0/run-02"]
        title, curves, _gpu = training.session_detail(
            [{"session_id": "threat_detection/v5.2.1/run-01"}], []
        )
        assert "completed" in title and "v5.2.1" in title
        assert sum(len(trace.x) for trace in curves.data) == 4 * LONG_RUN
        with pytest.raises(MissingTable, match="tensorboard:"):
            queries.alerts_in_range("24h", "all")
