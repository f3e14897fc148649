"""The A/B Testing page in headless Chromium: verdicts, switching experiments, the SRM banner."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from dashboard import create_app, ids
from tests.browser.test_pages import wait_for_chart
from tests.conftest import testing_config

pytestmark = pytest.mark.browser

DEFAULT_VERDICT = (
    "v5.3.0 raises automation rate by 0.2 points (98.75% always-valid CI −7.9 to 8.4), "
    "not significant"
)
EXP_005_VERDICT = (
    "v5.2.1 raises automation rate by 2.9 points (97.5% CI 0.5 to 5.4), significant — an "
    "improvement"
)


@pytest.fixture
def ab_page(dash_duo):
    dash_duo.start_server(create_app(testing_config()))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/ab-testing")
    dash_duo.wait_for_contains_text(f"#{ids.AB_VERDICTS}", DEFAULT_VERDICT, timeout=20)
    return dash_duo


def text(duo, component_id: str) -> str:
    return duo.find_element(f"#{component_id}").text


def choose(duo, select_id: str, value: str) -> None:
    Select(duo.find_element(f"#{select_id}")).select_by_value(value)


def test_the_page_opens_on_the_latest_experiment_with_its_verdicts(ab_page):
    select = Select(ab_page.find_element(f"#{ids.AB_EXPERIMENT}"))
    assert select.first_selected_option.get_attribute("value") == "EXP-006"
    assert "no significant change on any of the four metrics" in text(ab_page, ids.AB_SUMMARY)
    assert "Detectable with 80% power" in text(ab_page, ids.AB_VERDICTS)
    assert "Running: always-valid analysis" in text(ab_page, ids.AB_SUMMARY)
    assert text(ab_page, ids.AB_SRM) == ""
    assert "Guardrail flag" in text(ab_page, ids.AB_GUARDRAIL)
    wait_for_chart(ab_page, ids.AB_FOREST)
    wait_for_chart(ab_page, ids.AB_CUMULATIVE)
    # AG Grid draws its rows' text once the grid is scrolled into view, as a reader would.
    grid = ab_page.find_element(f"#{ids.AB_VERSIONS}")
    ab_page.driver.execute_script("arguments[0].scrollIntoView()", grid)
    ab_page.wait_for_contains_text(f"#{ids.AB_VERSIONS}", "v5.3.0")
    assert ab_page.get_logs() == []


def test_switching_the_experiment_changes_the_verdicts(ab_page):
    choose(ab_page, ids.AB_EXPERIMENT, "EXP-005")
    ab_page.wait_for_contains_text(f"#{ids.AB_VERDICTS}", EXP_005_VERDICT)
    assert DEFAULT_VERDICT not in text(ab_page, ids.AB_VERDICTS)
    assert "EXP-005 · v5.1.0 (control) vs v5.2.1 (treatment)" in text(ab_page, ids.AB_SUMMARY)
    assert "Completed: fixed-horizon analysis" in text(ab_page, ids.AB_SUMMARY)
    assert "Guardrail holds" in text(ab_page, ids.AB_GUARDRAIL)
    assert text(ab_page, ids.AB_SRM) == ""
    assert ab_page.get_logs() == []


def test_an_experiment_with_a_sample_ratio_mismatch_shows_the_banner(ab_page):
    choose(ab_page, ids.AB_EXPERIMENT, "EXP-002")
    ab_page.wait_for_contains_text(f"#{ids.AB_SRM}", "Sample ratio mismatch")
    assert "4,158 control and 3,790 treatment" in text(ab_page, ids.AB_SRM)
    choose(ab_page, ids.AB_EXPERIMENT, "EXP-005")
    ab_page.wait_for_contains_text(f"#{ids.AB_VERDICTS}", EXP_005_VERDICT)
    ab_page.wait_for_text_to_equal(f"#{ids.AB_SRM}", "")
    assert ab_page.get_logs() == []


def test_any_two_versions_can_be_compared(ab_page):
    assert not ab_page.find_element(f"#{ids.AB_CONTROL}").is_displayed()
    mode = ab_page.find_element(f"#{ids.AB_MODE} input[value='versions']")
    # A DOM click: a loading overlay may briefly cover the radio while the page settles.
    ab_page.driver.execute_script("arguments[0].click()", mode)
    ab_page.wait_for_style_to_equal(f"#{ids.AB_EXPERIMENT_PICKER}", "display", "none")
    choose(ab_page, ids.AB_CONTROL, "v4.1.0")
    ab_page.wait_for_contains_text(f"#{ids.AB_SUMMARY}", "v4.1.0 (control) vs v5.3.0 (treatment)")
    assert "Observational comparison" in text(ab_page, ids.AB_SUMMARY)
    assert "v5.3.0 raises automation rate by" in text(ab_page, ids.AB_VERDICTS)
    assert ab_page.get_logs() == []


def test_the_model_filter_applies_to_the_comparison(ab_page):
    choose(ab_page, ids.MODEL, "threat_detection")
    ab_page.wait_for_contains_text(f"#{ids.AB_SUMMARY}", "Threat Detection · whole experiment")
    assert DEFAULT_VERDICT not in text(ab_page, ids.AB_VERDICTS)
    assert ab_page.get_logs() == []
