"""A page callback whose answer equals the one the browser has gets "no update" (204), so that
nothing is redrawn (dashboard/callbacks/answered.py)."""

import copy

import pytest

from dashboard import ids
from tests.http import renderer

ANSWERED = "-answered"


@pytest.fixture(scope="module")
def layouts(client):
    return renderer.all_layouts(client)


@pytest.fixture(scope="module")
def page_callbacks(client):
    """The callbacks that keep a digest of their last answer, by their first output's id."""
    kept = {}
    for callback in renderer.callbacks(client):
        stores = [cid for cid, prop in callback.outputs if str(cid).endswith(ANSWERED)]
        if stores:
            kept[str(callback.outputs[0][0])] = callback
    return kept


def body_for(callback, layouts, digest=None, **inputs):
    """The renderer's request for `callback`, with some inputs changed and the digest the
    browser holds."""
    body = copy.deepcopy(renderer.request_body(callback, layouts))
    for entry in body["inputs"]:
        if entry["id"] in inputs:
            entry["value"] = inputs[entry["id"]]
    for entry in body["state"]:
        if str(entry["id"]).endswith(ANSWERED):
            entry["value"] = digest
    return body


def answer(client, body):
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.data[:300]
    return response


def digest_of(response, first_output):
    return response.get_json()["response"][ids.answered(first_output)]["data"]


def test_every_data_callback_of_a_page_keeps_its_digest_in_that_page(page_callbacks, layouts):
    assert {ids.OV_KPIS, ids.TR_KPIS, ids.AB_SUMMARY, ids.DQ_INDICATORS, ids.RS_KPIS} <= set(
        page_callbacks
    )
    for first_output, callback in page_callbacks.items():
        store = ids.answered(first_output)
        assert store in layouts.props, f"{callback}: no {store} in its page"
        assert (store, "data") in [(dep["id"], dep["property"]) for dep in callback.state]


def test_the_same_answer_again_is_no_update(client, page_callbacks, layouts):
    impact = page_callbacks[ids.OV_IMPACT]
    first = answer(client, body_for(impact, layouts))
    assert first.status_code == 200
    digest = digest_of(first, ids.OV_IMPACT)
    assert isinstance(digest, str) and len(digest) == 32
    again = answer(client, body_for(impact, layouts, digest))
    assert again.status_code == 204


def test_a_different_answer_is_sent_with_its_own_digest(client, page_callbacks, layouts):
    impact = page_callbacks[ids.OV_IMPACT]
    range_store = ids.page_filter(ids.OVERVIEW, "range")
    thirty = digest_of(answer(client, body_for(impact, layouts)), ids.OV_IMPACT)
    week = answer(client, body_for(impact, layouts, thirty, **{range_store: "7d"}))
    assert week.status_code == 200
    assert digest_of(week, ids.OV_IMPACT) not in (thirty, None)
    # A digest the browser never got (stale, forged) is an answer like any other.
    assert answer(client, body_for(impact, layouts, "not-a-digest")).status_code == 200


def test_a_comparison_of_whole_experiments_is_not_redrawn_for_a_range_change(
    client, page_callbacks, layouts
):
    comparison = page_callbacks[ids.AB_SUMMARY]
    range_store = ids.page_filter(ids.AB_TESTING, "range")
    model_store = ids.page_filter(ids.AB_TESTING, "model")
    shown = digest_of(answer(client, body_for(comparison, layouts)), ids.AB_SUMMARY)
    for range_key in ("24h", "7d", "90d", "all"):
        changed = body_for(comparison, layouts, shown, **{range_store: range_key})
        assert answer(client, changed).status_code == 204, range_key
    other_model = body_for(comparison, layouts, shown, **{model_store: "threat_detection"})
    assert answer(client, other_model).status_code == 200
