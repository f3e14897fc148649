"""pytest fixtures for a real PostgreSQL server; a test module takes them with
`pytest_plugins = ["tests.postgres_fixtures"]`.

Without PostgreSQL installed the tests that use them are skipped, except in CI (CI set, as
CI services set it), where they fail: there they must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgres import PostgresBinaries, PostgresServer, find_binaries


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_binaries() -> PostgresBinaries:
    """initdb and postgres; skips the test without them (fails it in CI)."""
    binaries = find_binaries()
    if binaries is None:
        reason = (
            "PostgreSQL is not installed (no initdb and postgres in /usr/lib/postgresql/*/bin "
            "or on PATH); scripts/test installs Debian's postgresql"
        )
        if in_ci():
            pytest.fail(f"CI is set, so the postgres tests must run, but {reason}")
        pytest.skip(reason)
    return binaries


@pytest.fixture(scope="session")
def postgres_server(postgres_binaries: PostgresBinaries) -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session, stopped and deleted at its end."""
    with PostgresServer(binaries=postgres_binaries) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """postgresql://USER@127.0.0.1:PORT/DB of the session's server; its database starts empty."""
    return postgres_server.url
