"""A connection pool to the warehouse for the sidecar (read-mostly, short statements)."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from billing_portal.warehouse.connection import normalize_url


def make_pool(url: str, *, min_size: int = 1, max_size: int = 8) -> ConnectionPool:
    def configure(conn):
        conn.execute("SET statement_timeout = '30s'")
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()

    return ConnectionPool(normalize_url(url), min_size=min_size, max_size=max_size, open=True,
                          kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "billing_portal_sidecar"},
                          configure=configure)
