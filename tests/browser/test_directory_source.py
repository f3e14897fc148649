"""The app started on a directory source (DASHBOARD_DATA_SOURCE=<dir>) in headless Chromium."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from dashboard import create_app, ids
from simulator.__main__ import main as simulator_cli
from simulator.schema import TABLES
from tests.browser.test_pages import PAGES, click_nav, wait_for_chart
from tests.conftest import SEED, testing_config

pytestmark = pytest.mark.browser

# Loading an exported directory is slower than the simulator: charts get longer to draw.
CHART_TIMEOUT = 30


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """`python -m simulator export` as of now, so that the live time ranges find the data."""
    directory = tmp_path_factory.mktemp("exported")
    now = pd.Timestamp.now(tz="UTC").floor("min").isoformat()
    argv = ["export", "--out", str(directory), "--format", "parquet", "--seed", str(SEED)]
    assert simulator_cli([*argv, "--now", now]) == 0
    return directory


def start_on(dash_duo, directory) -> None:
    config = testing_config(DATA_SOURCE=str(directory), DATA_SOURCE_OBJECT=None)
    dash_duo.start_server(create_app(config))


def test_every_page_draws_from_an_exported_directory(dash_duo, exported):
    start_on(dash_duo, exported)
    dash_duo.wait_for_page(url=dash_duo.server_url)
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_SOURCE}", "Directory · 9 of 9 tables", timeout=30)
    dash_duo.find_element(f"#{ids.DATA_SOURCE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCE_DETAILS}", f"directory {exported}")
    details = dash_duo.find_element(f"#{ids.DATA_SOURCE_DETAILS}").text
    alerts = len(pd.read_parquet(exported / "alerts.parquet", columns=["alert_id"]))
    assert f"alerts {alerts:,}" in details and "Data as of" in details
    for path, graph_id in PAGES.items():
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
        wait_for_chart(dash_duo, graph_id, timeout=CHART_TIMEOUT)
    assert dash_duo.get_logs() == []


def test_a_directory_with_only_training_tables_serves_the_training_page(
    dash_duo, exported, tmp_path
):
    kept = (
        "training_sessions",
        "training_metrics",
        "resource_usage",
        "data_quality",
        "feature_samples",
    )
    for name in kept:
        shutil.copy(exported / f"{name}.parquet", tmp_path)
    start_on(dash_duo, tmp_path)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/training")
    wait_for_chart(dash_duo, ids.TR_ACCURACY, timeout=CHART_TIMEOUT)
    dash_duo.driver.execute_script("window.scrollTo(0, 0);")
    missing = [name for name in TABLES if name not in kept]
    dash_duo.wait_for_text_to_equal(f"#{ids.DATA_SOURCE}", f"Directory · {len(kept)} of 9 tables")
    # Scrolled to the top and clicked in one go: content still arriving may scroll the page.
    dash_duo.driver.execute_script(
        "window.scrollTo(0, 0); arguments[0].click();", dash_duo.find_element(f"#{ids.DATA_SOURCE}")
    )
    dash_duo.wait_for_contains_text(f"#{ids.DATA_SOURCE_DETAILS}", "alerts missing")
    details = dash_duo.find_element(f"#{ids.DATA_SOURCE_DETAILS}").text
    assert all(f"{name} missing" in details for name in missing)
    # A page whose tables are missing says which one it needs and how to provide it.
    click_nav(dash_duo, "/")
    dash_duo.wait_for_contains_text(f"#{ids.OV_IMPACT}", "This view needs the alerts table")
    assert "alerts.parquet" in dash_duo.find_element(f"#{ids.OV_IMPACT}").text
    assert dash_duo.get_logs() == []
