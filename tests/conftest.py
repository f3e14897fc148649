"""Shared fixtures: one dashboard per test session, on simulated data pinned to a fixed time."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash import Dash
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dashboard import create_app
from dashboard.data.sources import SimulatorSource, Snapshot, Source

# The moment every test sees as "now", so figures and numbers do not move between runs.
FIXED_NOW = pd.Timestamp("2026-11-26 13:30", tz="UTC")
SEED = 20261126

CALLBACK_URL = "/_dash-update-component"
# One store directory per test run: apps on the same source share what was ingested.
TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="dashboard-test-store-"))


class FixedTimeSource:
    """Wraps a source so that it always loads the data as of `now`, whatever the clock says."""

    def __init__(self, source: Source, now: pd.Timestamp) -> None:
        self.source = source
        self.now = now.as_unit("us")
        self.name = f"{source.name} at {self.now.isoformat()}"

    def read(self, now: pd.Timestamp, since: pd.Timestamp | None = None) -> Snapshot:
        return self.source.read(self.now, since)


def testing_config(**overrides: object) -> dict[str, object]:
    """The settings of a test app: no live refresh, an in-process cache, a pinned clock."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "REFRESH_SECONDS": 0,
        "CACHE_TYPE": "SimpleCache",
        "AUTH_MODE": "none",  # whatever DASHBOARD_AUTH the developer's shell sets
        "HOST": "127.0.0.1",  # as ./scripts/run binds
        "MAX_CONTENT_LENGTH": 1_000_000,
        "DATA_SOURCE_OBJECT": FixedTimeSource(SimulatorSource(SEED), FIXED_NOW),
        "DATA_DIR": str(TEST_DATA_DIR),
        "INGEST": "inline",
        **overrides,
    }


# Test modules import this; pytest would otherwise collect it as a test ("test*" names).
testing_config.__test__ = False


@pytest.fixture(scope="session")
def app() -> Dash:
    return create_app(testing_config())


@pytest.fixture(scope="session")
def client(app: Dash) -> FlaskClient:
    return app.server.test_client()


@pytest.fixture(scope="session")
def post_callback(client: FlaskClient) -> Callable[..., TestResponse]:
    """POST a callback request as Dash's renderer does: a JSON body, or raw bytes to forge one."""

    def post(body: Any, *, raw: bool = False, content_type: str = "application/json"):
        data = body if raw else json.dumps(body)
        return client.post(CALLBACK_URL, data=data, content_type=content_type)

    return post


@pytest.fixture
def app_context(app: Dash):
    """Run a test inside the shared app's context, as callbacks and queries run."""
    with app.server.app_context():
        yield
