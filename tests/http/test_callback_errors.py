"""A bug in a callback is the server's error (500, traceback at error level, counted under the
callback's name); a forged or malformed request stays the client's (4xx, one warning line)."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from dashboard.data import queries
from tests.http import renderer


@pytest.fixture(scope="module")
def sessions_body(client):
    layouts = renderer.all_layouts(client)
    callback = next(
        callback
        for callback in renderer.callbacks(client)
        if callback.output.lstrip(".").startswith("ov-sessions")
    )
    return renderer.request_body(callback, layouts)


def requests_counted(callback: str, status: str) -> float:
    labels = {"callback": callback, "status": status}
    return REGISTRY.get_sample_value("dashboard_callback_requests_total", labels) or 0.0


def test_a_callback_that_raises_answers_500_with_its_traceback_logged(
    post_callback, sessions_body, monkeypatch, caplog
):
    def broken(*_args):
        raise RuntimeError("the query layer broke")

    monkeypatch.setattr(queries, "sessions_in_range", broken)
    output = sessions_body["output"]
    before = requests_counted(output, "500")
    with caplog.at_level(logging.WARNING, logger="dashboard.errors"):
        response = post_callback(sessions_body)
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error"}
    assert "the query layer broke" not in response.get_data(as_text=True)  # not to the client
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and output in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is RuntimeError
    assert "RuntimeError: the query layer broke" in caplog.text  # the traceback
    assert not [record for record in caplog.records if "rejected" in record.getMessage()]
    # /metrics counts it under the callback's name, not among forged requests.
    assert requests_counted(output, "500") == before + 1


def test_a_forged_request_stays_a_400_with_one_warning(post_callback, sessions_body, caplog):
    forged = {**sessions_body, "output": "no-such-component.children"}
    before = requests_counted("unknown", "400")
    with caplog.at_level(logging.WARNING, logger="dashboard.errors"):
        response = post_callback(forged)
    assert response.status_code == 400
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert "rejected callback request" in caplog.records[0].getMessage()
    assert caplog.records[0].exc_info is None
    assert requests_counted("unknown", "400") == before + 1


def test_a_forged_value_gives_no_update_without_an_error(post_callback, sessions_body, caplog):
    forged = renderer_copy(sessions_body)
    forged["inputs"][0]["value"] = "<script>alert(1)</script>"
    with caplog.at_level(logging.WARNING, logger="dashboard.errors"):
        response = post_callback(forged)
    assert response.status_code == 204
    assert caplog.records == []


def renderer_copy(body: dict) -> dict:
    return {**body, "inputs": [dict(item) for item in body["inputs"]]}
