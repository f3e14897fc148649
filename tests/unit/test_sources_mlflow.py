"""The MLflow source on a real store that MLflow's own client writes during the test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from benchmarks.processes import free_port
from dashboard import create_app
from dashboard.callbacks import overview, session_grid, training
from dashboard.data import queries
from dashboard.data.sources import MissingTable, source_from_setting
from dashboard.data.sources.mlflow import MlflowSource
from dashboard.data.sources.validation import DataValidationError
from simulator.io import write_tables
from simulator.schema import TABLES
from tests.conftest import FIXED_NOW, SEED, FixedTimeSource, testing_config
from tests.helpers import stored_table

MINUTE_MS = 60_000
STEPS = 40
ALIASES = {"eval/acc_top1": "val_accuracy"}


def ms(moment: pd.Timestamp) -> int:
    return int(moment.timestamp() * 1000)


def log_training(client, run_id, start, steps, *, accuracy="accuracy", val="val_acc", gpus=2):
    """Metric histories as a training loop logs them, and MLflow's system metrics per sample."""
    for step in range(steps):
        at = ms(start) + step * MINUTE_MS
        progress = step / max(steps - 1, 1)
        client.log_batch(
            run_id,
            metrics=[
                Metric(accuracy, 0.55 + 0.2 * progress, at, step),
                Metric(val, 0.53 + 0.2 * progress, at, step),
                Metric("loss", 0.9 - 0.7 * progress, at, step),
                Metric("val_loss", 0.95 - 0.7 * progress, at, step),
                Metric("lr", 1e-3 * (1 - progress / 2), at, step),
                Metric("epoch", progress * 4, at, step),
            ],
        )
        system = [Metric("system/system_memory_usage_megabytes", 12_000.0 + step, at, step)]
        for gpu in range(gpus):
            system += [
                Metric(f"system/gpu_{gpu}_utilization_percentage", 80.0 + gpu, at, step),
                Metric(f"system/gpu_{gpu}_memory_usage_megabytes", 9_000.0 + 1_000 * gpu, at, step),
                Metric(f"system/gpu_{gpu}_memory_usage_percentage", 22.5 + 2.5 * gpu, at, step),
            ]
        client.log_batch(run_id, metrics=system)


