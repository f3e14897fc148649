"""Refresh without loss: a broken file swapped into a served directory keeps the last good data
on screen with a warning (reason and age), and fixing the file clears it by itself.

Once through the Flask test client (the store and the shell's callbacks), once on a real
gunicorn server with a one-second refresh, over HTTP as a browser and a load balancer see it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from dashboard import create_app
from dashboard.callbacks import shell
from dashboard.data.ingest import ingester_for
from dashboard.data.store import MANIFEST_CHECK_SECONDS, store
from simulator import simulate
from simulator.io import write_tables
from tests.conftest import SEED, testing_config
from tests.serving.harness import Gunicorn, wait_for

REFRESH_SECONDS = 1
DATA_STATUS = {
    "output": "..updated-at.children...data-warning.children..",
    "outputs": [
        {"id": "updated-at", "property": "children"},
        {"id": "data-warning", "property": "children"},
    ],
    "inputs": [
        {"id": "refresh-interval", "property": "n_intervals", "value": 1},
    ],
    "changedPropIds": ["refresh-interval.n_intervals"],
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """Small tables that end now, so the live time filters find them."""
    simulated = simulate(SEED, 1, pd.Timestamp.now(tz="UTC").floor("min"))
    return {name: frame.tail(500).reset_index(drop=True) for name, frame in simulated.items()}


def break_alerts(directory: Path) -> None:
    """A copy caught half-way: the file ends inside a row's first field, so the row lacks every
    other column (ending further on could leave a row that happens to be valid)."""
    path = directory / "alerts.csv"
    text = path.read_text()
    row_start = text.index("\n", len(text) // 2) + 1
    path.write_text(text[: row_start + 5])


def fix_alerts(directory: Path, tables, rows: int) -> None:
    write_tables({"alerts": tables["alerts"].head(rows)}, directory, "csv")


def test_a_broken_file_keeps_the_last_good_data_with_a_warning_until_fixed(tmp_path, tables):
    write_tables(tables, tmp_path, "csv")
    app = create_app(
        testing_config(
            DATA_SOURCE=str(tmp_path), DATA_SOURCE_OBJECT=None, REFRESH_SECONDS=REFRESH_SECONDS
        )
    )
    client = app.server.test_client()

    def status():
        with app.server.app_context():
            return shell.data_status(None), store.status()["tables"]["alerts"]

    (updated, warning), alerts = status()
    assert updated.startswith("Data as of") and warning is None and alerts == 500

    ingester = ingester_for(app.server.config)
    break_alerts(tmp_path)
    ingester.run_once()  # the next refresh of the ingest
    time.sleep(MANIFEST_CHECK_SECONDS)
    (updated, warning), alerts = status()
    assert alerts == 500, "the last good data stays"
    text = warning.children
    assert f"Could not re-read directory {tmp_path}" in text
    assert "alerts.csv, column " in text and "line 2" in text
    assert "Showing the last good data, as of" in text and " ago)" in text
    shown = client.post("/_dash-update-component", json=DATA_STATUS).get_json()
    assert "Could not re-read" in json.dumps(shown["response"]["data-warning"]["children"])
    with app.server.app_context():
        assert store.status()["last_error"].startswith("DataValidationError: alerts.csv")

    fix_alerts(tmp_path, tables, 400)
    ingester.run_once()
    time.sleep(MANIFEST_CHECK_SECONDS)
    (updated, warning), alerts = status()
    assert warning is None and alerts == 400


@pytest.mark.serving
def test_a_running_server_survives_a_broken_file_and_recovers(tmp_path, tables):
    data = tmp_path / "data"
    write_tables(tables, data, "csv")
    logs = tmp_path / "logs"
    logs.mkdir()
    server = Gunicorn(
        logs,
        DASHBOARD_DATA_SOURCE=str(data),
        DASHBOARD_REFRESH_SECONDS=str(REFRESH_SECONDS),
        WEB_CONCURRENCY="1",
    )
    try:
        server.wait_until_ready()
        ready = requests.get(f"{server.url}/ready", timeout=10).json()
        assert ready["data"]["source"] == f"directory {data}"
        assert ready["data"]["tables"]["alerts"] == 500

        break_alerts(data)

        def warned():
            body = requests.post(f"{server.url}/_dash-update-component", json=DATA_STATUS).json()
            return json.dumps(body["response"]["data-warning"]["children"])

        text = wait_for(
            lambda: "Could not re-read" in warned() and warned(), 15, server.logs, interval=0.5
        )
        assert "alerts.csv" in text and "ago)" in text
        ready = requests.get(f"{server.url}/ready", timeout=10).json()
        assert ready["status"] == "degraded" and ready["data"]["tables"]["alerts"] == 500
        page = requests.get(f"{server.url}/training", timeout=10)
        assert page.status_code == 200

        fix_alerts(data, tables, 400)
        wait_for(lambda: warned() == "null", 15, server.logs, interval=0.5)
        ready = requests.get(f"{server.url}/ready", timeout=10).json()
        assert ready["status"] == "ready" and ready["data"]["tables"]["alerts"] == 400
    finally:
        assert server.stop() == 0, server.logs()
