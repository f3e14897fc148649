"""The same data in PostgreSQL, queried in place, gives the same figures on every page as the
embedded store: the query layer pushes filters and aggregation down to either engine."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import create_app
from dashboard.callbacks import ab_testing, data_quality, overview, resources, training
from dashboard.data import experiments, quality, queries
from dashboard.data.store import store
from simulator.schema import TABLES
from tests.conftest import FIXED_NOW, testing_config
from tests.helpers import stored_table, text_of
from tests.postgres import load_tables

pytest_plugins = ["tests.postgres_fixtures"]
pytestmark = [pytest.mark.postgres, pytest.mark.serving]

RANGES = ("24h", "7d", "30d", "all")


@pytest.fixture(scope="module")
def postgres_app(app, postgres_url):
    """An app on PostgreSQL holding the embedded store's tables, its clock at the tests' now."""
    with app.server.app_context():
        load_tables(postgres_url, {name: stored_table(name) for name in TABLES})
    return create_app(
        testing_config(
            DATA_SOURCE=postgres_url,
            DATA_SOURCE_OBJECT=None,
            CLOCK_OBJECT=lambda: FIXED_NOW,
        )
    )


def figures() -> dict[str, object]:
    """What the pages compute, for every range and a model type."""
    shown: dict[str, object] = {"as_of": queries.as_of()}
    for range_key in RANGES:
        for model in ("all", "threat_detection"):
            tag = f"{range_key}/{model}"
            shown[f"sessions {tag}"] = queries.sessions_in_range(range_key, model)
            shown[f"session trends {tag}"] = queries.session_trends(range_key, model)
            shown[f"kpis {tag}"] = queries.alert_kpi_change(range_key, model)
            shown[f"alert trends {tag}"] = queries.alert_trends(range_key, model)
            shown[f"version trends {tag}"] = queries.version_trends(range_key, model)
            shown[f"resource summary {tag}"] = queries.resource_summary(range_key, model)
            shown[f"fleet {tag}"] = queries.fleet_trends(range_key, model)
            shown[f"gpus {tag}"] = queries.resource_trends(range_key, model)
            shown[f"quality {tag}"] = quality.quality_summary(range_key, model)
    shown["active"] = queries.active_sessions()
    shown["versions"] = queries.version_table("all")
    shown["current version"] = queries.current_version()["version"]
    for experiment_id in experiments.experiment_list()["experiment_id"]:
        chosen = experiments.experiment_comparison(experiment_id)
        shown[f"arms {experiment_id}"] = experiments.arm_summary(chosen, "all")
        shown[f"cumulative {experiment_id}"] = experiments.cumulative_counts(chosen, "all")
    session = queries.sessions_in_range("7d", "all")["session_id"].iloc[-1]
    shown["session metrics"] = queries.session_metrics(session)
    shown["session resources"] = queries.session_resources(session)
    return shown


def pages() -> list[str]:
    """The text of each page's default view, as a user reads it."""
    return [
        text_of(overview.impact("30d", "all")[0]),
        text_of(training.training_overview("30d", "all")[0]),
        text_of(resources.resources("7d", "all")[0]),
        text_of(data_quality.quality("30d", "all")[0]),
        str(ab_testing.version_table("all")),
    ]


def test_postgres_holds_every_table_in_place(postgres_app):
    with postgres_app.server.app_context():
        status = store.status()
    assert status["loaded"] and status["missing_tables"] == []
    assert status["source"].startswith("postgresql postgresql://")
    assert ":" not in status["source"].split("@")[0].split("//")[1], "no password in the name"


def test_every_figure_equals_the_embedded_stores(app, postgres_app):
    with app.server.app_context():
        embedded, embedded_pages = figures(), pages()
    with postgres_app.server.app_context():
        in_place, in_place_pages = figures(), pages()
    assert in_place_pages == embedded_pages
    for name, value in embedded.items():
        other = in_place[name]
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(
                other.reset_index(drop=True),
                value.reset_index(drop=True),
                check_dtype=False,
                check_exact=False,
                rtol=1e-9,
                obj=name,
            )
        elif isinstance(value, pd.Series):
            pd.testing.assert_series_equal(
                other, value, check_dtype=False, check_exact=False, rtol=1e-9, obj=name
            )
        else:
            assert other == value, name


def test_a_change_in_the_database_makes_a_new_generation(postgres_app, postgres_url):
    import psycopg

    from dashboard.data.ingest import ingester_for

    with postgres_app.server.app_context():
        before = store.manifest().generation
        ingester = ingester_for(postgres_app.server.config)
        assert ingester.run_once().generation == before, "nothing changed: same generation"
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute("DELETE FROM data_quality WHERE date = (SELECT max(date) FROM data_quality)")
        assert ingester.run_once().generation == before + 1


def test_a_database_made_before_run_names_serves_its_sessions_unnamed(app, postgres_server):
    import psycopg

    from dashboard.callbacks import session_grid

    older = postgres_server.create_database("before_run_names")
    with app.server.app_context():
        load_tables(older, {name: stored_table(name) for name in TABLES})
    with psycopg.connect(older, autocommit=True) as db:
        db.execute("ALTER TABLE training_sessions DROP COLUMN run_name")
    older_app = create_app(
        testing_config(DATA_SOURCE=older, DATA_SOURCE_OBJECT=None, CLOCK_OBJECT=lambda: FIXED_NOW)
    )
    with older_app.server.app_context():
        sessions = queries.sessions_in_range("7d", "all")
        rows = session_grid.session_page({"startRow": 0, "endRow": 5}, "7d", "all")["rowData"]
    assert len(sessions) > 0 and sessions["run_name"].isna().all()
    assert rows[0]["run_name"] == "" and rows[0]["session_id"]
