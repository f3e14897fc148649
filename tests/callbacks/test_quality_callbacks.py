"""Data Quality callbacks called as plain functions, with forged dates and feature names."""

from __future__ import annotations

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from dashboard import create_app
from dashboard.callbacks import data_quality, training
from dashboard.components.drift import DRIFTED, STABLE
from dashboard.data.sources import SimulatorSource, Snapshot
from tests.conftest import FIXED_NOW, SEED, testing_config
from tests.helpers import card_texts, text_of

pytestmark = pytest.mark.usefixtures("app_context")

TODAY = FIXED_NOW.floor("D")
# 45 to 31 days back, and the 15 days before: both entirely before the simulated shift.
BEFORE_SHIFT = (
    (TODAY - pd.Timedelta(days=45)).strftime("%Y-%m-%d"),
    (TODAY - pd.Timedelta(days=31)).strftime("%Y-%m-%d"),
)
FORGED_DATES = [
    ("2026-13-01", "2026-10-01"),
    ("2026-10-15", "2026-10-01"),
    (["2026-10-01"], "2026-10-02"),
    ({"date": "2026-10-01"}, "2026-10-02"),
    (20261001, 20261002),
    ("<script>alert(1)</script>", "2026-10-02"),
    ("2026-10-01", None),
    (True, False),
]


def verdicts(rows: list[dict]) -> dict[str, str]:
    return {row["feature"]: row["verdict"] for row in rows}


def test_cards_show_value_status_change_thresholds_and_flagged_days():
    cards, figure = data_quality.quality("7d", "all", None)
    texts = card_texts(cards)
    assert len(cards) == 8
    assert texts[0].startswith("Data quality score 94.")
    assert "OK" in texts[0] and "Warning < 88% · failing < 85%" in texts[0]
    assert "Composite of the indicators*" in texts[0]
    assert "Warning > 4 days · failing > 7 days" in texts[4]
    assert all("All 7 days within thresholds" in text for text in texts)
    assert len(figure.data) == 8
    assert len(figure.layout.shapes) == 16, "a warning and a failing line per indicator"


def test_the_incident_is_counted_in_a_90_day_range():
    texts = card_texts(data_quality.quality("90d", "all", None)[0])
    completeness = next(text for text in texts if text.startswith("Data completeness"))
    assert "4 of 90 days past a threshold (in some model type)" in completeness


def test_configured_thresholds_change_the_status():
    strict = create_app(testing_config(QUALITY_THRESHOLDS={"quality_score": [0.99, 0.97]}))
    with strict.server.app_context():
        cards, figure = data_quality.quality("7d", "all", None)
    first = card_texts(cards)[0]
    assert "Failing" in first and "Warning < 99% · failing < 97%" in first
    assert figure.layout.shapes[0].y0 == pytest.approx(99)


def test_bad_thresholds_stop_the_app_at_start():
    with pytest.raises(ValueError, match="DASHBOARD_QUALITY_THRESHOLDS"):
        create_app(testing_config(QUALITY_THRESHOLDS={"quality_score": [0.8, 0.9]}))


def test_drift_over_30_days_lists_drifted_and_stable_features():
    windows, verdict, rows = data_quality.drift("30d", "all", None)
    assert verdicts(rows)["bytes_out_log"] == DRIFTED
    assert verdicts(rows)["event_rate"] == STABLE
    assert rows[0]["feature"] == "bytes_out_log", "drifted features come first"
    assert "1 of 6 features drifted" in text_of(verdict)
    assert "Last 30 Days" in text_of(windows) and "the 30 days before" in text_of(windows)


def test_drift_between_chosen_windows_before_the_shift_finds_none():
    _, verdict, rows = data_quality.drift("30d", "all", None, *BEFORE_SHIFT)
    assert set(verdicts(rows).values()) == {STABLE}
    assert text_of(verdict).startswith("No drift")
    reference = (
        (TODAY - pd.Timedelta(days=60)).strftime("%Y-%m-%d"),
        (TODAY - pd.Timedelta(days=46)).strftime("%Y-%m-%d"),
    )
    windows, _, rows = data_quality.drift("7d", "all", None, *BEFORE_SHIFT, *reference)
    assert set(verdicts(rows).values()) == {STABLE}
    assert "chosen dates" in text_of(windows)


def test_all_time_asks_for_a_reference_window():
    _, verdict, rows = data_quality.drift("all", "all", None)
    assert "choose a reference window" in text_of(verdict)
    assert rows == []
    windows, _, rows = data_quality.drift("all", "all", None, None, None, *BEFORE_SHIFT)
    assert rows
    assert "The windows share days" in text_of(windows), "All Time contains any reference"


