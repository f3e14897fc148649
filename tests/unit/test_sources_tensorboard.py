"""The TensorBoard source on event files that TensorBoard's own writer writes during the test.

The writer is `tensorboard.summary.writer.event_file_writer.EventFileWriter`, the TensorFlow-free
writer that PyTorch's SummaryWriter wraps. Runs are written both ways trainers write scalars:
PyTorch/TF1 style (`simple_value`) and TF2 style (tensor summaries from `scalar_pb`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from dashboard import create_app
from dashboard.__main__ import check_data
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


def write_scalars(
    run_dir: Path, points: list[tuple[pd.Timestamp, int, dict[str, float]]], style: str
):
    """(wall time, step, {tag: value}) events into one event file of `run_dir`."""
    writer = EventFileWriter(str(run_dir))
    for moment, step, values in points:
        if style == "pytorch":
            summaries = [simple_values(step, values)]
        else:
            summaries = [scalar_pb(tag, value) for tag, value in values.items()]
        for summary in summaries:
            event = event_pb2.Event(wall_time=moment.timestamp(), step=step, summary=summary)
            writer.add_event(event)
    writer.close()


def write_run(run_dir: Path, start: pd.Timestamp, steps: int, style: str, seconds: int = 30):
    points = []
    for step in range(steps):
        progress = step / max(steps - 1, 1)
        values = {
            "Accuracy/train": 0.5 + 0.25 * progress,
            "Accuracy/val": 0.48 + 0.25 * progress,
            "Loss/train": 1.0 - 0.8 * progress,
            "Loss/val": 1.1 - 0.8 * progress,
        }
        points.append((start + pd.Timedelta(seconds=seconds * step), step, values))
    write_scalars(run_dir, points, style)


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
        assert title[0].startswith("run-01 · threat_detection/v5.2.1/run-01 · Threat Detection")
        assert "completed" in title[0] and "v5.2.1" in title[0]
        assert sum(len(trace.x) for trace in curves.data) == 4 * LONG_RUN
        with pytest.raises(MissingTable, match="tensorboard:"):
            queries.alerts_in_range("24h", "all")


# The layouts Keras and PyTorch Lightning write

EPOCHS = 6


def write_keras_run(run_dir: Path, start: pd.Timestamp) -> None:
    """What keras.callbacks.TensorBoard(log_dir=run_dir) writes: TF2 summaries per epoch in
    train/ (with the learning rate) and validation/ (with the evaluation-vs-iterations tags)."""
    epoch = pd.Timedelta(minutes=10)
    train, validation = [], []
    for step in range(EPOCHS):
        moment = start + epoch * (step + 1)
        train.append(
            (moment, step, {"epoch_accuracy": 0.6 + 0.05 * step, "epoch_loss": 0.9 - 0.1 * step})
        )
        train[-1][2]["epoch_learning_rate"] = 1e-3
        validation.append(
            (
                moment,
                step,
                {
                    "epoch_accuracy": 0.58 + 0.05 * step,
                    "epoch_loss": 0.95 - 0.1 * step,
                    "evaluation_accuracy_vs_iterations": 0.58 + 0.05 * step,
                },
            )
        )
    write_scalars(run_dir / "train", train, "tf2")
    write_scalars(run_dir / "validation", validation, "tf2")


def write_lightning_run(version_dir: Path, start: pd.Timestamp, hparams: str) -> None:
    """What Lightning's TensorBoardLogger writes: PyTorch scalars with self.log's names in
    lightning_logs/version_N/, and the module's hyperparameters in hparams.yaml."""
    points = []
    for step in range(EPOCHS):
        moment = start + pd.Timedelta(minutes=5) * (step + 1)
        global_step = 50 * (step + 1) - 1
        points.append(
            (
                moment,
                global_step,
                {
                    "train_loss_step": 0.8 - 0.1 * step + 0.01,
                    "train_loss_epoch": 0.8 - 0.1 * step,
                    "train_acc_epoch": 0.62 + 0.04 * step,
                    "val_loss": 0.85 - 0.1 * step,
                    "val_acc": 0.6 + 0.04 * step,
                    "epoch": float(step),
                },
            )
        )
    write_scalars(version_dir, points, "pytorch")
    (version_dir / "hparams.yaml").write_text(hparams)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tb-layouts")
    write_keras_run(
        root / "false_positive_filter" / "v5.1.0" / "20261126-0900",
        FIXED_NOW - pd.Timedelta(hours=4),
    )
    lightning = root / "lightning_logs"
    write_lightning_run(
        lightning / "version_0",
        FIXED_NOW - pd.Timedelta(hours=3),
        "model_type: threat_detection\nmodel_version: v5.2.1\nmax_epochs: 6\nlr: 0.001\n"
        "gpu_host: gpu-node-a\ngpus: 0,1\n"
        "layers:\n- 64\n- 32\n",
    )
    write_lightning_run(lightning / "version_1", FIXED_NOW - pd.Timedelta(hours=2), "lr: 0.01\n")
    return root


