"""The sidecar's connection pool to the warehouse and two ways to read: all rows, or a stream.

Statements run in autocommit with a 30 s statement timeout, in read-only transactions: the sidecar only reads (the
tables it serves are written by the pipeline), and PostgreSQL refuses any write from a request, DDL included. A pool
that cannot hand out a connection within 5 s raises `PoolTimeout` (answered 503 by the error handlers). A stream
starts its query before the HTTP answer begins, so a failing query is still a proper error envelope, never a
truncated 200.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from flask import current_app
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool

from billing_portal.warehouse.connection import normalize_url

STATEMENT_TIMEOUT = "30s"
STREAM_BATCH = 5000


def make_pool(url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 5.0) -> ConnectionPool:
    def configure(conn):
        conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()

    return ConnectionPool(normalize_url(url), min_size=min_size, max_size=max_size, open=True, timeout=timeout,
                          kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 5,
                                  "application_name": "billing_portal_sidecar"},
                          configure=configure, name="sidecar")


def pool() -> ConnectionPool:
    return current_app.extensions["warehouse_pool"]


def fetch_all(statement, params: dict | None = None) -> list[dict[str, Any]]:
    with pool().connection() as conn:
        return conn.execute(statement, params).fetchall()


def fetch_one(statement, params: dict | None = None) -> dict[str, Any] | None:
    with pool().connection() as conn:
        return conn.execute(statement, params).fetchone()


class _Stream:
    """Iterator over a server-side cursor that owns its connection; `close()` (called by the WSGI server when the
    response ends, even if the client went away) returns the connection to the pool."""

    def __init__(self, stack: ExitStack, cur, first: list, batch: int):
        self._stack, self._cur, self._chunk, self._batch, self._i = stack, cur, first, batch, 0

    def __iter__(self):
        return self

    def __next__(self) -> tuple:
        if self._i >= len(self._chunk):
            if self._stack is None or len(self._chunk) < self._batch:
                self.close()
                raise StopIteration
            self._chunk, self._i = self._cur.fetchmany(self._batch), 0
            if not self._chunk:
                self.close()
                raise StopIteration
        row = self._chunk[self._i]
        self._i += 1
        return row

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def __del__(self):
        self.close()


def stream(statement, params: dict | None = None, *, batch: int = STREAM_BATCH) -> _Stream:
    """Rows of `statement` as tuples through a server-side cursor, fetched `batch` at a time.

    The query runs and the first batch is fetched now (errors surface before the response starts); the connection
    goes back to the pool when the iterator is exhausted or closed.
    """
    stack = ExitStack()
    try:
        conn = stack.enter_context(pool().connection())
        stack.enter_context(conn.transaction())
        cur = stack.enter_context(conn.cursor(name="sidecar_stream", row_factory=tuple_row))
        cur.execute(statement, params)
        first = cur.fetchmany(batch)
    except BaseException:
        stack.close()
        raise
    return _Stream(stack, cur, first, batch)
