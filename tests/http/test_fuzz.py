"""Seeded fuzzing of /_dash-update-component for every server-side callback.

Each callback's valid request (built as Dash's renderer builds it) is mutated at random but
reproducibly: hostile values, wrong types, broken structure, huge payloads, bytes that are not
JSON. No answer may be a 5xx, the app must stay healthy, and no forged text may reach a cached
query of dashboard.data (it would be computed on and become a cache key): the query layer may see
a forged value only to refuse it.
"""

from __future__ import annotations

import copy
import inspect
import json
import random
import sys
from typing import Any

import pytest

from tests.http import renderer

SEED = 8503
ROUNDS_PER_CALLBACK = 20
RAW_ROUNDS_PER_CALLBACK = 8
# Every forged string carries this, so that the query layer can tell it when it sees one.
MARKER = "FUZZ"
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "'; DROP TABLE training_sessions; --",
    "../../../../etc/passwd",
    "%s%s%n{0}{__class__}",
    "${jndi:ldap://127.0.0.1/a}",
    "\u202eevil\u0000null\ufeff",
    "30d\u0000",
    "threat_detection ",
    "🛡️" * 50,
]


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random value of a random JSON type; every string in it carries MARKER."""
    kind = rng.randrange(11 if depth < 3 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**31, -(2**63), 2**70, rng.randint(-1000, 1000)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e-308, 3.14159])
    if kind == 4:
        return MARKER + rng.choice(HOSTILE)
    if kind == 5:
        return MARKER + "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(40)))
    if kind == 6:
        return MARKER * rng.randrange(1, 20_000)
    if kind == 7:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 8:
        return {MARKER + str(index): junk(rng, depth + 1) for index in range(rng.randrange(4))}
    if kind == 9:
        nested: Any = MARKER
        for _ in range(200):
            nested = [nested]
        return nested
    return {"id": MARKER, "property": "value", "value": junk(rng, depth + 1)}


def dependencies(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every input and state item of a callback request (wildcard lists flattened)."""
    items = []
    for kind in ("inputs", "state"):
        for item in body.get(kind, []):
            items.extend(item if isinstance(item, list) else [item])
    return [item for item in items if isinstance(item, dict)]