@pytest.fixture(scope="module")
def layout_snapshot(layouts):
    return TensorBoardSource(layouts).load(FIXED_NOW)


def test_keras_train_and_validation_folders_are_one_session(layout_snapshot):
    sessions = layout_snapshot.tables["training_sessions"].set_index("session_id")
    keras = sessions.loc["false_positive_filter/v5.1.0/20261126-0900"]
    assert keras["run_name"] == "20261126-0900"
    assert (keras["model_type"], keras["model_version"]) == ("false_positive_filter", "v5.1.0")
    assert keras["train_accuracy"] == pytest.approx(0.85)
    assert keras["val_accuracy"] == pytest.approx(0.83)
    assert keras["val_loss"] == pytest.approx(0.45)
    metrics = layout_snapshot.tables["training_metrics"]
    keras_metrics = metrics[metrics["session_id"] == "false_positive_filter/v5.1.0/20261126-0900"]
    counts = keras_metrics.groupby("metric").size().to_dict()
    assert {
        name: counts[name]
        for name in ("train_accuracy", "val_accuracy", "train_loss", "val_loss", "learning_rate")
    } == dict.fromkeys(
        ("train_accuracy", "val_accuracy", "train_loss", "val_loss", "learning_rate"), EPOCHS
    )
    assert not any(session.endswith(("/train", "/validation")) for session in sessions.index)


def test_lightning_versions_are_sessions_with_their_hparams(layout_snapshot):
    sessions = layout_snapshot.tables["training_sessions"].set_index("session_id")
    lightning = sessions.loc["lightning_logs/version_0"]
    assert lightning["run_name"] == "lightning_logs/version_0"
    assert (lightning["model_type"], lightning["model_version"]) == ("threat_detection", "v5.2.1")
    assert lightning["epochs"] == 6  # max_epochs in hparams.yaml
    assert lightning["train_loss"] == pytest.approx(0.3)
    assert lightning["train_accuracy"] == pytest.approx(0.82)
    assert lightning["val_accuracy"] == pytest.approx(0.8)
    assert lightning["val_loss"] == pytest.approx(0.35)
    # version_1's hparams.yaml names no model type, nor does its path: left out, and said why.
    assert "lightning_logs/version_1" not in sessions.index
    assert any(
        "lightning_logs/version_1" in note and "hparams.yaml" in note
        for note in layout_snapshot.notes
    )


def test_a_model_type_map_places_lightning_logs(layouts):
    source = TensorBoardSource(
        layouts, model_type_map={"lightning_logs": "incident_classification"}
    )
    sessions = source.load(FIXED_NOW).tables["training_sessions"].set_index("session_id")
    assert sessions.at["lightning_logs/version_1", "model_type"] == "incident_classification"
    assert sessions.at["lightning_logs/version_0", "model_type"] == "incident_classification"


def test_lightning_hparams_claim_their_gpus(layout_snapshot):
    (claim,) = layout_snapshot.claims
    assert (claim.session_id, claim.host, claim.gpus) == (
        "lightning_logs/version_0",
        "gpu-node-a",
        ("0", "1"),
    )


def test_check_data_names_the_runs_and_says_what_it_left_out(layouts):
    out, err = io.StringIO(), io.StringIO()
    assert check_data(f"tensorboard:{layouts}", out, err) == 0, err.getvalue()
    report = out.getvalue()
    assert "Training runs: 2 (2 completed)" in report
    assert "20261126-0900 (false_positive_filter/v5.1.0/20261126-0900, completed)" in report
    assert "lightning_logs/version_0 (lightning_logs/version_0, completed)" in report
    assert "left out 1 run folder(s) (lightning_logs/version_1)" in report
