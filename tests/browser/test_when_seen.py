"""A chart below the fold is drawn when it is scrolled into view, not before
(components/layout.py when_seen), and then follows the filters like any other."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import create_app, ids
from tests.browser.test_page_keeping import OUTPUTS, WATCH_REQUESTS
from tests.browser.test_pages import PLOTTED_POINTS, wait_for_chart, wait_for_subtitle
from tests.conftest import testing_config

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    dash_duo.driver.set_window_size(1366, 900)
    return dash_duo


def test_a_chart_below_the_fold_is_drawn_when_scrolled_to(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training")
    dashboard.driver.execute_script(WATCH_REQUESTS)
    dashboard._wait_for(
        lambda driver: driver.execute_script(PLOTTED_POINTS, ids.TR_ACCURACY) > 0,
        timeout=20,
        msg="the accuracy chart, at the top, was never drawn",
    )
    # The charts at the top are drawn; the durations chart, below the fold, is not asked for.
    time.sleep(1.0)
    assert dashboard.driver.execute_script(PLOTTED_POINTS, ids.TR_DURATION) <= 0
    assert not [o for o in dashboard.driver.execute_script(OUTPUTS) if ids.TR_DURATION in o]
    wait_for_chart(dashboard, ids.TR_DURATION)  # scrolls to it
    assert [o for o in dashboard.driver.execute_script(OUTPUTS) if ids.TR_DURATION in o]
    # Once seen, it follows the filters.
    dashboard.driver.execute_script("window.scrollTo(0, 0);")
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    wait_for_subtitle(dashboard, ids.TR_DURATION, "Last 7 Days")
    assert dashboard.get_logs() == []
