"""The vendored plotly.js cartesian bundle: it matches plotly.py and draws every chart type used.

Dash's dcc.Graph uses `window.Plotly` when a script in `assets/` defines it, instead of loading
the full 4.8 MB bundle that ships with plotly.py; the cartesian bundle is 1.5 MB.
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "assets" / "vendor" / "plotly-cartesian.min.js"


def bundle_version() -> str:
    header = BUNDLE.read_text(encoding="utf-8")[:300]
    match = re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", header)
    assert match, f"no cartesian version in the header of {BUNDLE}"
    return match.group(1)


def bundle_trace_types() -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text(encoding="utf-8")))


def trace_class(name: str) -> type | None:
    """go.Scatter for "Scatter" or "scatter", if that names a trace type."""
    found = getattr(go, name[0].upper() + name[1:], None)
    is_trace = isinstance(found, type) and issubclass(found, BaseTraceType)
    return found if is_trace else None


def dashboard_trace_types() -> set[str]:
    """Trace types the dashboard's figures are built from: `go.Scatter(` and the like, and the
    trace dicts of components/figures.py (`"type": "scatter"`; shapes' and error bars' types
    are not trace types)."""
    names = set()
    for source in (ROOT / "dashboard").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names.update(re.findall(r"\bgo\.([A-Z]\w*)\(", text))
        names.update(re.findall(r'"type": "(\w+)"', text))
    classes = [trace_class(name) for name in names]
    return {trace().type for trace in classes if trace is not None}


def test_the_bundle_is_the_plotly_js_release_plotly_py_writes_figures_for():
    # Figures are written by plotly.py for its own plotly.js; a different major version can
    # read them differently. Update the bundle with plotly (see assets/vendor/README.md).
    vendored, expected = bundle_version(), get_plotlyjs_version()
    assert vendored.split(".")[0] == expected.split(".")[0], (vendored, expected)


def test_the_bundle_draws_every_trace_type_the_dashboard_uses():
    used = dashboard_trace_types()
    assert {"scatter", "bar", "heatmap"} <= used  # the scan finds the figures' traces
    assert used <= bundle_trace_types()
