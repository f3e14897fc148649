"""The Data Quality page in headless Chromium: drift in a range with the shift, none before it."""

from __future__ import annotations

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard import create_app, ids
from dashboard.components.drift import DRIFTED, STABLE
from tests.browser.test_pages import see
from tests.conftest import FIXED_NOW, testing_config

pytestmark = pytest.mark.browser

TODAY = FIXED_NOW.floor("D")
FEATURES = {
    "event_rate",
    "bytes_out_log",
    "unique_dest_ports",
    "severity",
    "asset_criticality",
    "dwell_time_log",
}

VERDICTS = """
const cells = document.querySelectorAll('#' + arguments[0] + " .ag-row .ag-cell[col-id='verdict']");
const verdicts = {};
cells.forEach((cell) => {
    verdicts[cell.closest('.ag-row').getAttribute('row-id')] = cell.textContent;
});
return verdicts;
"""
TITLE = """
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return graph && graph.layout && graph.layout.title ? graph.layout.title.text : '';
"""


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    return dash_duo


def day(days_back: int) -> str:
    return (TODAY - pd.Timedelta(days=days_back)).strftime("%Y-%m-%d")


def verdicts(duo) -> dict[str, str]:
    return duo.driver.execute_script(VERDICTS, ids.DQ_DRIFT_TABLE)


def wait_for_verdicts(duo, check, message: str, timeout: float = 20) -> dict[str, str]:
    duo._wait_for(lambda _driver: check(verdicts(duo)), timeout=timeout, msg=message)
    return verdicts(duo)


def choose_dates(duo, picker_id: str, start: str, end: str) -> None:
    """Type both dates into a date picker, as a user would (the end input is Dash's own id)."""
    first = duo.find_element(f"#{picker_id}")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", first)
    first.send_keys(start, Keys.TAB)
    duo.find_element(f"#{picker_id}-end-date").send_keys(end, Keys.TAB)
    # Leaving the end date commits both; Escape closes a calendar left open over the page.
    duo.driver.switch_to.active_element.send_keys(Keys.ESCAPE)


def test_the_last_30_days_list_drifted_and_stable_features(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/data-quality")
    see(dashboard, ids.DQ_DRIFT_VIEW)
    found = wait_for_verdicts(
        dashboard, lambda found: set(found) == FEATURES, "the drift table never listed features"
    )
    assert found["bytes_out_log"] == DRIFTED
    assert found["event_rate"] == STABLE
    assert STABLE in found.values() and DRIFTED in found.values()
    dashboard.wait_for_contains_text(f"#{ids.DQ_DRIFT_VERDICT}", "1 of 6 features drifted")
    dashboard.wait_for_contains_text(f"#{ids.DQ_WINDOWS}", "Last 30 Days")
    dashboard._wait_for(
        lambda _driver: dashboard.driver.execute_script(TITLE, ids.DQ_DISTRIBUTION).startswith(
            "bytes_out_log"
        ),
        timeout=20,
        msg="the distribution never showed the drifted feature",
    )
    assert dashboard.get_logs() == []


def test_windows_before_the_shift_list_no_drifted_feature(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/data-quality")
    see(dashboard, ids.DQ_DRIFT_VIEW)
    wait_for_verdicts(dashboard, lambda found: DRIFTED in found.values(), "no drift at first")
    choose_dates(dashboard, ids.DQ_CURRENT_DATES, day(45), day(31))
    choose_dates(dashboard, ids.DQ_REFERENCE_DATES, day(60), day(46))
    dashboard.wait_for_contains_text(f"#{ids.DQ_WINDOWS}", f"{day(60)} → {day(46)}")
    found = wait_for_verdicts(
        dashboard,
        lambda found: set(found) == FEATURES and set(found.values()) == {STABLE},
        "features still drifted between windows before the shift",
    )
    assert DRIFTED not in found.values()
    dashboard.wait_for_contains_text(f"#{ids.DQ_DRIFT_VERDICT}", "No drift")
    assert dashboard.get_logs() == []


def test_all_time_asks_for_a_reference_window_until_one_is_chosen(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/data-quality?range=all")
    see(dashboard, ids.DQ_DRIFT_VIEW)
    dashboard.wait_for_contains_text(f"#{ids.DQ_DRIFT_VERDICT}", "choose a reference window")
    assert verdicts(dashboard) == {}
    choose_dates(dashboard, ids.DQ_REFERENCE_DATES, day(60), day(46))
    wait_for_verdicts(dashboard, lambda found: set(found) == FEATURES, "no rows after choosing")
    assert dashboard.get_logs() == []


def test_selecting_a_feature_shows_its_distributions(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/data-quality")
    see(dashboard, ids.DQ_DRIFT_VIEW)
    wait_for_verdicts(dashboard, lambda found: set(found) == FEATURES, "no rows")
    cell = dashboard.find_element(
        f"#{ids.DQ_DRIFT_TABLE} .ag-row[row-id='severity'] .ag-cell[col-id='verdict']"
    )

    def clicked_and_shown(_driver) -> bool:
        # A mouse click where the cell is (Selenium's element click misjudges grid cells far
        # down a page as covered), again on each look: a click while the page still moves
        # (a loaded machine) can land beside the cell.
        dashboard.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        ActionChains(dashboard.driver).move_to_element(cell).click().perform()
        return dashboard.driver.execute_script(TITLE, ids.DQ_DISTRIBUTION).startswith("severity")

    dashboard._wait_for(
        clicked_and_shown,
        timeout=20,
        msg="the distribution never switched to the selected feature",
    )
    assert dashboard.get_logs() == []
