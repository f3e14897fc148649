"""SQL compiled once per query shape is the SQL Ibis compiles for each query."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from dashboard.callbacks import data_quality, overview, resources, training
from dashboard.callbacks.views import views_of_app
from dashboard.data import compiling, health, queries, store
from dashboard.data.cache import cache
from dashboard.data.compiling import CompiledShapes, direct_sql

VIEWS = {
    "resources": lambda: resources.resources("7d", "all"),
    "per-GPU heatmap": lambda: resources.resources_per_gpu("24h", "threat_detection"),
    "impact": lambda: overview.impact("24h", "all"),
    "training": lambda: training.training_overview("30d", "all"),
    "quality": lambda: data_quality.quality("90d", "all"),
}


@pytest.fixture
def compared(monkeypatch):
    """Every query's SQL from a fresh CompiledShapes, checked against Ibis' own compile."""
    shapes = CompiledShapes()
    checked = []

    def both(expression, dialect):
        sql = shapes.sql(expression, dialect)
        assert sql == direct_sql(expression, dialect)
        checked.append(sql)
        return sql

    monkeypatch.setattr(store, "_sql", both)
    return shapes, checked


def test_the_models_health_figures_get_ibis_sql_from_kept_shapes(app, compared):
    shapes, checked = compared
    with app.server.app_context():
        for _ in range(2):
            cache.clear()
            health.compute_health()
    assert checked and shapes.hits > 0


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_over_moving_windows_get_ibis_sql_from_kept_shapes(app, compared, monkeypatch, view):
    shapes, checked = compared
    with app.server.app_context():
        now = queries.as_of()
        for step in range(3):  # three refreshes, 30 s apart: the windows move, the shapes stay
            moved = now - pd.Timedelta(minutes=10) + pd.Timedelta(seconds=30 * step)
            monkeypatch.setattr(queries, "as_of", lambda moved=moved: moved)
            cache.clear()
            views_of_app().clear()
            VIEWS[view]()
    assert checked
    assert shapes.hits > 0
    assert shapes.misses < len(checked)


def test_a_shape_is_kept_with_placeholders_for_its_times():
    table = ibis.table({"timestamp": "timestamp('UTC')", "x": "int64"}, name="alerts")

    def query(start: str, end: str):
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        inside = (table.timestamp >= start) & (table.timestamp < end)
        return table.filter(inside).aggregate(n=table.x.sum())

    shapes = CompiledShapes()
    first = shapes.sql(query("2026-11-01T00:00Z", "2026-11-02T00:00Z"), "duckdb")
    second = shapes.sql(query("2026-11-01T00:00:30Z", "2026-11-02T00:00:30Z"), "duckdb")
    assert (shapes.misses, shapes.hits) == (1, 1)
    assert second == direct_sql(query("2026-11-01T00:00:30Z", "2026-11-02T00:00:30Z"), "duckdb")
    assert first != second
    (template,) = shapes.shapes.values()
    assert "1000" in template and "2026" not in template
    # Equal times are one placeholder: another shape than two distinct times.
    shapes.sql(query("2026-11-01T00:00Z", "2026-11-01T00:00Z"), "duckdb")
    assert shapes.misses == 2


def test_a_shape_whose_sql_hides_a_placeholder_is_compiled_whole(monkeypatch):
    table = ibis.table({"timestamp": "timestamp('UTC')"}, name="alerts")
    query = table.filter(table.timestamp < pd.Timestamp("2026-11-01T00:00Z")).count()
    shapes = CompiledShapes()
    # As if a rewrite had changed the literal: the placeholder's spelling is not in the SQL.
    monkeypatch.setattr(compiling, "direct_sql", lambda expression, dialect: "SELECT 1")
    assert shapes.sql(query, "duckdb") == "SELECT 1"
    assert list(shapes.shapes.values()) == [compiling.UNCACHEABLE]
    monkeypatch.undo()
    assert shapes.sql(query, "duckdb") == direct_sql(query, "duckdb")


def test_postgres_sql_from_kept_shapes_is_ibis_sql():
    table = ibis.table({"started_at": "timestamp('UTC')", "x": "float64"}, name="sessions")
    shapes = CompiledShapes()
    for day in ("2026-11-01", "2026-11-02"):
        start = pd.Timestamp(day, tz="UTC")
        query = table.filter(table.started_at >= start).aggregate(x=table.x.mean())
        assert shapes.sql(query, "postgres") == direct_sql(query, "postgres")
    assert shapes.hits == 1
