"""Every page's callbacks called as plain functions: what they return for the filters."""

from __future__ import annotations

from unittest import mock

import pytest
from dash.exceptions import PreventUpdate

from dashboard.callbacks import (
    ab_testing,
    data_quality,
    overview,
    resources,
    session_grid,
    shell,
    training,
)
from dashboard.callbacks.views import views_of_app
from dashboard.components import format as fmt
from dashboard.data import queries
from dashboard.data.cache import cache
from dashboard.domain import MODEL_LABELS, TIME_RANGES
from tests.helpers import card_texts

pytestmark = pytest.mark.usefixtures("app_context")

FORGED = [
    ("365d", "all"),
    ("30d", "<script>alert(1)</script>"),
    (["30d"], "all"),
    ({"x": 1}, "all"),
    (None, None),
    ("30d", 7),
]


def trace_points(figure) -> int:
    return sum(len(trace.x) for trace in figure.data if trace.x is not None)


@pytest.mark.parametrize(
    "callback",
    [
        overview.headline,
        overview.impact,
        overview.last_sessions,
        training.training_overview,
        data_quality.quality,
        resources.resources,
    ],
)
@pytest.mark.parametrize(("range_key", "model"), FORGED)
def test_forged_filters_never_reach_the_query_layer(callback, range_key, model):
    with pytest.raises(PreventUpdate):
        callback(range_key, model, None)


@pytest.mark.parametrize("model", ["<script>alert(1)</script>", 7, None, ["all"], {"x": 1}])
def test_a_forged_model_type_never_reaches_the_version_table(model):
    with pytest.raises(PreventUpdate):
        ab_testing.version_table(model, None)


def test_overview_headline_shows_the_filtered_samples_and_the_current_version():
    cards, live = overview.headline("30d", "all", None)
    texts = card_texts(cards)
    total = queries.sessions_in_range("30d", "all")["samples"].sum()
    assert "v5.2.1" in texts[0]
    assert "Active" in texts[1]
    assert fmt.count(total) in texts[2]
    assert "Training now" in str(live.children[0].children)


def test_overview_impact_gives_three_kpis_and_a_chart_with_data():
    cards, figure = overview.impact("90d", "all", None)
    assert len(cards) == 3
    assert "→" in card_texts(cards)[0]
    assert trace_points(figure) > 0
    assert "Live alerts" in figure.layout.title.subtitle.text


def test_overview_changes_with_the_model_filter():
    everything = card_texts(overview.headline("30d", "all", None)[0])[2]
    one_type = card_texts(overview.headline("30d", "response_automation", None)[0])[2]
    assert everything != one_type


def test_last_sessions_lists_ten_newest_first():
    rows = overview.last_sessions("30d", "all", None)
    assert len(rows) == 10
    assert [row["started_at"] for row in rows] == sorted(
        (row["started_at"] for row in rows), reverse=True
    )


def test_training_overview_fills_every_output():
    cards, _live, accuracy, loss = training.training_overview("7d", "all", None)
    duration = training.training_durations("7d", "all", None)
    assert len(cards) == 4
    assert trace_points(accuracy) > 0 and trace_points(loss) > 0 and trace_points(duration) > 0
    # The sessions grid asks for its rows block by block (session_grid.session_page).
    first = session_grid.session_page({"startRow": 0, "endRow": 500}, "7d", "all")
    assert first["rowCount"] == len(queries.sessions_in_range("7d", "all"))
    assert {row["status"] for row in first["rowData"]} <= {"active", "completed", "failed"}


def test_training_drill_down_defaults_to_the_newest_session_and_rejects_forged_ids():
    rows = session_grid.session_page({"startRow": 0, "endRow": 60}, "7d", "all")["rowData"]
    title, curves, gpu = training.session_detail([], "7d", "all")
    assert rows[0]["session_id"] in title[0]
    assert trace_points(curves) > 0 and trace_points(gpu) > 0
    for forged in ([{"session_id": "TS-999999999"}], [{"session_id": ["x"]}], ["nope"], "x"):
        with pytest.raises(PreventUpdate):
            training.session_detail(forged, "7d", "all")


def test_empty_filters_give_a_clear_empty_state():
    # A 24-hour window of one model type can be empty; the figure then says so instead of failing.
    for model in (
        "threat_detection",
        "false_positive_filter",
        "incident_classification",
        "response_automation",
    ):
        figure = training.training_overview("24h", model, None)[2]
        if not figure.data:
            assert "No training sessions" in figure.layout.annotations[0].text


def test_version_table_and_trends():
    rows = ab_testing.version_table("all", None)
    assert [row["version"] for row in rows][:5] == [
        "v4.1.0",
        "v4.2.0",
        "v5.0.0",
        "v5.1.0",
        "v5.2.1",
    ]
    figure = ab_testing.version_trends("90d", "all", None, "false_positive_rate")
    assert len(figure.data) >= 2, "90 days span more than one version"
    with pytest.raises(PreventUpdate):
        ab_testing.version_trends("90d", "all", None, "__class__")


def test_data_quality_gives_eight_indicators_and_their_trends():
    cards, figure = data_quality.quality("7d", "all", None)
    texts = card_texts(cards)
    assert len(cards) == 8
    assert texts[0].startswith("Data quality score 94.")
    assert len(figure.data) == 8


def test_resources_fill_every_output():
    cards, utilisation, memory = resources.resources("24h", "all", None)
    heatmap = resources.resources_per_gpu("24h", "all", None)
    assert len(cards) == 4
    assert trace_points(utilisation) > 0 and trace_points(memory) > 0 and heatmap.data
    # The heatmap counts its GPUs apart (another worker may be computing the summary): the same.
    gpus = int(queries.resource_summary("24h", "all")["gpus"])
    assert gpus > 0 and f" {gpus} GPUs " in heatmap.layout.title.subtitle.text
    assert f" {gpus} GPUs " in utilisation.layout.title.subtitle.text
    assert session_grid.session_page({"startRow": 0, "endRow": 60}, "24h", "all")["rowData"]


@pytest.mark.parametrize("range_key", ["24h", "7d"])
def test_a_cold_resources_view_runs_one_fleet_query_for_its_charts_and_figures(range_key):
    cache.clear()
    views_of_app().clear()
    with mock.patch.object(queries, "fetch", wraps=queries.fetch) as spy:
        resources.resources(range_key, "all", None, 1366)
    # The fleet sums per bucket (the charts, and totalled, the headline figures) and the GPUs
    # counted in the range: no second query of the window's fleet cells for the figures.
    assert spy.call_count == 2


def test_the_browser_checks_the_url_against_every_allowed_filter_value():
    # The URL's filters are read in the browser (tests/browser/test_page_keeping.py): its
    # script holds the domain module's values and labels, and nothing else.
    script = shell.filter_vocabulary_script()
    for key, (label, _) in TIME_RANGES.items():
        assert f'"{key}": "{label}"' in script
    for key, label in MODEL_LABELS.items():
        assert f'"{key}": "{label}"' in script
    assert "VOCABULARY" not in script and "MAX_QUERY" not in script


def test_data_status_says_when_the_data_is_from():
    updated, warning = shell.data_status(None)
    assert updated.startswith("Data as of 2026-11-26 13:30 UTC")
    assert warning is None