@dataclass(frozen=True)
class TestStore:
    uri: str
    runs: dict[str, str]  # what the run shows -> its run id

    __test__ = False


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> TestStore:
    """Several experiments; finished, failed, killed and running runs; one run of no model type."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    runs = {}

    threat = client.create_experiment("Threat Detection")
    start = FIXED_NOW - pd.Timedelta(hours=6)
    run = client.create_run(
        threat, start_time=ms(start), run_name="orca-sentinel-17", tags={"model_version": "v5.2.1"}
    )
    client.log_param(run.info.run_id, "epochs", "4")
    client.log_param(run.info.run_id, "num_samples", "1200000")
    log_training(client, run.info.run_id, start, STEPS)
    client.set_terminated(run.info.run_id, "FINISHED", end_time=ms(start) + STEPS * MINUTE_MS)
    runs["finished"] = run.info.run_id

    start = FIXED_NOW - pd.Timedelta(hours=3)
    run = client.create_run(
        threat,
        start_time=ms(start),
        run_name="lynx-warden-3",
        tags={"model_version": "v5.3.0", "failure_reason": "CUDA out of memory"},
    )
    log_training(client, run.info.run_id, start, 10)
    client.set_terminated(run.info.run_id, "FAILED", end_time=ms(start) + 10 * MINUTE_MS)
    runs["failed"] = run.info.run_id

    filters = client.create_experiment("fp-filter nightly")
    start = FIXED_NOW - pd.Timedelta(hours=10)
    tags = {"model_type": "false_positive_filter", "model_version": "v5.1.0"}
    run = client.create_run(filters, start_time=ms(start), tags=tags)
    log_training(client, run.info.run_id, start, STEPS, accuracy="train/acc", val="eval/acc_top1")
    client.set_terminated(run.info.run_id, "FINISHED", end_time=ms(start) + STEPS * MINUTE_MS)
    runs["aliased"] = run.info.run_id

    start = FIXED_NOW - pd.Timedelta(minutes=30)
    run = client.create_run(filters, start_time=ms(start), run_name="heron-beacon-8", tags=tags)
    client.log_param(run.info.run_id, "epochs", "8")
    log_training(client, run.info.run_id, start, 25, gpus=1)
    runs["running"] = run.info.run_id  # never terminated: RUNNING

    incidents = client.create_experiment("incident_classification")
    start = FIXED_NOW - pd.Timedelta(hours=2)
    run = client.create_run(incidents, start_time=ms(start), tags={"model_version": "v5.2.1"})
    log_training(client, run.info.run_id, start, 5, gpus=0)
    client.set_terminated(run.info.run_id, "KILLED", end_time=ms(start) + 5 * MINUTE_MS)
    runs["killed"] = run.info.run_id

    scratch = client.create_experiment("scratch notebook")
    run = client.create_run(scratch, start_time=ms(FIXED_NOW - pd.Timedelta(hours=1)))
    client.set_terminated(run.info.run_id, "FINISHED")
    runs["untyped"] = run.info.run_id

    start = FIXED_NOW - pd.Timedelta(hours=20)
    run = client.create_run(incidents, start_time=ms(start), run_name="calm-otter-1")
    log_training(client, run.info.run_id, start, 5, gpus=0)
    client.set_terminated(run.info.run_id, "FINISHED", end_time=ms(start) + 5 * MINUTE_MS)
    runs["untagged"] = run.info.run_id  # no model_version tag: named by the registry

    register_versions(client, runs)
    return TestStore(uri, runs)


def register_versions(client: MlflowClient, runs: dict[str, str]) -> None:
    """A registry as teams keep one: aliases on one model, a legacy stage on another."""
    client.create_registered_model("soc-threat-detection")
    for key in ("failed", "finished"):
        client.create_model_version(
            "soc-threat-detection", f"runs:/{runs[key]}/model", run_id=runs[key]
        )
    client.set_registered_model_alias("soc-threat-detection", "champion", "2")  # v5.2.1
    client.set_registered_model_alias("soc-threat-detection", "challenger", "1")  # v5.3.0
    client.create_registered_model("incident-classifier")
    version = client.create_model_version(
        "incident-classifier", f"runs:/{runs['untagged']}/model", run_id=runs["untagged"]
    )
    client.transition_model_version_stage("incident-classifier", version.version, "Archived")


@pytest.fixture(scope="module")
def store_uri(store) -> str:
    return store.uri


@pytest.fixture(scope="module")
def runs(store) -> dict[str, str]:
    return store.runs


@pytest.fixture(scope="module")
def snapshot(store_uri):
    return MlflowSource(store_uri, ALIASES).load(FIXED_NOW)


@pytest.fixture(scope="module")
def sessions(snapshot) -> pd.DataFrame:
    return snapshot.tables["training_sessions"].set_index("session_id")


def test_each_run_of_a_known_model_type_is_a_session(snapshot, sessions, runs):
    assert sessions.at[runs["finished"], "run_name"] == "orca-sentinel-17"
    assert sessions.at[runs["failed"], "run_name"] == "lynx-warden-3"
    assert sessions["run_name"].notna().all()  # MLflow names every run, given a name or not
    assert set(sessions.index) == {runs[key] for key in runs if key != "untyped"}
    assert sessions["started_at"].is_monotonic_increasing
    assert snapshot.problems == ()
    assert any("scratch notebook" in note and runs["untyped"] in note for note in snapshot.notes)


def test_model_type_from_the_tag_else_the_experiment_name(sessions, runs):
    assert sessions.at[runs["finished"], "model_type"] == "threat_detection"
    assert sessions.at[runs["aliased"], "model_type"] == "false_positive_filter"
    assert sessions.at[runs["killed"], "model_type"] == "incident_classification"
    assert sessions.at[runs["finished"], "model_version"] == "v5.2.1"
    assert sessions.at[runs["running"], "model_version"] == "v5.1.0"


def test_run_status_maps_to_the_session_status(sessions, runs):
    assert sessions.at[runs["finished"], "status"] == "completed"
    assert sessions.at[runs["failed"], "status"] == "failed"
    assert sessions.at[runs["killed"], "status"] == "failed"
    assert sessions.at[runs["running"], "status"] == "active"
    assert pd.isna(sessions.at[runs["running"], "ended_at"])
    assert sessions.at[runs["failed"], "failure_reason"] == "CUDA out of memory"
    assert sessions.at[runs["killed"], "failure_reason"] == "MLflow status KILLED"
    assert pd.isna(sessions.at[runs["finished"], "failure_reason"])


def test_last_values_and_counts_come_from_the_last_points_and_params(sessions, runs):
    finished = sessions.loc[runs["finished"]]
    assert finished["train_accuracy"] == pytest.approx(0.75)
    assert finished["val_accuracy"] == pytest.approx(0.73)
    assert finished["train_loss"] == pytest.approx(0.2)
    assert finished["val_loss"] == pytest.approx(0.25)
    assert (finished["samples"], finished["epochs"]) == (1_200_000, 4)
    assert sessions.at[runs["running"], "epochs"] == 8
    assert sessions.at[runs["killed"], "epochs"] == 4  # no parameter: the highest epoch logged
    assert sessions.at[runs["killed"], "samples"] == 0  # nothing says
    assert finished["gpu_util_mean"] == pytest.approx(0.805)
    assert finished["gpu_mem_peak_gb"] == pytest.approx(10.0)
    assert math.isnan(sessions.at[runs["killed"], "gpu_util_mean"])


def test_metric_histories_keep_every_point_under_contract_names(snapshot, runs):
    metrics = snapshot.tables["training_metrics"]
    finished = metrics[metrics["session_id"] == runs["finished"]]
    assert finished.groupby("metric").size().to_dict() == {
        name: STEPS
        for name in (
            "train_accuracy",
            "val_accuracy",
            "train_loss",
            "val_loss",
            "learning_rate",
            "epoch",
        )
    }
    aliased = metrics[metrics["session_id"] == runs["aliased"]]
    assert {"train_accuracy", "val_accuracy"} <= set(aliased["metric"])  # train/acc, configured
    assert not metrics["metric"].str.startswith("system/").any()
    first = finished[finished["metric"] == "train_loss"].iloc[0]
    assert first["timestamp"] == FIXED_NOW - pd.Timedelta(hours=6)


def test_system_metrics_become_resource_usage(snapshot, runs):
    usage = snapshot.tables["resource_usage"]
    finished = usage[usage["session_id"] == runs["finished"]]
    assert len(finished) == STEPS * 2 and set(finished["gpu_id"]) == {0, 1}
    gpu_one = finished[finished["gpu_id"] == 1].iloc[-1]
    assert gpu_one["gpu_util"] == pytest.approx(0.81)
    assert gpu_one["gpu_mem_used_gb"] == pytest.approx(10.0)
    assert gpu_one["gpu_mem_total_gb"] == pytest.approx(40.0)
    assert gpu_one["host_mem_used_gb"] == pytest.approx(12.039)
    assert usage["timestamp"].is_monotonic_increasing


def test_a_finished_run_is_fetched_once(store_uri, monkeypatch):
    source = MlflowSource(store_uri, ALIASES)
    first = source.load(FIXED_NOW)
    fetched = []
    original = source.client.get_metric_history
    monkeypatch.setattr(
        source.client,
        "get_metric_history",
        lambda run_id, key: fetched.append(run_id) or original(run_id, key),
    )
    second = source.load(FIXED_NOW)
    running = first.tables["training_sessions"].query("status == 'active'")["session_id"]
    assert set(fetched) == set(running)  # only the active run is read again
    assert second.token == first.token


# The query layer and the pages


@pytest.fixture(scope="module")
def mlflow_app(store_uri):
    source = source_from_setting(f"mlflow:{store_uri}", SEED, 1, ALIASES)
    return create_app(testing_config(DATA_SOURCE_OBJECT=FixedTimeSource(source, FIXED_NOW)))


def test_query_layer_shows_the_runs_curves_and_gpus(mlflow_app, runs):
    with mlflow_app.server.app_context():
        sessions = queries.sessions_in_range("24h", "all")
        assert len(sessions) == 6
        assert queries.active_sessions()["session_id"].tolist() == [runs["running"]]
        curves = queries.session_metrics(runs["finished"])
        assert len(curves[curves["metric"] == "val_accuracy"]) == STEPS
        assert len(queries.session_resources(runs["finished"])) == STEPS * 2
        one_type = queries.sessions_in_range("24h", "false_positive_filter")
        assert set(one_type["session_id"]) == {runs["aliased"], runs["running"]}


def test_tables_mlflow_lacks_raise_missing_table_with_a_hint(mlflow_app, store_uri):
    with mlflow_app.server.app_context():
        with pytest.raises(MissingTable, match=f"mlflow:{store_uri};DIR"):
            queries.alerts_in_range("24h", "all")
        with pytest.raises(MissingTable, match="no experiments table"):
            queries.experiments()


def test_training_drill_down_shows_a_run_its_status_and_curves(mlflow_app, runs):
    with mlflow_app.server.app_context():
        title, curves, gpu = training.session_detail([{"session_id": runs["failed"]}], [])
        assert "failed: CUDA out of memory" in title[0] and "Threat Detection" in title[0]
        assert sum(len(trace.x) for trace in curves.data) == 4 * 10
        assert sum(len(trace.x) for trace in gpu.data) > 0


@pytest.fixture(scope="module")
def combined_app(store_uri, tmp_path_factory, app):
    """MLflow for the training tables plus an export of the SOC tables, as a team would run it."""
    directory = tmp_path_factory.mktemp("soc-exports")
    soc = [name for name in TABLES if not name.startswith(("training_", "resource_"))]
    with app.server.app_context():
        tables = {name: stored_table(name) for name in soc}
    write_tables(tables, directory, "parquet")
    source = source_from_setting(f"mlflow:{store_uri};{directory}", SEED, 1, ALIASES)
    return create_app(testing_config(DATA_SOURCE_OBJECT=FixedTimeSource(source, FIXED_NOW)))


def test_training_page_lists_the_mlflow_runs_with_their_statuses(combined_app, runs):
    with combined_app.server.app_context():
        cards, _live, accuracy, _loss = training.training_overview("24h", "all")
        rows = session_grid.session_page({"startRow": 0, "endRow": 60}, "24h", "all")["rowData"]
    statuses = {row["session_id"]: row["status"] for row in rows}
    assert statuses == {
        runs["finished"]: "completed",
        runs["failed"]: "failed",
        runs["aliased"]: "completed",
        runs["running"]: "active",
        runs["killed"]: "failed",
        runs["untagged"]: "completed",
    }
    assert "3 completed · 2 failed" in str(cards[0])
    assert sum(len(trace.x) for trace in accuracy.data if trace.x is not None) > 0


def test_overview_lists_the_last_runs(combined_app, runs):
    with combined_app.server.app_context():
        rows = overview.last_sessions("24h", "all")
    assert rows[0]["session_id"] == runs["running"]
    assert len(rows) == 6


def test_an_unreachable_tracking_server_fails_fast_with_the_reason():
    source = MlflowSource(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Exception, match=r"127\.0\.0\.1"):
        source.load(FIXED_NOW)


def test_a_missing_database_is_refused_rather_than_created(tmp_path):
    with pytest.raises(ValueError, match="no MLflow database"):
        MlflowSource(f"sqlite:///{tmp_path / 'typo.db'}")
    assert not Path(tmp_path / "typo.db").exists()


def test_a_run_breaking_the_contract_names_the_run_and_column(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("threat_detection")
    run = client.create_run(experiment, start_time=ms(FIXED_NOW - pd.Timedelta(hours=1)))
    client.log_metric(run.info.run_id, "accuracy", 87.5, step=0)  # a percentage, not a fraction
    client.set_terminated(run.info.run_id, "FINISHED")
    with pytest.raises(DataValidationError) as caught:
        MlflowSource(uri).load(FIXED_NOW)
    assert str(caught.value) == (
        f"MLflow {uri} (training_sessions), column train_accuracy: 1 value(s) not a fraction "
        f"within 0..1 (e.g. run {run.info.run_id}: 87.5)"
    )


# Run names, the Model Registry, and how the pages name runs


def test_registry_versions_become_model_versions_with_mapped_statuses(snapshot, runs):
    versions = snapshot.tables["model_versions"].set_index("version")
    assert versions["status"].to_dict() == {
        "v5.3.0": "canary",  # challenger; labelled by its run's model_version tag
        "v5.2.1": "stable",  # champion
        "incident-classifier v1": "retired",  # legacy stage Archived; its run has no tag
    }
    assert (
        "registered model soc-threat-detection, version 2" in versions.at["v5.2.1", "description"]
    )
    assert any("model registry: 3 version(s) of 2 registered model(s)" in n for n in snapshot.notes)


def test_a_run_without_a_version_tag_takes_the_label_of_the_version_it_produced(sessions, runs):
    assert sessions.at[runs["untagged"], "model_version"] == "incident-classifier v1"


def test_version_statuses_are_configurable(store_uri):
    source = MlflowSource(store_uri, ALIASES, version_status={"challenger": "stable"})
    versions = source.load(FIXED_NOW).tables["model_versions"].set_index("version")
    assert versions.at["v5.3.0", "status"] == "stable"
    with pytest.raises(ValueError, match="DASHBOARD_MLFLOW_VERSION_STATUS"):
        MlflowSource(store_uri, version_status={"champion": "production"})


def test_the_overview_version_card_shows_the_registry_champion(mlflow_app):
    with mlflow_app.server.app_context():
        cards, live = overview.headline("24h", "all")
    version_card = str(cards[0])
    assert "v5.2.1" in version_card and "Latest stable release" in version_card
    assert "heron-beacon-8" in str(live)  # the running run, by name first


def test_the_pages_name_runs_by_name_then_id(mlflow_app, runs):
    with mlflow_app.server.app_context():
        rows = session_grid.session_page({"startRow": 0, "endRow": 60}, "24h", "all")["rowData"]
        title, *_ = training.session_detail([{"session_id": runs["failed"]}], [])
        by_name = session_grid.session_page(
            {
                "startRow": 0,
                "endRow": 60,
                "filterModel": {
                    "run_name": {"filterType": "text", "type": "contains", "filter": "lynx"}
                },
            },
            "24h",
            "all",
        )["rowData"]
        ordered = session_grid.session_page(
            {"startRow": 0, "endRow": 60, "sortModel": [{"colId": "run_name", "sort": "asc"}]},
            "24h",
            "all",
        )["rowData"]
    named = {row["session_id"]: row["run_name"] for row in rows}
    assert named[runs["finished"]] == "orca-sentinel-17"
    assert title[0].startswith(f"lynx-warden-3 · {runs['failed']} · Threat Detection")
    assert "· failed ·" in title[0]
    assert [row["session_id"] for row in by_name] == [runs["failed"]]
    names = [row["run_name"] for row in ordered]
    assert names == sorted(names)


def test_with_an_mlflow_ui_the_drill_down_links_to_the_run(store_uri, runs):
    source = source_from_setting(f"mlflow:{store_uri}", SEED, 1, ALIASES)
    app = create_app(
        testing_config(
            DATA_SOURCE_OBJECT=FixedTimeSource(source, FIXED_NOW),
            MLFLOW_UI_URL="http://mlflow.internal:5000/",
        )
    )
    with app.server.app_context():
        title, *_ = training.session_detail([{"session_id": runs["finished"]}], [])
    link = title[-1]
    assert link.href == f"http://mlflow.internal:5000/#/runs/{runs['finished']}"
    assert "Open in MLflow" in str(link.children)


def test_a_store_whose_registry_cannot_be_read_still_serves_its_runs(store_uri, monkeypatch):
    from mlflow.exceptions import MlflowException

    source = MlflowSource(store_uri, ALIASES)

    def unsupported(**_arguments):
        raise MlflowException("Model Registry is not supported on this store")

    monkeypatch.setattr(source.client, "search_model_versions", unsupported)
    snapshot = source.load(FIXED_NOW)
    assert "model_versions" in snapshot.missing
    assert len(snapshot.tables["training_sessions"]) == 6
    assert any("model registry: not read" in note for note in snapshot.notes)
    assert "mlflow.register_model" in snapshot.hints["model_versions"]


def test_a_registry_without_aliases_or_stages_counts_its_newest_version_stable(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("threat_detection")
    run_ids = []
    for hours, version in ((5, "v1.0.0"), (2, "v1.1.0")):
        start = ms(FIXED_NOW - pd.Timedelta(hours=hours))
        run = client.create_run(experiment, start_time=start, tags={"model_version": version})
        client.set_terminated(run.info.run_id, "FINISHED", end_time=start + 60_000)
        run_ids.append(run.info.run_id)
    client.create_registered_model("triage")
    for run_id in run_ids:
        client.create_model_version("triage", f"runs:/{run_id}/model", run_id=run_id)
    versions = MlflowSource(uri).load(FIXED_NOW).tables["model_versions"].set_index("version")
    assert versions["status"].to_dict() == {"v1.0.0": "retired", "v1.1.0": "stable"}
