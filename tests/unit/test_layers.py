"""The layers' import rules (STYLE.md, DESIGN.md), read from every module's syntax tree.

Dependencies point one way: pages import ids and component builders; callbacks import the
query layer and the builders; builders never import the data layer; the vocabulary both sides
need lives in dashboard/domain.py; the simulator never imports the dashboard. Imports inside
functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package (a folder or module under ROOT) -> packages none of its modules may import
FORBIDDEN = {
    "dashboard/components": ("dashboard.data", "dashboard.callbacks", "dashboard.pages"),
    "dashboard/pages": ("dashboard.data", "dashboard.callbacks", "dashboard.analysis"),
    "dashboard/domain.py": ("dashboard", "dash", "flask"),
    "dashboard/analysis": ("dashboard.data", "dashboard.components", "dashboard.callbacks", "dash"),
    "dashboard/data": ("dashboard.components", "dashboard.callbacks", "dashboard.pages", "dash"),
    "simulator": ("dashboard",),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved; `from a import b` counts as
    both `a` and `a.b` (b may be a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def modules_of(location: str) -> list[Path]:
    target = ROOT / location
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def broken_rules(location: str, forbidden: tuple[str, ...]) -> list[str]:
    broken = []
    for path in modules_of(location):
        for imported in sorted(imported_modules(path)):
            for package in forbidden:
                if is_within(imported, package):
                    broken.append(f"{path.relative_to(ROOT)} imports {imported}")
    return broken


@pytest.mark.parametrize("location", FORBIDDEN)
def test_no_module_imports_across_its_layer(location):
    assert modules_of(location), f"{location} holds no module: the rule checks nothing"
    assert broken_rules(location, FORBIDDEN[location]) == []


def test_the_check_sees_the_imports_it_forbids(tmp_path, monkeypatch):
    # A builder importing the data layer in each way Python allows is caught.
    components = tmp_path / "dashboard" / "components"
    components.mkdir(parents=True)
    (tmp_path / "dashboard" / "__init__.py").write_text("")
    (components / "__init__.py").write_text("")
    (components / "chart.py").write_text(
        "from dashboard.data.queries import sessions_in_range\n"
        "from ..data import store\n"
        "def draw():\n"
        "    import dashboard.callbacks.training\n"
        "    from dashboard import data\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert broken_rules("dashboard/components", FORBIDDEN["dashboard/components"]) == [
        "dashboard/components/chart.py imports dashboard.callbacks.training",
        "dashboard/components/chart.py imports dashboard.data",
        "dashboard/components/chart.py imports dashboard.data.queries",
        "dashboard/components/chart.py imports dashboard.data.queries.sessions_in_range",
        "dashboard/components/chart.py imports dashboard.data.store",
    ]
