"""A page once drawn is kept (callbacks/router.py): coming back with the same filters costs no
request and no redraw, a hidden page is never re-queried, and a filter changed elsewhere
reaches a page when it shows again. Also: a link with unknown filter values says so."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import ids
from tests.browser.test_pages import PAGES, click_nav, wait_for_chart, wait_for_subtitle

pytestmark = pytest.mark.browser

# Every callback request from now on, by its outputs (Dash's renderer sends them with fetch).
WATCH_REQUESTS = """
window.__outputs = [];
if (!window.__watching) {
    window.__watching = true;
    const original = window.fetch;
    window.fetch = function (resource, init) {
        if (String(resource).includes('_dash-update-component') && init && init.body) {
            window.__outputs.push(JSON.parse(init.body).output);
        }
        return original.apply(this, arguments);
    };
}
"""
OUTPUTS = "return window.__outputs;"
# Marks the chart's plot element: a page drawn again would hold a new, unmarked element.
MARK_PLOT = """
const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
plot.dataset.kept = 'yes';
return plot._fullLayout !== undefined;
"""
MARKED = """
const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return plot ? plot.dataset.kept || null : null;
"""


def go_to(duo, path: str) -> None:
    click_nav(duo, path)
    duo._wait_for(
        lambda driver: driver.current_url.split("?")[0].endswith(path),
        timeout=10,
        msg=f"never reached {path}",
    )


def shown_slot(duo) -> str:
    return duo.driver.execute_script(
        "return document.querySelector('#pages > .page-slot:not(.page-slot-hidden)').id"
    )


@pytest.fixture
def dashboard(dash_duo):
    from dashboard import create_app
    from tests.conftest import testing_config

    dash_duo.start_server(create_app(testing_config()))
    return dash_duo


def test_returning_to_a_page_shows_the_same_figures_without_a_request(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training")
    wait_for_chart(dashboard, ids.TR_ACCURACY)
    assert dashboard.driver.execute_script(MARK_PLOT, ids.TR_ACCURACY)
    go_to(dashboard, "/")
    wait_for_chart(dashboard, PAGES["/"])
    dashboard.driver.execute_script(WATCH_REQUESTS)
    go_to(dashboard, "/training")
    dashboard._wait_for(
        lambda _driver: shown_slot(dashboard) == ids.page_slot(ids.TRAINING),
        timeout=10,
        msg="the Training page never showed again",
    )
    assert dashboard.driver.execute_script(MARKED, ids.TR_ACCURACY) == "yes"
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "All Models · Last 30 Days")
    # The shell's alert badge asks again on a timer of its own while its figures are being
    # computed (a loaded machine); that is not the page's doing.
    outputs = dashboard.driver.execute_script(OUTPUTS)
    assert [output for output in outputs if ids.ALERT_BADGE not in output] == []
    assert dashboard.driver.title.startswith("Training")
    assert dashboard.get_logs() == []


def test_a_filter_change_asks_only_for_the_page_that_shows(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training")
    wait_for_chart(dashboard, ids.TR_ACCURACY)
    go_to(dashboard, "/resources")
    wait_for_chart(dashboard, PAGES["/resources"])
    dashboard.driver.execute_script(WATCH_REQUESTS)
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "Last 7 Days")
    outputs = dashboard.driver.execute_script(OUTPUTS)
    assert any(output.lstrip(".").startswith("rs-") for output in outputs), outputs
    assert not [output for output in outputs if "tr-" in output], outputs
    # The Training page, kept while hidden, catches up with the filter when it shows again.
    go_to(dashboard, "/training")
    wait_for_subtitle(dashboard, ids.TR_ACCURACY, "All Models · Last 7 Days")
    assert dashboard.get_logs() == []


def test_a_link_with_unknown_filters_says_what_it_shows_instead(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/resources?range=forever&model=x")
    dashboard.wait_for_contains_text(
        f"#{ids.FILTER_ERROR}",
        "The link asks for an unknown time range 'forever' and model type 'x'; showing "
        "Last 30 Days, All Models instead.",
    )
    wait_for_subtitle(dashboard, ids.RS_UTILISATION, "All Models · Last 30 Days")
    assert dashboard.get_logs() == []


def test_a_link_with_known_filters_sets_them(dashboard):
    dashboard.wait_for_page(
        url=f"{dashboard.server_url}/data-quality?range=7d&model=threat_detection"
    )
    wait_for_subtitle(dashboard, PAGES["/data-quality"], "Threat Detection · Last 7 Days")
    assert not dashboard.find_elements(f"#{ids.FILTER_ERROR}.show")
    assert dashboard.get_logs() == []
