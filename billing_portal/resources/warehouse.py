"""The warehouse as a Dagster resource: every asset writes through it, one transaction per day partition."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from dagster import ConfigurableResource
from psycopg import sql
from pydantic import PrivateAttr

from billing_portal.warehouse.connection import connect, normalize_url
from billing_portal.warehouse.migrate import migrate


class WarehouseResource(ConfigurableResource):
    """PostgreSQL warehouse. `database_url` comes from EnvVar("DATABASE_URL"); when it is empty the embedded
    PostgreSQL under `home` is started (or reused). Migrations are applied on first use."""

    database_url: str | None = None
    home: str = ".billing_portal"

    _url: str | None = PrivateAttr(default=None)

    # --- connection --------------------------------------------------------------------------------------------
    def url(self) -> str:
        if self._url is None:
            if self.database_url:
                url = normalize_url(self.database_url)
            else:
                from pathlib import Path  # noqa: PLC0415

                from billing_portal.warehouse.embedded import start_embedded  # noqa: PLC0415

                url = start_embedded(Path(self.home))
            migrate(url)
            self._url = url
        return self._url

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        return connect(self.url(), autocommit=autocommit)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One connection, one transaction: committed when the block ends, rolled back on any error."""
        with self.connect() as conn:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '60s'")
                yield conn

    # --- reads -------------------------------------------------------------------------------------------------
    def query(self, statement: str | sql.Composable, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(statement, params).fetchall()

    def read_frame(self, statement: str | sql.Composable, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        """Small result sets: a DataFrame with Python values (Decimal stays Decimal)."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(statement, params)
            cols = [d.name for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=cols, dtype=object)

    def read_arrow(self, select: str, params: Sequence[Any] | None = None,
                   schema: pa.Schema | None = None) -> pa.Table:
        """Large result sets: COPY (select) TO STDOUT as CSV, parsed by Arrow's C++ reader."""
        with self.connect() as conn, psycopg.ClientCursor(conn) as cur:
            bound = cur.mogrify(select, params) if params else select
            stmt = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(sql.SQL(bound))
            buf = io.BytesIO()
            with cur.copy(stmt) as cp:
                for chunk in cp:
                    buf.write(chunk)
        data = buf.getvalue()
        if not data:
            return pa.table({f.name: pa.array([], type=f.type) for f in schema}) if schema else pa.table({})
        convert = pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False,
                                       timestamp_parsers=["%Y-%m-%d %H:%M:%S%z", pacsv.ISO8601])
        return pacsv.read_csv(io.BytesIO(data), convert_options=convert)

    # --- partition bookkeeping -----------------------------------------------------------------------------------
    @staticmethod
    def record_status(conn: psycopg.Connection, asset: str, day: dt.date, rows: int, amount, run_id: str | None,
                      details: dict | None = None) -> dict | None:
        """Store what `asset` wrote for `day`; return what it had written before (None the first time)."""
        from psycopg.types.json import Jsonb  # noqa: PLC0415

        prev = conn.execute(
            "SELECT row_count, amount_usd, run_id, materialized_at FROM partition_status"
            " WHERE asset_name = %s AND usage_date = %s", (asset, day)).fetchone()
        conn.execute(
            "INSERT INTO partition_status (asset_name, usage_date, row_count, amount_usd, run_id, materialized_at,"
            " details) VALUES (%s, %s, %s, %s, %s, now(), %s)"
            " ON CONFLICT (asset_name, usage_date) DO UPDATE SET row_count = EXCLUDED.row_count,"
            " amount_usd = EXCLUDED.amount_usd, run_id = EXCLUDED.run_id, materialized_at = now(),"
            " details = EXCLUDED.details",
            (asset, day, rows, amount, run_id, Jsonb(details or {})))
        if prev is None:
            return None
        return {"row_count": prev[0], "amount_usd": prev[1], "run_id": prev[2], "materialized_at": prev[3]}
