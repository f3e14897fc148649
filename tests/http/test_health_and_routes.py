"""The HTTP surface Dash serves: health, page shells, layout and callback graph."""

from collections import Counter

import pytest

from tests.http import renderer

PAGE_PATHS = ["/", "/training", "/ab-testing", "/data-quality", "/resources"]


def test_health_answers_200(client):
    response = client.get("/health")
    assert response.status_code == 200


@pytest.mark.parametrize("path", [*PAGE_PATHS, "/no-such-page", "/training/extra?range=7d"])
def test_every_path_serves_the_html_shell(client, path):
    # The page itself, and the 404 page, are rendered in the browser: the server sends the shell.
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b'id="react-entry-point"' in response.data
    assert b"<title>" in response.data


def test_navigation_links_every_page(client):
    assert renderer.page_paths(client) == PAGE_PATHS


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies"])
def test_dash_endpoints_answer_json(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()


def test_every_callback_output_is_written_by_one_callback(client):
    # Outputs declared with allow_duplicate (marked '@' by Dash) are partial updates on purpose:
    # the Training charts' zoom patches.
    outputs = Counter(
        (renderer.stringify_id(component_id), prop)
        for callback in renderer.callbacks(client)
        if "@" not in callback.output
        for component_id, prop in callback.outputs
    )
    assert [output for output, count in outputs.items() if count > 1] == []


def test_every_callback_refers_to_components_in_the_shell_or_a_page(client):
    layouts = renderer.all_layouts(client)
    missing = {
        f"{callback}: {renderer.stringify_id(dep['id'])}"
        for callback in renderer.callbacks(client)
        for dep in [
            *({"id": component_id} for component_id, _ in callback.outputs),
            *callback.inputs,
            *callback.state,
        ]
        if not layouts.concrete_ids(dep["id"])
    }
    assert sorted(missing) == []


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_layout_is_served_by_the_router(client, path):
    assert renderer.page_layout(client, path, "?range=7d&model=threat_detection")


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/dash/no-such-file.js",
        "/_dash-component-suites/dash/deps/react@18.v4_4_1m1.min.js",
        "/_dash-component-suites/no_such_package/bundle.js",
    ],
)
def test_a_component_suite_path_dash_does_not_serve_is_404(client, path):
    assert client.get(path).status_code == 404
