"""Drift and quality-mark queries on the simulator, whose features shift 21 days before today."""

from __future__ import annotations

from unittest import mock

import pandas as pd
import pytest

from dashboard import create_app
from dashboard.analysis.quality import DEFAULT_THRESHOLDS, Threshold, quality_thresholds
from dashboard.data import quality, queries
from dashboard.data.cache import cache
from dashboard.data.filters import Window
from dashboard.data.sources import SimulatorSource, Snapshot
from simulator.features import DRIFT_DAYS
from tests.conftest import FIXED_NOW, SEED, FixedTimeSource, testing_config

pytestmark = pytest.mark.usefixtures("app_context")

TODAY = FIXED_NOW.floor("D")
SHIFT_DAY = TODAY - pd.Timedelta(days=DRIFT_DAYS - 1)  # the first day of shifted samples
INCIDENT_DAYS = pd.date_range(TODAY - pd.Timedelta(days=46), periods=4, freq="D")


def days_back(newest: int, oldest: int) -> Window:
    """The whole days from `oldest` to `newest` days before today, both included."""
    return Window(TODAY - pd.Timedelta(days=oldest), TODAY - pd.Timedelta(days=newest - 1))


def verdicts(report: quality.DriftReport) -> dict[str, object]:
    return report.features.set_index("feature")["drifted"].to_dict()


def test_the_last_30_days_against_the_30_before_show_the_shift_of_bytes_out():
    current = queries.window("30d")
    report = quality.drift_report("all", current, current.previous())
    drifted = verdicts(report)
    assert drifted["bytes_out_log"] is True
    assert drifted["event_rate"] is False
    assert sum(value is True for value in drifted.values()) == 1
    assert report.dataset["n_drifted"] == 1 and report.dataset["drifted"] is False
    row = report.features.set_index("feature").loc["bytes_out_log"]
    assert row["test"] == "wasserstein" and row["statistic"] > 0.3
    assert row["band"] in ("moderate", "significant")
    assert report.current_days == (TODAY - pd.Timedelta(days=29), TODAY)
    assert not report.overlap


def test_a_week_starting_at_the_shift_against_the_week_before_it_drifts():
    current = Window(SHIFT_DAY, SHIFT_DAY + pd.Timedelta(days=7))
    report = quality.drift_report("threat_detection", current, current.previous())
    assert verdicts(report)["bytes_out_log"] is True
    assert verdicts(report)["event_rate"] is False


def test_windows_entirely_before_the_shift_show_no_drift():
    report = quality.drift_report("all", days_back(30, 44), days_back(45, 59))
    assert set(verdicts(report).values()) == {False}
    assert report.dataset["n_drifted"] == 0


def test_small_samples_get_p_value_tests_and_no_psi_band():
    current = queries.window("24h")
    report = quality.drift_report("threat_detection", current, current.previous())
    table = report.features.set_index("feature")
    assert table.loc["event_rate", "test"] == "ks"
    assert table.loc["severity", "test"] in ("chisquare", "jensenshannon")
    assert table["band"].isna().all()
    assert table["note"].str.contains("PSI band needs").all()
    assert (table["n_current"] == 40).all()


def test_windows_without_samples_leave_every_feature_untested():
    before_the_data = Window(
        pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2020-02-01", tz="UTC")
    )
    report = quality.drift_report("all", queries.window("7d"), before_the_data)
    assert report.reference_days is None and report.dataset is None
    assert report.features["drifted"].isna().all()
    assert report.features["note"].str.contains("fewer than").all()


def test_overlapping_windows_are_flagged():
    report = quality.drift_report("all", days_back(0, 9), days_back(5, 14))
    assert report.overlap


def test_equal_drift_requests_share_one_cache_entry():
    current, reference = days_back(60, 66), days_back(67, 73)
    with mock.patch.object(quality, "feature_drift", wraps=quality.feature_drift) as spy:
        first = quality.drift_report("incident_classification", current, reference)
        calls = spy.call_count
        again = quality.drift_report(
            "incident_classification", Window(current.start, current.end), reference
        )
        assert spy.call_count == calls, "the second equal request was computed again"
        quality.drift_report("response_automation", current, reference)
        assert spy.call_count > calls
    pd.testing.assert_frame_equal(first.features, again.features)


