"""What Dash's renderer knows and sends: callback specs, layouts, and callback request bodies.

Mirrors the browser side of dash-renderer (`fillVals` and the payload of `handleServerside`)
closely enough to build requests that Dash accepts, so that tests can then forge them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from dashboard import ids

# Dash escapes dots inside a component id with a backslash when it builds a callback's output
# string; multi-output callbacks join their outputs with '...' and wrap them in '..'.
_UNESCAPED_DOT = re.compile(r"(?<!\\)\.")


def stringify_id(component_id: str | dict) -> str:
    """Dash's string form of an id: dict ids as compact JSON with sorted keys."""
    if isinstance(component_id, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(key)}:{json.dumps(component_id[key])}" for key in sorted(component_id)
            )
            + "}"
        )
    return component_id


def parse_id(component_id: str) -> str | dict:
    return json.loads(component_id) if component_id.startswith("{") else component_id


def split_output(output: str) -> list[tuple[str, str]]:
    """('id', 'property') of every output named by a callback's output string."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = []
    for part in parts:
        cut = [match.start() for match in _UNESCAPED_DOT.finditer(part)][-1]
        # A property may carry '@<hash>' when the output allows duplicates.
        outputs.append((part[:cut].replace("\\.", "."), part[cut + 1 :].split("@")[0]))
    return outputs


def is_wildcard(component_id: str | dict) -> bool:
    return isinstance(component_id, dict) and any(
        isinstance(value, list) for value in component_id.values()
    )


def matches(pattern: dict, concrete: dict) -> bool:
    """Whether a concrete dict id matches a pattern-matching id (wildcards match any value)."""
    if set(pattern) != set(concrete):
        return False
    return all(isinstance(value, list) or concrete[key] == value for key, value in pattern.items())


@dataclass(frozen=True)
class Callback:
    """One entry of `/_dash-dependencies`."""

    spec: dict[str, Any]

    @property
    def output(self) -> str:
        return self.spec["output"]

    @property
    def outputs(self) -> list[tuple[str | dict, str]]:
        return [(parse_id(component_id), prop) for component_id, prop in split_output(self.output)]

    @property
    def inputs(self) -> list[dict[str, Any]]:
        return [{**dep, "id": parse_id(dep["id"])} for dep in self.spec["inputs"]]

    @property
    def state(self) -> list[dict[str, Any]]:
        return [{**dep, "id": parse_id(dep["id"])} for dep in self.spec["state"]]

    @property
    def clientside(self) -> bool:
        return self.spec.get("clientside_function") is not None

    def __str__(self) -> str:
        return self.output


def callbacks(client: FlaskClient) -> list[Callback]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200, response.status_code
    return [Callback(spec) for spec in response.get_json()]


def components(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component (its JSON form: type, namespace, props) in a serialised layout."""
    if isinstance(tree, list):
        for item in tree:
            yield from components(item)
    elif isinstance(tree, dict):
        if "type" in tree and "namespace" in tree and isinstance(tree.get("props"), dict):
            yield tree
        for value in (tree.get("props") or tree).values():
            yield from components(value)


@dataclass
class Layouts:
    """The props of every component with an id, in the shell and in every page's layout."""

    props: dict[str, dict[str, Any]]

    def concrete_ids(self, pattern: str | dict) -> list[str | dict]:
        if not is_wildcard(pattern):
            return [pattern] if stringify_id(pattern) in self.props else []
        return [
            parse_id(key)
            for key in self.props
            if key.startswith("{") and matches(pattern, parse_id(key))
        ]

    def value(self, component_id: str | dict, prop: str) -> Any:
        return self.props.get(stringify_id(component_id), {}).get(prop)


# What the browser fills in for a dcc.Location on first load.
LOCATION_PROPS = {"pathname": "/", "search": "", "hash": "", "href": "http://localhost/"}


def collect_props(tree: Any, into: dict[str, dict[str, Any]]) -> None:
    for component in components(tree):
        props = component["props"]
        if props.get("id") is None:
            continue
        if component["type"] == "Location":
            props = {**LOCATION_PROPS, **props}
        into[stringify_id(props["id"])] = props


def page_paths(client: FlaskClient) -> list[str]:
    """The paths of the navigation links in the shell: the dashboard's registered pages."""
    layout = client.get("/_dash-layout").get_json()
    paths = []
    for component in components(layout):
        component_id = component["props"].get("id")
        if isinstance(component_id, dict) and "path" in component_id:
            paths.append(component_id["path"])
    return paths


# The pages router: draws the page at a path into its slot (dashboard/callbacks/router.py).
PAGE_PREFIXES = {
    "/": ids.OVERVIEW,
    "/training": ids.TRAINING,
    "/ab-testing": ids.AB_TESTING,
    "/data-quality": ids.DATA_QUALITY,
    "/resources": ids.RESOURCES,
    "/404": ids.NOT_FOUND,
}
ROUTER_SLOTS = [ids.page_slot(prefix) for prefix in PAGE_PREFIXES.values()]
ROUTER_OUTPUT = ".." + "...".join(f"{slot}.children" for slot in ROUTER_SLOTS) + ".."


def router_body(pathname: str) -> dict[str, Any]:
    """What the browser's router sends to have the page at `pathname` drawn."""
    return {
        "output": ROUTER_OUTPUT,
        "outputs": [{"id": slot, "property": "children"} for slot in ROUTER_SLOTS],
        "inputs": [{"id": ids.PAGE_WANTED, "property": "data", "value": pathname}],
        "changedPropIds": [f"{ids.PAGE_WANTED}.data"],
    }


def page_layout(client: FlaskClient, pathname: str, search: str = "") -> Any:
    """A page's layout as the pages router callback serves it to the browser (an unknown
    path: the 404 page, in its slot)."""
    response = client.post("/_dash-update-component", json=router_body(pathname))
    assert response.status_code == 200, (pathname, response.status_code, response.data[:300])
    slot = ids.page_slot(PAGE_PREFIXES.get(pathname, ids.NOT_FOUND))
    return response.get_json()["response"][slot]["children"]


def all_layouts(client: FlaskClient) -> Layouts:
    props: dict[str, dict[str, Any]] = {}
    collect_props(client.get("/_dash-layout").get_json(), props)
    # The 404 page has no link but its own layout.
    for path in [*page_paths(client), "/no-such-page"]:
        collect_props(page_layout(client, path), props)
    return Layouts(props)


def request_body(callback: Callback, layouts: Layouts) -> dict[str, Any]:
    """The body the renderer sends for `callback`, with input and state values from the layouts.

    A property the layout does not set (say `n_intervals` before the first tick) is left out,
    as the renderer's JSON.stringify drops undefined values.
    """

    def value_of(dep: dict[str, Any]) -> Any:
        def entry(component_id: str | dict) -> dict[str, Any]:
            item = {"id": component_id, "property": dep["property"]}
            value = layouts.value(component_id, dep["property"])
            if value is not None:
                item["value"] = value
            return item

        if is_wildcard(dep["id"]):
            return [entry(component_id) for component_id in layouts.concrete_ids(dep["id"])]
        return entry(dep["id"])

    outputs = [{"id": component_id, "property": prop} for component_id, prop in callback.outputs]
    inputs = [value_of(dep) for dep in callback.inputs]
    first = inputs[0] if inputs else None
    changed = []
    if isinstance(first, dict):
        changed = [f"{stringify_id(first['id'])}.{first['property']}"]
    body: dict[str, Any] = {
        "output": callback.output,
        "outputs": outputs if callback.output.startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": changed,
    }
    if callback.state:
        body["state"] = [value_of(dep) for dep in callback.state]
    return body
