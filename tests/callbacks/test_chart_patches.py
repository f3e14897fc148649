"""Every chart a filter change redraws: the Patch of its new figure, applied to its figure for
other filters (or to an empty state), is the new figure: nothing it shows is lost."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard.callbacks import ab_testing, data_quality, overview, resources, training
from dashboard.callbacks.figure_updates import figure_patch
from dashboard.components.theme import empty_figure
from tests.unit.test_figure_updates import applied, plain

pytestmark = pytest.mark.usefixtures("app_context")


def figures(answer: object) -> list[go.Figure]:
    values = answer if isinstance(answer, tuple | list) else [answer]
    return [value for value in values if isinstance(value, go.Figure)]


def latest_experiment() -> str:
    return ab_testing.picker_choices().experiment


CHARTS = {
    "overview": lambda r, m: overview.impact(r, m, None),
    "training": lambda r, m: training.training_overview(r, m, None),
    "training durations": lambda r, m: training.training_durations(r, m, None),
    "data quality": lambda r, m: data_quality.quality(r, m, None),
    "resources": lambda r, m: resources.resources(r, m, None),
    "per-GPU heatmap": lambda r, m: resources.resources_per_gpu(r, m, None),
    "A/B comparison": lambda r, m: ab_testing.comparison(
        r, m, None, "experiment", latest_experiment(), None, None
    ),
    "A/B trends": lambda r, m: ab_testing.version_trends(r, m, None, "automation_rate"),
}


@pytest.mark.parametrize("chart", CHARTS)
def test_a_filter_change_patch_gives_the_whole_new_figure(chart):
    before = figures(CHARTS[chart]("30d", "all"))
    after = figures(CHARTS[chart]("24h", "threat_detection"))
    assert before and len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        expected = plain(new.to_plotly_json())
        assert applied(figure_patch(new), old.to_plotly_json()) == expected
        # From an empty state (no data, or a table missing earlier) as well.
        empty = empty_figure("x", "y").to_plotly_json()
        assert applied(figure_patch(new), empty) == expected
