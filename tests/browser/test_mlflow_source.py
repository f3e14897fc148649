"""The app on an MLflow store (runs with names, a registry with aliases) in headless Chromium:
runs named on the pages, the version card filled, the failed run shown as failed, and the
drill-down's link to the run in MLflow's UI."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from dashboard import create_app, ids
from tests.browser.test_pages import wait_for_chart
from tests.conftest import testing_config

pytestmark = pytest.mark.browser

MLFLOW_UI = "http://mlflow.example:5000"
CHART_TIMEOUT = 30


def cell_text(row, column: str) -> str:
    """A grid cell's text, whether or not the headless window scrolled it into view."""
    cell = row.find_element("css selector", f".ag-cell[col-id='{column}']")
    return cell.get_attribute("textContent").strip()


def ms(moment: pd.Timestamp) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """Three runs as of now: finished (registered as champion), failed, and still running."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("threat_detection")
    now = pd.Timestamp.now(tz="UTC")
    runs = {}
    for name, hours, status, version in (
        ("orca-sentinel-17", 6, "FINISHED", "v5.2.1"),
        ("lynx-warden-3", 3, "FAILED", "v5.3.0"),
        ("heron-beacon-8", 0.5, None, "v5.3.0"),
    ):
        start = now - pd.Timedelta(hours=hours)
        tags = {"model_version": version}
        if status == "FAILED":
            tags["failure_reason"] = "CUDA out of memory"
        run = client.create_run(experiment, start_time=ms(start), run_name=name, tags=tags)
        for step in range(10):
            at = ms(start + pd.Timedelta(minutes=2 * step))
            client.log_batch(
                run.info.run_id,
                metrics=[
                    Metric("accuracy", 0.6 + 0.02 * step, at, step),
                    Metric("val_accuracy", 0.58 + 0.02 * step, at, step),
                    Metric("loss", 0.9 - 0.05 * step, at, step),
                ],
            )
        if status:
            client.set_terminated(run.info.run_id, status, end_time=ms(start) + 30 * 60_000)
        runs[name] = run.info.run_id
    client.create_registered_model("soc-threat-detection")
    for name in ("orca-sentinel-17", "lynx-warden-3"):
        client.create_model_version("soc-threat-detection", "runs:/x/model", run_id=runs[name])
    client.set_registered_model_alias("soc-threat-detection", "champion", "1")
    client.set_registered_model_alias("soc-threat-detection", "challenger", "2")
    return uri, runs


def test_mlflow_runs_by_name_version_card_failed_run_and_link(dash_duo, store):
    uri, runs = store
    config = testing_config(
        DATA_SOURCE=f"mlflow:{uri}", DATA_SOURCE_OBJECT=None, MLFLOW_UI_URL=MLFLOW_UI
    )
    dash_duo.start_server(create_app(config))
    dash_duo.wait_for_page(url=dash_duo.server_url)
    dash_duo.wait_for_contains_text(f"#{ids.OV_KPIS}", "v5.2.1", timeout=CHART_TIMEOUT)
    assert "Latest stable release" in dash_duo.find_element(f"#{ids.OV_KPIS}").text
    dash_duo.wait_for_contains_text(f"#{ids.OV_LIVE}", "heron-beacon-8")
    assert runs["heron-beacon-8"] in dash_duo.find_element(f"#{ids.OV_LIVE}").text

    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/training?range=24h")
    wait_for_chart(dash_duo, ids.TR_DETAIL_CURVES, timeout=CHART_TIMEOUT)
    dash_duo.wait_for_element(f"#{ids.TR_SESSIONS} .ag-row .ag-cell[col-id='run_name']")
    rows = {}
    for row in dash_duo.find_elements(f"#{ids.TR_SESSIONS} .ag-center-cols-container .ag-row"):
        rows[cell_text(row, "run_name")] = row
    assert set(rows) == set(runs)
    failed = rows["lynx-warden-3"]
    assert cell_text(failed, "status") == "failed"
    dash_duo.driver.execute_script(
        "arguments[0].click()", failed.find_element("css selector", ".ag-cell[col-id='run_name']")
    )
    dash_duo.wait_for_contains_text(f"#{ids.TR_DETAIL_TITLE}", "failed: CUDA out of memory")
    title = dash_duo.find_element(f"#{ids.TR_DETAIL_TITLE}")
    assert title.text.startswith(f"lynx-warden-3 · {runs['lynx-warden-3']} · Threat Detection")
    link = title.find_element("css selector", "a")
    assert link.get_attribute("href") == f"{MLFLOW_UI}/#/runs/{runs['lynx-warden-3']}"
    assert link.text.strip() == "Open in MLflow"
    assert dash_duo.get_logs() == []
