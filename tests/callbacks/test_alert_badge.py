"""The navbar's alert badge: the callback lists what conditions_of finds in the exported
figures, each linking to its page; the builder's empty and waiting states."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest

from dashboard.callbacks import alert_badge as badge_callbacks
from dashboard.components.alert_badge import alert_badge
from dashboard.conditions import Condition
from tests.helpers import text_of


def menu_items(menu: dbc.DropdownMenu) -> list[dbc.DropdownMenuItem]:
    return [item for item in menu.children if getattr(item, "href", None)]


@pytest.mark.usefixtures("app_context")
def test_the_badge_lists_every_condition_that_holds_with_its_link():
    held = badge_callbacks.holding_conditions()
    # The test data is pinned days in the past, so its active sessions have long gone silent.
    assert "TrainingStale" in {condition.alert for condition in held}
    menu = badge_callbacks.badge(None, "/")
    assert isinstance(menu, dbc.DropdownMenu)
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
