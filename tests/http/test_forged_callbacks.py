"""Callback requests a browser would never send: none of them may make the server answer 5xx.

Every server-side callback in `/_dash-dependencies` gets a valid request built the way Dash's
renderer builds it, then the same request with one input or state value forged at a time.
"""

import copy
import json
import re

import pytest

from tests.http import renderer

FORGED_QUERY = "?range=365d&model=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
# Just under the request size limit, so the value reaches the callbacks.
LARGE_STRING = "x" * 900_000

FORGED_VALUES = {
    "unknown range": "365d",
    "script": "<script>alert(1)</script>",
    "forged query string": FORGED_QUERY,
    "list": ["30d", "threat_detection"],
    "dict": {"range": "30d", "model": "all"},
    "number": 30,
    "negative number": -1,
    "float": 1e308,
    "null": None,
    "bool": True,
    "large string": LARGE_STRING,
}

# Overview callbacks must answer a browser's request with data, not "no update".
OVERVIEW_OUTPUT_PREFIX = "ov-"


@pytest.fixture(scope="module")
def server_callbacks(client):
    return [callback for callback in renderer.callbacks(client) if not callback.clientside]


@pytest.fixture(scope="module")
def layouts(client):
    return renderer.all_layouts(client)


@pytest.fixture(scope="module")
def valid_bodies(server_callbacks, layouts):
    return {
        callback.output: renderer.request_body(callback, layouts) for callback in server_callbacks
    }


def forged_bodies(body, value):
    """(slot, body) with one input or state value replaced by `value`, for every slot."""
    for kind in ("inputs", "state"):
        for index in range(len(body.get(kind, []))):
            forged = copy.deepcopy(body)
            targets = forged[kind][index]
            targets = targets if isinstance(targets, list) else [targets]
            for target in targets:
                target["value"] = value
            first = targets[0] if targets else {"id": "?", "property": "?"}
            yield (
                f"{kind}[{index}] {renderer.stringify_id(first['id'])}.{first['property']}",
                forged,
            )


def summary(response):
    return f"{response.status_code} {response.data[:200]!r}"


def test_valid_requests_answer_200_or_no_update(valid_bodies, post_callback):
    failures = {}
    for output, body in valid_bodies.items():
        response = post_callback(body)
        if response.status_code not in (200, 204):
            failures[output] = summary(response)
    assert failures == {}


def test_overview_callbacks_answer_json(valid_bodies, post_callback):
    overview = {
        output: body
        for output, body in valid_bodies.items()
        if output.lstrip(".").startswith(OVERVIEW_OUTPUT_PREFIX)
    }
    assert len(overview) >= 3
    for output, body in overview.items():
        response = post_callback(body)
        assert response.status_code == 200, (output, summary(response))
        assert response.mimetype == "application/json"
        answer = response.get_json()["response"]
        assert answer
        assert set(answer) <= {component_id for component_id, _ in renderer.split_output(output)}


@pytest.mark.parametrize("value", FORGED_VALUES.values(), ids=FORGED_VALUES.keys())
def test_forged_values_never_answer_5xx(valid_bodies, post_callback, client, value):
    failures = {}
    for output, body in valid_bodies.items():
        for slot, forged in forged_bodies(body, value):
            response = post_callback(forged)
            if response.status_code >= 500:
                failures[f"{output} {slot}"] = summary(response)
    assert failures == {}
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("filter_name", ["range", "model"])
@pytest.mark.parametrize("value", ["365d", "<script>alert(1)</script>", ["30d"], {}, 7, None])
def test_forged_filter_inputs_give_no_update(valid_bodies, post_callback, filter_name, value):
    # Values outside the allowed set are rejected, never passed on to the query layer. Page
    # callbacks take the filters from their page's stores ('page-tr-range.data').
    answered = {}
    for output, body in valid_bodies.items():
        for slot, forged in forged_bodies(body, value):
            if slot.startswith("inputs[") and re.search(rf" page-\w+-{filter_name}\.data$", slot):
                answered[f"{output} {slot}"] = post_callback(forged).status_code
    assert answered
    assert {
        slot: status for slot, status in answered.items() if status == 200 or status >= 500
    } == {}


def test_huge_body_is_refused_before_dash_reads_it(valid_bodies, post_callback):
    body = next(iter(valid_bodies.values()))
    forged = next(forged_bodies(body, "x" * 1_000_000))[1]
    assert post_callback(forged).status_code == 413


