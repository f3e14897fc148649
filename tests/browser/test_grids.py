"""The wide grids in Chromium: they fit a 1366 px screen without a sideways scrollbar or a cut
value, and the sessions grid (infinite row model) asks for its first rows once."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from benchmarks.perf import SETTLED
from dashboard import create_app, ids
from tests.browser.test_page_keeping import OUTPUTS, WATCH_REQUESTS, go_to
from tests.browser.test_pages import PAGES, see, wait_for_chart
from tests.conftest import testing_config

pytestmark = pytest.mark.browser

ROWS_ASKED = f"{ids.TR_SESSIONS}.getRowsResponse"
ROW_SUMMARY = f"#{ids.TR_SESSIONS} .ag-paging-row-summary-panel"
# How far the grid's columns reach past its viewport, and the texts cut (an ellipsis can hide
# less than the pixel that scrollWidth would show, so the text's own width is measured).
OVERFLOW = """
const grid = document.getElementById(arguments[0]);
const viewport = grid.querySelector('.ag-body-horizontal-scroll-viewport');
const cut = Array.from(grid.querySelectorAll('.ag-header-cell-text, .ag-cell-value'))
    .filter(element => {
        const text = document.createRange();
        text.selectNodeContents(element);
        const style = getComputedStyle(element);
        const room = element.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        return text.getBoundingClientRect().width > room + 0.5;
    })
    .map(element => element.textContent);
return {beyond: viewport.scrollWidth - viewport.clientWidth, cut: cut};
"""


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    return dash_duo


def settled(duo) -> None:
    duo._wait_for(
        lambda driver: driver.execute_script(SETTLED), timeout=20, msg="the page never settled"
    )


def rows_asked(duo) -> int:
    return duo.driver.execute_script(OUTPUTS).count(ROWS_ASKED)


def test_opening_the_training_page_asks_for_the_first_rows_once(dashboard):
    dashboard.wait_for_page(url=dashboard.server_url)
    wait_for_chart(dashboard, PAGES["/"])
    dashboard.driver.execute_script(WATCH_REQUESTS)
    go_to(dashboard, "/training")
    dashboard.wait_for_contains_text(ROW_SUMMARY, "1 to 12 of")
    settled(dashboard)
    assert rows_asked(dashboard) == 1
    # A filter change still empties the grid, which asks for its first rows again.
    shown = dashboard.find_element(ROW_SUMMARY).text
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    dashboard._wait_for(
        lambda _driver: dashboard.find_element(ROW_SUMMARY).text not in ("", shown),
        timeout=20,
        msg="the grid never showed the rows of the new range",
    )
    settled(dashboard)
    assert rows_asked(dashboard) == 2
    assert dashboard.get_logs() == []


@pytest.mark.parametrize(
    ("path", "grid_id", "section_id"),
    [
        ("/", ids.OV_SESSIONS, None),
        ("/training", ids.TR_SESSIONS, None),
        ("/ab-testing", ids.AB_VERSIONS, None),
        ("/data-quality", ids.DQ_DRIFT_TABLE, ids.DQ_DRIFT_VIEW),
    ],
)
def test_a_wide_grid_fits_a_1366_px_screen(dashboard, path, grid_id, section_id):
    dashboard.driver.set_window_size(1366, 900)
    dashboard.wait_for_page(url=f"{dashboard.server_url}{path}")
    if section_id is not None:
        see(dashboard, section_id)
    dashboard.wait_for_element(f"#{grid_id} .ag-row .ag-cell-value")
    settled(dashboard)
    overflow = dashboard.driver.execute_script(OVERFLOW, grid_id)
    assert overflow == {"beyond": 0, "cut": []}
    assert dashboard.get_logs() == []
