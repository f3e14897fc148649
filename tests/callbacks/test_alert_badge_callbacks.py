"""The navbar's alert badge: the callback lists what conditions_of finds in the exported
figures, each linking to its page; the builder's empty and waiting states; a source without
some tables exports and judges only what it has."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest

from dashboard import create_app
from dashboard.callbacks import alert_badge as badge_callbacks
from dashboard.components.alert_badge import alert_badge
from dashboard.conditions import Condition
from dashboard.data.health import model_health
from simulator import simulate
from simulator.io import write_tables
from tests.conftest import FIXED_NOW, SEED, testing_config
from tests.helpers import text_of
from tests.serving.harness import wait_for


def menu_items(menu: dbc.DropdownMenu) -> list[dbc.DropdownMenuItem]:
    return [item for item in menu.children if getattr(item, "href", None)]


@pytest.mark.usefixtures("app_context")
def test_the_badge_lists_every_condition_that_holds_with_its_link():
    model_health(wait=True)
    held = badge_callbacks.holding_conditions()
    # The test data is pinned days in the past, so its active sessions have long gone silent.
    assert "TrainingStale" in {condition.alert for condition in held}
    menu, retry_disabled = badge_callbacks.badge(None)
    assert isinstance(menu, dbc.DropdownMenu) and retry_disabled
    items = menu_items(menu)
    assert sorted((text_of(item), item.href) for item in items) == sorted(
        (condition.summary, condition.href) for condition in held
    )
    assert f"{len(held)} alert" in text_of(menu.label[1])


def test_the_worst_condition_colours_the_badge_and_comes_first():
    warning = Condition(
        "TrainingSessionFailed", "Threat Detection: 1 failed session", "threat_detection"
    )
    critical = Condition("DashboardDataStale", "Data last read 9 min ago")
    menu = alert_badge([warning, critical])
    assert menu.color == "danger"
    assert [item.href for item in menu_items(menu)] == [
        "/?model=all",
        "/training?range=24h&model=threat_detection",
    ]
    assert text_of(menu.label[1]) == "2 alerts"


def test_no_condition_and_no_data_yet_say_so():
    assert "No alerts" in text_of(alert_badge([]))
    assert "waiting for data" in text_of(alert_badge(None))
    assert "being checked" in text_of(alert_badge(None, checking=True))


def test_a_worker_without_figures_answers_at_once_and_lists_them_once_computed():
    app = create_app(testing_config())  # a new app: no figures computed yet
    with app.server.test_request_context("/"):
        # the first call starts their computation, does not wait, and asks to be called again
        first, retry_disabled = badge_callbacks.badge(None)
        assert text_of(first) == "Alerts: being checked" and not retry_disabled

        def listed() -> object:
            shown, retry_disabled = badge_callbacks.badge(None, 1)
            return shown if isinstance(shown, dbc.DropdownMenu) and retry_disabled else None

        menu = wait_for(listed, 60, "the badge never listed the conditions", interval=0.2)
    assert "alert" in text_of(menu.label[1])


def test_a_source_with_training_runs_only_exports_what_it_has(tmp_path):
    tables = simulate(seed=SEED, scale=1, now=FIXED_NOW)
    kept = ("training_sessions", "training_metrics", "resource_usage")
    write_tables({name: tables[name] for name in kept}, tmp_path / "runs", "parquet")
    app = create_app(
        testing_config(
            DATA_SOURCE_OBJECT=None,
            DATA_SOURCE=str(tmp_path / "runs"),
            DATA_DIR=str(tmp_path / "store"),
        )
    )
    client = app.server.test_client()

    def scraped() -> list[str] | None:
        # a worker's first scrape starts computing the figures; a later one has them
        body = client.get("/metrics").get_data(as_text=True)
        samples = [line for line in body.splitlines() if not line.startswith("#")]
        return samples if "dashboard_model_health_available 1.0" in samples else None

    samples = wait_for(scraped, 60, "the figures never reached /metrics", interval=0.5)
    assert any(line.startswith("dashboard_training_sessions_active{") for line in samples)
    for absent in ("dashboard_soc_", "dashboard_data_quality_", "dashboard_experiment_"):
        assert not any(line.startswith(absent) for line in samples), absent
    with app.server.app_context():
        held = badge_callbacks.holding_conditions()
    assert {condition.alert for condition in held} <= {
        "TrainingStale",
        "TrainingSessionFailed",
        "NoTrainingStarted",
        "TrainingGpuIdle",
    }
