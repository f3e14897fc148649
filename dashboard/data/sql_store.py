"""A SQL database that holds contract tables in place (`DASHBOARD_DATA_SOURCE=postgresql://…`).

Nothing is copied out of it: the ingest only asks, every refresh, which contract tables it
holds (a table or view with the contract's name in the connection's search path) and what
identifies their content now, so that the store's generation, and with it every cache key,
changes when the data does. The web workers query the tables in place (dashboard.data.store).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.data.manifest import PARTITION_COLUMNS
from simulator.schema import TABLES

_PRESENT = """
SELECT table_name FROM information_schema.tables
WHERE table_schema = ANY (current_schemas(false)) AND table_name = ANY (%s)
"""
# Row changes counted by the server's statistics, cheap for any size of table (views have none).
_CHANGES = """
SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
WHERE schemaname = ANY (current_schemas(false)) AND relname = ANY (%s)
"""


def plain_url(url: str) -> str:
    """The URL as libpq takes it (SQLAlchemy's driver suffix dropped)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def redacted(url: str) -> str:
    """The URL without its password, for logs and status pages."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


@dataclass
class SqlStore:
    """The contract tables a PostgreSQL database holds, and their content fingerprints."""

    url: str

    @property
    def name(self) -> str:
        return f"postgresql {redacted(self.url)}"

    def fingerprints(self) -> dict[str, str]:
        """{table: what changes whenever its rows do} for each contract table it holds."""
        import psycopg

        names = list(TABLES)
        with psycopg.connect(plain_url(self.url), autocommit=True, connect_timeout=10) as db:
            present = {row[0] for row in db.execute(_PRESENT, (names,)).fetchall()}
            changes = {row[0]: tuple(row[1:]) for row in db.execute(_CHANGES, (names,)).fetchall()}
            prints = {}
            for name in names:
                if name not in present:
                    continue
                column = PARTITION_COLUMNS.get(name)
                newest = None
                if column is not None:
                    query = f'SELECT max("{column}") FROM "{name}"'
                    newest = db.execute(query).fetchone()[0]
                prints[name] = f"{changes.get(name)}|{newest}"
        return prints
