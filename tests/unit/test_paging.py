"""Server-side paging for the sessions grids: blocks, sort, filters, CSV, forged requests."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from dashboard.callbacks import session_grid
from dashboard.components.tables import SESSION_GRID, SESSION_GRID_DEFAULT_SORT
from dashboard.data import queries
from dashboard.data.paging import page_of


@pytest.fixture(autouse=True)
def app_context(app):
    with app.server.app_context():
        yield


def sessions():
    return queries.sessions_in_range("30d", "all")


def page(request):
    return page_of(sessions(), request, SESSION_GRID, SESSION_GRID_DEFAULT_SORT)


def test_blocks_come_newest_first_and_count_every_matching_row():
    rows, count = page({"startRow": 60, "endRow": 120})
    # Sessions may start in the same minute: the grid keeps their order, a stable sort.
    newest_first = sessions().sort_values("started_at", ascending=False, kind="stable")
    assert count == len(sessions())
    assert rows["session_id"].tolist() == newest_first["session_id"].iloc[60:120].tolist()


def test_sorting_uses_the_values_behind_what_the_grid_shows():
    rows, _ = page(
        {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "duration", "sort": "desc"}]}
    )
    assert rows["duration_min"].tolist() == sorted(sessions()["duration_min"], reverse=True)[:5]


def test_text_and_number_filters_apply_on_the_server():
    request = {
        "startRow": 0,
        "endRow": 500,
        "filterModel": {
            "model_type": {"filterType": "text", "type": "contains", "filter": "threat"},
            "val_accuracy": {"filterType": "number", "type": "greaterThan", "filter": 0.76},
            "status": {
                "filterType": "text",
                "operator": "OR",
                "conditions": [
                    {"filterType": "text", "type": "equals", "filter": "completed"},
                    {"filterType": "text", "type": "equals", "filter": "active"},
                ],
            },
        },
    }
    rows, count = page(request)
    everything = sessions()
    expected = everything[
        (everything["model_type"] == "threat_detection")
        & (everything["val_accuracy"] > 0.76)
        & everything["status"].isin(["completed", "active"])
    ]
    assert count == len(expected) > 0
    assert set(rows["session_id"]) == set(expected["session_id"])


def run_filter(kind: str, text: str):
    request = {
        "startRow": 0,
        "endRow": 500,
        "filterModel": {"run_name": {"filterType": "text", "type": kind, "filter": text}},
    }
    return page(request)


def test_the_run_filter_finds_a_session_by_its_id_or_its_run_name():
    everything = sessions()
    named = everything[everything["run_name"].notna()].iloc[0]
    rows, count = run_filter("equals", named["session_id"].lower())
    assert count == 1 and rows["session_id"].tolist() == [named["session_id"]]
    rows, _ = run_filter("contains", named["run_name"].lower())
    assert named["session_id"] in set(rows["session_id"])
    # A negative test keeps only the sessions whose name and ID both pass it.
    _, count = run_filter("notContains", named["session_id"].lower())
    assert count == len(everything) - 1


def test_the_grid_callback_answers_a_block_and_the_row_count():
    answer = session_grid.session_page({"startRow": 0, "endRow": 60}, "30d", "all")
    assert len(answer["rowData"]) == 60 and answer["rowCount"] == len(sessions())
    assert {"id", "session_id", "status", "duration"} <= set(answer["rowData"][0])


def test_csv_export_holds_every_matching_row_in_the_grid_order():
    request = {"sortModel": [{"colId": "session_id", "sort": "asc"}], "filterModel": {}}
    download = session_grid.session_csv(1, request, "30d", "all", "training-sessions")
    lines = download["content"].splitlines()
    assert download["filename"] == "training-sessions.csv"
    assert len(lines) == len(sessions()) + 1
    first = sessions().sort_values("session_id").iloc[0]
    # The run's name, then its id: text quoted.
    assert lines[1].startswith(f'"{first["run_name"]}","{first["session_id"]}",')


@pytest.mark.parametrize(
    "request_body",
    [
        None,
        "rows please",
        {"startRow": 0, "endRow": 100_000},
        {"startRow": -5, "endRow": 10},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "__class__", "sort": "asc"}]},
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "status", "sort": "sideways"}]},
        {"startRow": 0, "endRow": 10, "filterModel": {"nope": {"type": "contains", "filter": "x"}}},
        {
            "startRow": 0,
            "endRow": 10,
            "filterModel": {"status": {"filterType": "text", "type": "regex", "filter": ".*"}},
        },
        {
            "startRow": 0,
            "endRow": 10,
            "filterModel": {"samples": {"filterType": "number", "type": "equals", "filter": "1"}},
        },
    ],
)
def test_forged_requests_give_no_update(request_body):
    with pytest.raises(PreventUpdate):
        session_grid.session_page(request_body, "30d", "all")


def test_forged_filters_give_no_update():
    with pytest.raises(PreventUpdate):
        session_grid.session_page({"startRow": 0, "endRow": 10}, "365d", "all")
    with pytest.raises(PreventUpdate):
        session_grid.session_csv(None, {}, "30d", "all", "x")