def mutate(rng: random.Random, valid: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One random mutation of `valid`: (its name, the forged body)."""
    body = copy.deepcopy(valid)
    items = dependencies(body)
    choice = rng.randrange(10)
    if choice == 0 and items:
        rng.choice(items)["value"] = junk(rng)
        return "one value", body
    if choice == 1 and items:
        for item in items:
            item["value"] = junk(rng)
        return "every value", body
    if choice == 2 and items:
        rng.choice(items).pop("value", None)
        return "value left out", body
    if choice == 3 and items:
        rng.choice(items)["id"] = junk(rng)
        return "id", body
    if choice == 4 and items:
        rng.choice(items)["property"] = MARKER + rng.choice(["value", "children", "__proto__"])
        return "property", body
    if choice == 5 and body.get("inputs"):
        body["inputs"][rng.randrange(len(body["inputs"]))] = junk(rng)
        return "input item", body
    if choice == 6:
        body[rng.choice(["outputs", "changedPropIds", "state"])] = junk(rng)
        return "structure", body
    if choice == 7:
        body["output"] = body["output"] + rng.choice([MARKER, "..", "...x.y", "\\"])
        return "output string", body
    if choice == 8:
        body.update({MARKER + str(index): junk(rng) for index in range(3)})
        return "extra keys", body
    if items:
        rng.choice(items)["value"] = MARKER + "x" * 600_000
        return "huge value", body
    return "unchanged", body


def raw_mutation(rng: random.Random, valid: dict[str, Any]) -> tuple[str, bytes, str]:
    """One random byte-level mutation: (name, body, content type)."""
    text = json.dumps(valid)
    json_type = "application/json"
    choice = rng.randrange(8)
    if choice == 0:
        return "truncated", text[: rng.randrange(len(text))].encode(), json_type
    if choice == 1:
        data = bytearray(text.encode())
        for _ in range(5):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return "bytes flipped", bytes(data), json_type
    if choice == 2:
        return (
            "NaN and Infinity",
            text.replace('"value": ', '"value": NaN, "x": ', 1).encode(),
            json_type,
        )
    if choice == 3:
        return "byte order mark", b"\xef\xbb\xbf" + text.encode(), json_type
    if choice == 4:
        return "invalid UTF-8", text.encode().replace(b'"', b'"\xff\xfe', 1), json_type
    if choice == 5:
        return (
            "5,000-digit number",
            text.replace('"value": ', '"value": ' + "9" * 5000 + ', "x": ', 1).encode(),
            json_type,
        )
    if choice == 6:
        return "duplicate keys", ('{"inputs": 1, ' + text[1:]).encode(), json_type
    content_type = rng.choice(
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
    )
    return "other content type", text.encode(), content_type


def forged_strings(value: Any) -> list[str]:
    """The forged strings (with MARKER) anywhere inside `value`."""
    if isinstance(value, str):
        return [value[:80]] if MARKER in value else []
    if isinstance(value, dict):
        return [
            found for item in [*value.keys(), *value.values()] for found in forged_strings(item)
        ]
    if isinstance(value, list | tuple | set):
        return [found for item in value for found in forged_strings(item)]
    return []


@pytest.fixture
def cached_query_calls(monkeypatch):
    """Watches every memoised function of dashboard.data, wherever it was imported: how many
    calls it saw, and those with forged text."""
    seen: dict[str, Any] = {"calls": 0, "forged": []}

    def watch(function):
        def watched(*args, **kwargs):
            seen["calls"] += 1
            forged = forged_strings([args, kwargs])
            if forged:
                seen["forged"].append(f"{function.__module__}.{function.__name__}{forged}")
            return function(*args, **kwargs)

        return watched

    watched = {
        function: watch(function)
        for module_name, module in list(sys.modules.items())
        if module_name.startswith("dashboard.data.")
        for function in vars(module).values()
        # flask-caching's memoize gives the functions it wraps an `uncached` attribute.
        if inspect.isfunction(function) and hasattr(function, "uncached")
    }
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("dashboard"):
            for name, value in list(vars(module).items()):
                if inspect.isfunction(value) and value in watched:
                    monkeypatch.setattr(module, name, watched[value])
    return seen


@pytest.fixture(scope="module")
def valid_bodies(client):
    layouts = renderer.all_layouts(client)
    return {
        callback.output: renderer.request_body(callback, layouts)
        for callback in renderer.callbacks(client)
        if not callback.clientside
    }


def summary(response) -> str:
    return f"{response.status_code} {response.data[:160]!r}"


def test_fuzzed_callback_requests_never_answer_5xx(
    valid_bodies, post_callback, client, cached_query_calls
):
    rng = random.Random(SEED)
    failures = {}
    for output, valid in valid_bodies.items():
        for round_ in range(ROUNDS_PER_CALLBACK):
            name, forged = mutate(rng, valid)
            response = post_callback(forged)
            if response.status_code >= 500:
                failures[f"{output} #{round_} {name}"] = summary(response)
    assert failures == {}
    assert cached_query_calls["forged"] == []
    assert cached_query_calls["calls"] > 0  # the watch is wired: valid values got through
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200


def test_fuzzed_request_bytes_never_answer_5xx(valid_bodies, post_callback, client):
    rng = random.Random(SEED + 1)
    failures = {}
    for output, valid in valid_bodies.items():
        for round_ in range(RAW_ROUNDS_PER_CALLBACK):
            name, data, content_type = raw_mutation(rng, valid)
            response = post_callback(data, raw=True, content_type=content_type)
            if response.status_code >= 500:
                failures[f"{output} #{round_} {name}"] = summary(response)
    assert failures == {}
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("size", [1_000_001, 5_000_000])
def test_bodies_over_the_limit_are_refused_with_413(valid_bodies, post_callback, size):
    valid = next(iter(valid_bodies.values()))
    forged = copy.deepcopy(valid)
    dependencies(forged)[0]["value"] = "x" * size
    assert post_callback(forged).status_code == 413
