"""Every page on data shaped like a real source's: MLflow runs without a `model_version` tag or
a `failure_reason`, runs that never logged a validation metric, no release table, an indicator
the pipeline does not report, open responses. No callback raises; a missing value shows as
a dash or "unknown", never as pandas' "<NA>" or "nan".

The query layer's answers are taken from the simulator and blanked the way such a source
leaves them (the public query functions, whatever computes them, keep their frame shapes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import create_app
from dashboard.callbacks import (
    ab_testing,
    data_quality,
    overview,
    resources,
    session_grid,
    training,
)
from dashboard.components.ab_controls import NO_CHOICES
from dashboard.data import experiments, queries
from dashboard.data import quality as quality_data
from dashboard.data.sources import MissingTable
from tests.conftest import testing_config
from tests.helpers import card_texts, text_of

RANGES = ("24h", "7d", "30d", "all")
NO_RELEASES = MissingTable("model_versions", "add model_versions.csv to the tables directory")
SHOWN_MISSING = ("<NA>", "nan", "NaT", "None")


@pytest.fixture(scope="module")
def uncached_app():
    # No query cache and no memoised views: every call computes from the patched answers.
    return create_app(testing_config(CACHE_TYPE="NullCache"))


def runs_without_tags(sessions: pd.DataFrame) -> pd.DataFrame:
    """Sessions as MLflow gives runs with no model_version / failure_reason tag and no
    validation metric."""
    sessions = sessions.copy()
    for column in ("model_version", "failure_reason"):
        sessions[column] = pd.array([pd.NA] * len(sessions), dtype="string")
    for column in ("val_accuracy", "val_loss"):
        sessions[column] = np.nan
    return sessions


def blank(query, reshape):
    return lambda *args: reshape(query(*args))


@pytest.fixture
def real_shaped(uncached_app, monkeypatch):
    """The uncached app's context, its query answers shaped like a real source's."""
    for name in ("sessions_in_range", "active_sessions"):
        monkeypatch.setattr(queries, name, blank(getattr(queries, name), runs_without_tags))

    def one_run(summary: pd.Series) -> pd.Series:
        return runs_without_tags(summary.to_frame().T).iloc[0]

    def training_only(metrics: pd.DataFrame) -> pd.DataFrame:
        return metrics[~metrics["metric"].astype(str).str.startswith("val_")]

    def no_validation_means(trends: pd.DataFrame) -> pd.DataFrame:
        return trends.assign(val_accuracy=np.nan, val_loss=np.nan)

    def no_releases(*_args):
        raise NO_RELEASES

    monkeypatch.setattr(queries, "session_summary", blank(queries.session_summary, one_run))
    monkeypatch.setattr(queries, "session_metrics", blank(queries.session_metrics, training_only))
    trends = blank(queries.session_trends, no_validation_means)
    monkeypatch.setattr(queries, "session_trends", trends)
    monkeypatch.setattr(queries, "current_version", no_releases)
    monkeypatch.setattr(queries, "model_versions", no_releases)
    monkeypatch.setattr(experiments, "compared_versions", no_releases)
    monkeypatch.setattr(experiments, "version_summary", no_releases)
    with uncached_app.server.app_context():
        yield


def assert_no_missing_marker(text: str) -> None:
    for marker in SHOWN_MISSING:
        assert marker not in text.split(), (marker, text[:300])


pytestmark = pytest.mark.usefixtures("real_shaped")


@pytest.mark.parametrize("range_key", RANGES)
def test_overview_without_versions_validation_metrics_or_a_release_table(range_key):
    cards, live = overview.headline(range_key, "all", None)
    texts = card_texts(cards)
    assert texts[0].startswith("Current model version –") and "No model_versions table" in texts[0]
    assert "Best model accuracy –" in texts[3]
    assert "logged a validation accuracy" in texts[3] or "No completed session" in texts[3]
    assert "version unknown" in text_of(live) or "No All Models session" in text_of(live)
    rows = overview.last_sessions(range_key, "all", None)
    assert {row["model_version"] for row in rows} <= {"–"}
    assert all(row["val_accuracy"] is None for row in rows)
    for text in [*texts, text_of(live)]:
        assert_no_missing_marker(text)


@pytest.mark.parametrize("range_key", RANGES)
def test_training_with_failures_that_name_no_reason(range_key):
    cards, live, accuracy, loss = training.training_overview(range_key, "all", None)
    duration = training.training_durations(range_key, "all", None)
    texts = card_texts(cards)
    sessions = queries.sessions_in_range(range_key, "all")
    if (sessions["status"] == "failed").any():
        assert "Most common: unknown" in texts[3]
    assert "Validation –" in texts[1]
    hovers = [
        str(value)
        for trace in accuracy.data
        if trace.customdata is not None
        for value in np.ravel(trace.customdata)
    ]
    assert not any("<NA>" in value for value in hovers)
    for text in [*texts, text_of(live), accuracy.layout.title.text, loss.layout.title.text]:
        assert_no_missing_marker(text)
    assert duration.data


def test_training_drill_down_of_a_failed_run_without_a_reason():
    sessions = queries.sessions_in_range("30d", "all")
    failed = sessions.loc[sessions["status"] == "failed", "session_id"].iloc[-1]
    title, curves, gpu = training.session_detail([{"session_id": failed}], "30d", "all")
    assert "version unknown" in title[0] and title[0].endswith("failed: unknown")
    assert ", version unknown" in curves.layout.title.text
    names = {trace.name for trace in curves.data if len(trace.x)}
    assert names == {"Training accuracy", "Training loss"}
    assert gpu.layout.title.text


def test_training_zoom_and_grid_show_unknown_values():
    figure = training.zoomed_accuracy({"xaxis.autorange": True}, "30d", "all")
    assert figure
    page = session_grid.session_page({"startRow": 0, "endRow": 200}, "30d", "all")
    rows = page["rowData"]
    assert {row["model_version"] for row in rows} == {"–"}
    assert {row["failure_reason"] for row in rows if row["status"] == "failed"} == {"unknown"}
    assert {row["failure_reason"] for row in rows if row["status"] != "failed"} == {""}
    csv = session_grid.session_csv(1, {}, "30d", "all", "sessions")["content"]
    assert "<NA>" not in csv


def test_ab_testing_without_a_release_table(monkeypatch):
    assert ab_testing.initial_choices() == NO_CHOICES  # the picker waits, the page renders
    shown = ab_testing.comparison("30d", "all", None, "experiment", "EXP-006", None, None)
    assert "EXP-006" in text_of(shown[0]) and "always-valid" in text_of(shown[3])
    with pytest.raises(MissingTable):  # answered with "needs the model_versions table"
        ab_testing.version_table("all", None)


def test_ab_testing_when_every_response_is_still_open(monkeypatch):
    def open_responses(comparison, model):
        summary = arm_summary(comparison, model).copy()
        summary[["responded"]] = 0
        summary[["response_mean", "response_sd"]] = np.nan
        return summary

    arm_summary = experiments.arm_summary
    monkeypatch.setattr(experiments, "arm_summary", open_responses)
    summary, *_rest, forest, cumulative = ab_testing.comparison(
        "30d", "all", None, "experiment", "EXP-006", None, None
    )
    assert "Too few All Models alerts in one arm" in text_of(summary)
    assert forest.layout.annotations and cumulative.layout.annotations


def test_data_quality_with_an_indicator_the_pipeline_does_not_report(monkeypatch):
    def without_diversity(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if "diversity" in frame.columns:
            frame["diversity"] = np.nan
        else:
            frame.loc["diversity"] = np.nan
        return frame

    for name in ("quality_daily", "quality_summary"):
        query = getattr(quality_data, name)
        monkeypatch.setattr(quality_data, name, blank(query, without_diversity))
    cards, figure = data_quality.quality("30d", "all", None)
    diversity = next(text for text in card_texts(cards) if text.startswith("Data diversity"))
    assert "–" in diversity and "no data" in diversity.lower()
    assert_no_missing_marker(diversity)
    assert figure.data
    _summary, verdict, rows = data_quality.drift("30d", "all", None)
    assert rows and verdict is not None


def test_resources_without_gpu_telemetry_in_the_range(monkeypatch):
    def nothing(_range_key, _model, _points=None):
        return pd.Series(
            np.nan,
            index=[
                "gpus",
                "gpu_util_training",
                "gpu_mem_peak_gb",
                "gpu_mem_total_gb",
                "host_mem_peak_gb",
                "busy_share",
            ],
        )

    monkeypatch.setattr(queries, "resource_summary", nothing)
    cards, utilisation, memory = resources.resources("24h", "all", None)
    heatmap = resources.resources_per_gpu("24h", "all", None)
    texts = card_texts(cards)
    assert texts[0].startswith("GPU utilisation while training –") and "0 GPUs" in texts[0]
    for text in texts:
        assert_no_missing_marker(text)
    assert utilisation and memory and heatmap