def test_a_window_without_samples_says_so():
    _, verdict, rows = data_quality.drift(
        "30d", "all", None, None, None, "2020-01-01", "2020-01-31"
    )
    assert "No feature samples of All Models in the reference window" in text_of(verdict)
    assert rows == []


@pytest.mark.parametrize(("start", "end"), FORGED_DATES)
def test_forged_dates_give_a_message_and_no_rows(start, end):
    for dates in ((start, end, None, None), (None, None, start, end)):
        windows, verdict, rows = data_quality.drift("30d", "all", None, *dates)
        assert rows == [] and windows is None
        assert "window" in text_of(verdict)


@pytest.mark.parametrize(("range_key", "model"), [("365d", "all"), ("30d", ["all"]), (None, None)])
def test_forged_filters_give_no_update(range_key, model):
    with pytest.raises(PreventUpdate):
        data_quality.drift(range_key, model, None)
    with pytest.raises(PreventUpdate):
        data_quality.distribution(None, [], range_key, model)


def test_distribution_defaults_to_the_first_row_and_follows_the_selection():
    rows = data_quality.drift("30d", "all", None)[2]
    figure = data_quality.distribution(None, rows, "30d", "all")
    assert figure.layout.title.text.startswith("bytes_out_log")
    assert figure.layout.title.subtitle.text.startswith("Drifted (Wasserstein")
    assert [trace.type for trace in figure.data] == ["bar", "scatter"]
    severity = data_quality.distribution([{"feature": "severity"}], rows, "30d", "all")
    assert [trace.type for trace in severity.data] == ["bar", "bar"]
    assert list(severity.data[0].x) == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    "selected",
    [
        [{"feature": "__class__"}],
        [{"feature": ["bytes_out_log"]}],
        [{"feature": "<img src=x onerror=alert(1)>"}],
        ["bytes_out_log"],
        "bytes_out_log",
        {"feature": "bytes_out_log"},
        [7],
    ],
)
def test_forged_feature_names_give_no_update(selected):
    with pytest.raises(PreventUpdate):
        data_quality.distribution(selected, [], "30d", "all")


def test_distribution_with_bad_windows_says_why():
    rows = data_quality.drift("30d", "all", None)[2]
    figure = data_quality.distribution(None, rows, "all", "all")
    assert "choose a reference window" in figure.layout.annotations[0].text
    empty = data_quality.distribution(None, [], "30d", "all")
    assert "No feature to show" in empty.layout.annotations[0].text


def test_picker_bounds_are_the_days_with_samples():
    bounds = data_quality.picker_bounds(None)
    assert bounds[:3] == ("2026-05-31", "2026-11-26", "2026-11-26")
    assert bounds[3:] == bounds[:3]


def test_training_accuracy_marks_the_incident_and_the_drift_week():
    accuracy = training.training_overview("90d", "all", None)[2]
    names = {shape.name for shape in accuracy.layout.shapes}
    assert names == {"Data quality below threshold", "Feature drift vs week before"}
    assert sum(bool(shape.showlegend) for shape in accuracy.layout.shapes) == 2
    assert "shaded: data-quality warnings, feature drift" in accuracy.layout.title.subtitle.text
    quiet = training.training_overview("7d", "all", None)[2]
    assert not quiet.layout.shapes and "shaded" not in quiet.layout.title.subtitle.text


class WithoutQualityTables:
    """The simulator's tables but data_quality and feature_samples, as from a training tracker."""

    name = "simulator without quality tables"
    hidden = ("data_quality", "feature_samples")

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        full = SimulatorSource(SEED).read(FIXED_NOW)
        tables = {name: table for name, table in full.tables.items() if name not in self.hidden}
        hints = {name: f"export {name} to the data directory" for name in self.hidden}
        return Snapshot(tables, full.as_of, self.name, hints=hints)


def test_a_source_without_quality_tables_says_what_is_missing():
    app = create_app(testing_config(DATA_SOURCE_OBJECT=WithoutQualityTables()))
    with app.server.app_context():
        cards, trends = data_quality.quality("30d", "all", None)
        _, verdict, rows = data_quality.drift("30d", "all", None)
        figure = data_quality.distribution([{"feature": "event_rate"}], [], "30d", "all")
        accuracy = training.training_overview("90d", "all", None)[2]
        with pytest.raises(PreventUpdate):
            data_quality.picker_bounds(None)
    assert "export data_quality to the data directory" in text_of(cards[0])
    assert "export data_quality" in trends.layout.annotations[0].text
    assert "export feature_samples" in text_of(verdict) and rows == []
    assert "export feature_samples" in figure.layout.annotations[0].text
    assert not accuracy.layout.shapes and accuracy.data