def malformed_bodies(valid_body):
    """(name, raw request body, content type) of bodies Dash's renderer never sends."""
    json_type = "application/json"
    yield "empty body", b"", json_type
    yield "not JSON", b"{output: nope", json_type
    yield "JSON array", b"[]", json_type
    yield "JSON string", b'"..ov-kpis.children.."', json_type
    yield "JSON number", b"8503", json_type
    yield "JSON null", b"null", json_type
    yield "deeply nested JSON", b"[" * 100_000 + b"]" * 100_000, json_type
    yield "not declared as JSON", json.dumps(valid_body).encode(), "text/plain"

    def variant(name, **changes):
        body = {**copy.deepcopy(valid_body), **changes}
        for key, value in changes.items():
            if value is KeyError:
                del body[key]
        return name, json.dumps(body).encode(), json_type

    yield variant("missing inputs", inputs=KeyError)
    yield variant("missing output", output=KeyError)
    yield variant("missing outputs", outputs=KeyError)
    yield variant("inputs is a dict", inputs={"id": "filter-range", "value": "30d"})
    yield variant("inputs of scalars", inputs=[1, "a", None])
    yield variant("input without id", inputs=[{"property": "value", "value": "30d"}])
    yield variant("input without property", inputs=[{"id": "filter-range", "value": "30d"}])
    yield variant("unknown output id", output="no-such-component.children")
    yield variant("output is a list", output=["ov-kpis.children"])
    yield variant("outputs is a string", outputs="ov-kpis.children")
    yield variant("outputs of scalars", outputs=[1, 2])
    yield variant("state is a string", state="filter-range.value")
    yield variant("state of scalars", state=[1, None])
    yield variant("changedPropIds is a number", changedPropIds=1)
    yield variant("changedPropIds unknown", changedPropIds=["no-such-component.value"])
    yield variant("too few inputs", inputs=valid_body["inputs"][:1])
    yield variant("too many inputs", inputs=[*valid_body["inputs"], *valid_body["inputs"]])


# Bodies Dash cannot make sense of at all; the rest may also run the callback or give no update.
REFUSED = {
    "empty body",
    "not JSON",
    "JSON array",
    "JSON string",
    "JSON number",
    "JSON null",
    "not declared as JSON",
    "missing inputs",
    "missing output",
    "inputs is a dict",
    "unknown output id",
    "output is a list",
}


def test_malformed_bodies_never_answer_5xx(valid_bodies, post_callback, client):
    failures = {}
    for output, valid_body in valid_bodies.items():
        for name, data, content_type in malformed_bodies(valid_body):
            response = post_callback(data, raw=True, content_type=content_type)
            refused = 400 <= response.status_code < 500
            if response.status_code >= 500 or (name in REFUSED and not refused):
                failures[f"{output} {name}"] = summary(response)
    assert failures == {}
    assert client.get("/health").status_code == 200


def test_clientside_callbacks_are_not_served(client, post_callback, layouts):
    for callback in renderer.callbacks(client):
        if callback.clientside:
            response = post_callback(renderer.request_body(callback, layouts))
            assert 400 <= response.status_code < 500, (str(callback), summary(response))


@pytest.mark.parametrize("changed", [[None], [5]])
def test_forged_changed_prop_ids_get_whole_figures_not_a_server_error(client, changed):
    # Dash's callback context fails on these while telling a partial update from a whole one.
    body = {
        "output": "..rs-kpis.children...rs-utilisation-chart.figure...rs-memory-chart.figure"
        "...rs-kpis-answered.data..",
        "outputs": [
            {"id": "rs-kpis", "property": "children"},
            {"id": "rs-utilisation-chart", "property": "figure"},
            {"id": "rs-memory-chart", "property": "figure"},
            {"id": "rs-kpis-answered", "property": "data"},
        ],
        "inputs": [
            {"id": "page-rs-range", "property": "data", "value": "7d"},
            {"id": "page-rs-model", "property": "data", "value": "all"},
            {"id": "page-rs-tick", "property": "data", "value": 0},
            {"id": "rs-window-width", "property": "data", "value": 1366},
        ],
        "state": [{"id": "rs-kpis-answered", "property": "data", "value": None}],
        "changedPropIds": changed,
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    assert "__dash_patch_update" not in response.get_data(as_text=True)
