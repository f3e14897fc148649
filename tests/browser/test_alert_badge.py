"""The navbar's alert badge in headless Chromium: it lists the conditions holding now, and a
click on one opens its page with its filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from dashboard import create_app, ids
from tests.conftest import testing_config

pytestmark = pytest.mark.browser


def test_a_condition_in_the_badge_opens_its_page_with_its_filters(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    dash_duo.wait_for_element(f"#{ids.OV_IMPACT_CHART} .js-plotly-plot", timeout=30)
    toggle = dash_duo.wait_for_element(".alert-badge-toggle", timeout=30)
    # The pinned test data's active sessions have long gone silent: the badge says so.
    assert "alert" in toggle.text
    toggle.click()
    dash_duo.wait_for_element(".alert-condition", timeout=10)
    listed = dash_duo.find_elements(".alert-condition")
    stale = next(item for item in listed if "no metric for" in item.text)
    href = urlparse(stale.get_attribute("href"))
    stale.click()
    dash_duo.wait_for_element(f"#{ids.TR_ACCURACY}", timeout=30)
    dash_duo._wait_for(
        lambda driver: urlparse(driver.current_url).path == "/training",
        timeout=10,
        msg="the Training page never opened",
    )
    wanted = parse_qs(href.query)

    def chosen(component_id: str) -> str:
        return dash_duo.find_element(f"#{component_id}").get_attribute("value")

    dash_duo._wait_for(
        lambda _driver: chosen(ids.RANGE) == wanted["range"][0] == "24h",
        timeout=10,
        msg="the time range never followed the link",
    )
    assert chosen(ids.MODEL) == wanted["model"][0]
    assert dash_duo.get_logs() == []
