"""A filter change answers a chart with a partial update (callbacks/figure_updates.py): the
response is a Patch, and the chart it draws keeps the house template and shows the new data."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import create_app, ids
from dashboard.components.theme import BACKGROUND
from tests.browser.test_pages import PAGES, wait_for_chart, wait_for_subtitle
from tests.conftest import testing_config

pytestmark = pytest.mark.browser

# Every callback answer from now on: its request's outputs and the response's JSON.
WATCH_ANSWERS = """
window.__answers = [];
if (!window.__watchingAnswers) {
    window.__watchingAnswers = true;
    const original = window.fetch;
    window.fetch = function (resource, init) {
        const answer = original.apply(this, arguments);
        if (String(resource).includes('_dash-update-component') && init && init.body) {
            const output = JSON.parse(init.body).output;
            answer.then(response => response.clone().text()).then(text => {
                window.__answers.push({output: output, body: text});
            });
        }
        return answer;
    };
}
"""
ANSWERS = "return window.__answers;"
PAPER_COLOUR = """
const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return plot._fullLayout.paper_bgcolor;
"""


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    return dash_duo


def answer_for(duo, graph_id: str) -> str | None:
    for answer in duo.driver.execute_script(ANSWERS):
        if f"{graph_id}.figure" in answer["output"]:
            return answer["body"]
    return None


def test_a_filter_change_sends_a_partial_update(dashboard):
    chart = PAGES["/training"]
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training")
    wait_for_chart(dashboard, chart)
    dashboard.driver.execute_script(WATCH_ANSWERS)
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    wait_for_subtitle(dashboard, chart, "All Models · Last 7 Days")
    dashboard._wait_for(
        lambda _driver: answer_for(dashboard, chart) is not None,
        timeout=10,
        msg="no answer for the chart was seen",
    )
    body = answer_for(dashboard, chart)
    assert "__dash_patch_update" in body
    assert '"template"' not in body
    # The chart drawn from the patch keeps the template that the page brought.
    wait_for_chart(dashboard, chart)
    assert dashboard.driver.execute_script(PAPER_COLOUR, chart) == BACKGROUND
    assert dashboard.get_logs() == []


# Every callback answer's status, by its outputs.
WATCH_STATUSES = """
window.__statuses = [];
const original = window.fetch;
window.fetch = function (resource, init) {
    const answer = original.apply(this, arguments);
    if (String(resource).includes('_dash-update-component') && init && init.body) {
        const output = JSON.parse(init.body).output;
        answer.then(response => window.__statuses.push({output: output, status: response.status}));
    }
    return answer;
};
"""
FIRST_CHILD = "document.getElementById(arguments[0]).firstElementChild"
MARK_SUMMARY = f"{FIRST_CHILD}.__drawnBefore = true;"
SUMMARY_KEPT = f"return {FIRST_CHILD}.__drawnBefore === true;"


def summary_status(duo) -> int | None:
    for answer in duo.driver.execute_script("return window.__statuses;"):
        if f"{ids.AB_SUMMARY}.children" in answer["output"]:
            return answer["status"]
    return None


def test_an_unchanged_answer_redraws_nothing(dashboard):
    # A comparison of whole experiments does not depend on the time range: a range change is
    # answered "no update", and the summary the page shows is the one drawn before.
    dashboard.wait_for_page(url=f"{dashboard.server_url}/ab-testing")
    wait_for_chart(dashboard, PAGES["/ab-testing"])
    dashboard.wait_for_element(f"#{ids.AB_SUMMARY} > *")
    dashboard.driver.execute_script(MARK_SUMMARY, ids.AB_SUMMARY)
    dashboard.driver.execute_script(WATCH_STATUSES)
    Select(dashboard.find_element(f"#{ids.RANGE}")).select_by_value("7d")
    dashboard._wait_for(
        lambda _driver: summary_status(dashboard) is not None, timeout=10, msg="no answer seen"
    )
    assert summary_status(dashboard) == 204
    assert dashboard.driver.execute_script(SUMMARY_KEPT, ids.AB_SUMMARY)
    # Another model type: another answer, drawn.
    dashboard.driver.execute_script("window.__statuses.length = 0;")
    Select(dashboard.find_element(f"#{ids.MODEL}")).select_by_value("threat_detection")
    dashboard._wait_for(
        lambda _driver: summary_status(dashboard) is not None, timeout=10, msg="no answer seen"
    )
    assert summary_status(dashboard) == 200
    dashboard._wait_for(
        lambda driver: not driver.execute_script(SUMMARY_KEPT, ids.AB_SUMMARY),
        timeout=10,
        msg="the summary was not drawn again for another model type",
    )
    assert dashboard.get_logs() == []