@pytest.mark.parametrize(
    ("model", "current", "reference"),
    [
        ("everything", Window(None, FIXED_NOW), Window(None, FIXED_NOW)),
        ("all", "30d", Window(None, FIXED_NOW)),
        ("all", Window(FIXED_NOW, FIXED_NOW), Window(None, FIXED_NOW)),
    ],
)
def test_drift_report_refuses_bad_arguments(model, current, reference):
    with pytest.raises(ValueError):
        quality.drift_report(model, current, reference)


def test_day_window_covers_both_dates_whole():
    span = quality.day_window("2026-10-01", "2026-10-15")
    assert span == Window(
        pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-10-16", tz="UTC")
    )
    assert quality.day_window("2026-10-01T00:00:00", "2026-10-01").length == pd.Timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-10-15", "2026-10-01", "before the start"),
        ("2026-02-30", "2026-03-01", "does not exist"),
        ("1066-10-14", "2026-03-01", "out of range"),
        ("yesterday", "2026-03-01", "not a date"),
        ("<script>alert(1)</script>", "2026-03-01", "not a date"),
        (["2026-10-01"], "2026-10-02", "not a date"),
        (20261001, "2026-10-02", "not a date"),
        (None, "2026-10-02", "not a date"),
        ("2026-10-01" + "x" * 10_000, "2026-10-02", "not a date"),
    ],
)
def test_day_window_refuses_what_is_not_two_dates_in_order(start, end, message):
    with pytest.raises(ValueError, match=message):
        quality.day_window(start, end)


def test_feature_distribution_uses_common_bins_or_categories():
    current = queries.window("30d")
    numeric = quality.feature_distribution("all", "bytes_out_log", current, current.previous())
    assert numeric["edges"] is not None
    assert sum(numeric["current_shares"]) == pytest.approx(1.0)
    categorical = quality.feature_distribution("all", "severity", current, current.previous())
    assert categorical["categories"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="unknown feature"):
        quality.feature_distribution("all", "__class__", current, current.previous())


def test_features_are_the_simulated_ones():
    assert quality.features() == sorted(
        [
            "event_rate",
            "bytes_out_log",
            "unique_dest_ports",
            "severity",
            "asset_criticality",
            "dwell_time_log",
        ]
    )


def test_marks_over_90_days_are_the_quality_incident_and_the_week_of_the_shift():
    marks = quality.quality_marks("90d", "all", DEFAULT_THRESHOLDS)
    quality_days = marks.loc[marks["reason"] == "quality", "date"]
    drift_days = marks.loc[marks["reason"] == "drift", "date"]
    assert list(quality_days) == list(INCIDENT_DAYS)
    assert list(drift_days) == list(pd.date_range(SHIFT_DAY, periods=7, freq="D"))
    assert str(marks["date"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize("model", ["threat_detection", "response_automation"])
def test_marks_of_one_model_type_find_the_same_incident_without_false_alarms(model):
    marks = quality.quality_marks("all", model, DEFAULT_THRESHOLDS)
    assert set(marks.loc[marks["reason"] == "quality", "date"]) == set(INCIDENT_DAYS)
    assert marks.loc[marks["reason"] == "drift", "date"].min() == SHIFT_DAY
    assert (marks["reason"] == "drift").sum() == 7


def test_a_week_after_the_shift_has_no_marks():
    marks = quality.quality_marks("7d", "all", DEFAULT_THRESHOLDS)
    assert marks.empty
    assert list(marks.columns) == ["date", "reason"]


def test_stricter_thresholds_mark_more_days():
    strict = quality_thresholds({"quality_score": [0.99, 0.5]})
    marks = quality.quality_marks("30d", "all", strict)
    assert (marks["reason"] == "quality").sum() == 30


def test_marks_refuse_forged_filters():
    with pytest.raises(ValueError):
        quality.quality_marks("365d", "all", {"x": Threshold(1, 0)})


class StaleThreatDetection:
    """The tests' simulated data, but Threat Detection's data is ten days stale on the latest
    day and its label accuracy failed three days before it."""

    name = "simulator with a stale model type"

    def __init__(self) -> None:
        self.source = FixedTimeSource(SimulatorSource(SEED), FIXED_NOW)

    def read(self, now, since=None):
        snapshot = self.source.read(now, None)
        quality_rows = snapshot.tables["data_quality"].copy()
        latest = quality_rows["date"].max()
        threat = quality_rows["model_type"] == "threat_detection"
        quality_rows.loc[threat & (quality_rows["date"] == latest), "freshness_days"] = 10.0
        three_days_before = latest - pd.Timedelta(days=3)
        failed = threat & (quality_rows["date"] == three_days_before)
        quality_rows.loc[failed, "label_accuracy"] = 0.5
        tables = {**snapshot.tables, "data_quality": quality_rows}
        return Snapshot(tables, snapshot.as_of, self.name)


def test_one_stale_model_type_fails_the_all_models_card_on_the_latest_day(tmp_path):
    app = create_app(testing_config(DATA_SOURCE_OBJECT=StaleThreatDetection()))
    thresholds = quality_thresholds(None)
    with app.server.app_context():
        summary = quality.quality_summary("30d", "all", thresholds)
        daily = quality.quality_daily("30d", "all")
    freshness = summary.loc["freshness_days"]
    assert freshness["status"] == "failing"
    assert freshness["worst_model_type"] == "threat_detection"
    # All Models freshness is the oldest model type's: 10 days on the latest day.
    assert daily["freshness_days"].iloc[-1] == 10.0
    label = summary.loc["label_accuracy"]
    # Three days ago is not the latest day: the status is the latest day's, the day is counted.
    assert label["status"] == "ok" and label["days_below"] >= 1


def test_all_models_weights_model_types_by_their_training_samples():
    span = queries.window("7d")
    rows = quality.quality_by_model(span, "all")
    day = rows["date"].max() - pd.Timedelta(days=1)
    that_day = rows[rows["date"] == day]
    weights = that_day["samples"]
    assert (weights > 0).all()
    expected = (that_day["label_accuracy"] * weights).sum() / weights.sum()
    daily = quality.quality_daily("7d", "all").set_index("date")
    assert daily.loc[day, "label_accuracy"] == pytest.approx(expected)
    assert daily.loc[day, "label_accuracy"] != pytest.approx(that_day["label_accuracy"].mean())


def test_a_new_generation_with_the_same_samples_keeps_the_drift_report():
    # Every refresh publishes a generation (new alerts); the samples arrive once a day.
    current, reference = days_back(20, 26), days_back(27, 33)
    first = quality.drift_report("threat_detection", current, reference)
    with (
        mock.patch.object(quality, "key", return_value="a later generation"),
        mock.patch.object(quality, "feature_drift", wraps=quality.feature_drift) as spy,
    ):
        again = quality.drift_report("threat_detection", current, reference)
        shares = quality.feature_distribution("threat_detection", "severity", current, reference)
    assert spy.call_count == 0, "the report was computed again for the same samples"
    pd.testing.assert_frame_equal(first.features, again.features)
    assert shares["reference_shares"]


def test_windows_that_hold_the_same_sample_days_share_one_report():
    # A range ending 'now' moves every refresh but holds the same days until midnight.
    current = days_back(0, 6)
    later = Window(current.start, current.end - pd.Timedelta(hours=5))
    reference = days_back(7, 13)
    first = quality.drift_report("all", current, reference)
    with mock.patch.object(quality, "feature_drift", wraps=quality.feature_drift) as spy:
        again = quality.drift_report("all", later, reference)
    assert spy.call_count == 0
    assert again.current_days == first.current_days


def test_a_feature_with_more_samples_than_the_cap_is_tested_on_a_fixed_sample():
    current, reference = days_back(0, 29), days_back(30, 59)
    whole = quality.drift_report("all", current, reference).features.set_index("feature")
    cache.clear()
    try:
        with mock.patch.object(quality, "DRIFT_SAMPLE_MAX", 2_000):
            capped = quality.drift_report("all", current, reference)
            cache.clear()
            again = quality.drift_report("all", current, reference)
    finally:
        cache.clear()
    sampled = capped.features.set_index("feature")
    pd.testing.assert_frame_equal(capped.features, again.features)  # the same sample each time
    assert sampled["drifted"].equals(whole["drifted"])
    assert (sampled[["n_reference", "n_current"]] == whole[["n_reference", "n_current"]]).all(
        axis=None
    )
    tested_on_sample = sampled["note"].str.contains("sampled values")
    assert tested_on_sample.any() and (~tested_on_sample).any()
    # continuous features: a sample of about the cap, statistics close to the whole's
    close = (sampled.loc[tested_on_sample, "psi"] - whole.loc[tested_on_sample, "psi"]).abs()
    assert (close < 0.05).all(), close
    # features of few distinct values (categories, counts) are counted whole: exact
    exact = ~tested_on_sample
    pd.testing.assert_series_equal(sampled.loc[exact, "statistic"], whole.loc[exact, "statistic"])
    assert "severity" in sampled.index[exact]
