"""The warehouse as a Dagster resource: every asset writes through it, one transaction per day partition."""

from __future__ import annotations

import datetime as dt
import io
import logging
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

from billing_portal.config import setting_default
from billing_portal.errors import BillingPortalError
from billing_portal.warehouse.connection import connect, normalize_url
from billing_portal.warehouse.migrate import migrate

log = logging.getLogger(__name__)

# Advisory-lock namespace of partition writes (first key of pg_advisory_xact_lock(int, int)).
PARTITION_LOCK_NAMESPACE = 0x42504C4B  # "BPLK"


class PartitionBusyError(BillingPortalError):
    """Another run kept a partition locked longer than we are willing to wait."""


def partition_lock_key(asset: str, day: dt.date) -> str:
    return f"{asset}:{day.isoformat()}"


def lock_partition(conn: psycopg.Connection, asset: str, day: dt.date, wait_seconds: float) -> None:
    """Serialize writers of one (asset, day): a transaction-scoped advisory lock, released at commit/rollback.

    Two runs of the same partition never interleave their delete/copy/swap: the second waits for the first to
    commit, then replaces the day with its own complete version (never a duplicate). If the holder keeps it longer
    than `wait_seconds`, the waiting run fails with a message naming the partition and the holder.
    """
    key = partition_lock_key(asset, day)
    args = (PARTITION_LOCK_NAMESPACE, key)
    if conn.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", args).fetchone()[0]:
        return
    holder = _lock_holder(conn, key)
    log.warning("partition %s is being written by another run%s; waiting up to %.0f s for it to finish",
                key, holder, wait_seconds)
    conn.execute("SAVEPOINT partition_lock")
    conn.execute(f"SET LOCAL lock_timeout = '{int(wait_seconds * 1000)}ms'")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", args)
    except psycopg.errors.LockNotAvailable:
        conn.execute("ROLLBACK TO SAVEPOINT partition_lock")
        raise PartitionBusyError(
            f"partition {key} is being written by another run{_lock_holder(conn, key)} and stayed locked for more "
            f"than {wait_seconds:.0f} s; nothing was written for it by this run — rerun when the other run "
            f"finishes") from None
    conn.execute("RELEASE SAVEPOINT partition_lock")
    log.info("partition %s: lock acquired, writing", key)


def _lock_holder(conn: psycopg.Connection, key: str) -> str:
    row = conn.execute(
        "SELECT a.pid, a.application_name, a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid AND l.objid = hashtext(%s)::oid"
        " AND l.objsubid = 2 LIMIT 1", (PARTITION_LOCK_NAMESPACE, key)).fetchone()
    if row is None:
        return ""
    return f" (database session pid {row[0]}, transaction started {row[2]:%Y-%m-%d %H:%M:%S %Z})"


class WarehouseResource(ConfigurableResource):
    """PostgreSQL warehouse. `database_url` comes from EnvVar("DATABASE_URL"); when it is empty the embedded
    PostgreSQL under `home` is started (or reused). Migrations are applied on first use."""

    database_url: str | None = None
    home: str = str(setting_default("BILLING_PORTAL_HOME"))
    # How long a write waits for another run holding the same (asset, day) partition before failing clearly.
    partition_lock_wait_seconds: float = setting_default("BILLING_PORTAL_PARTITION_LOCK_WAIT_SECONDS")
    # Days the /metrics ledger keeps comparing (RESTATEMENT_WINDOW_DAYS + 1, ending at the newest complete day).
    metrics_window_days: int = setting_default("RESTATEMENT_WINDOW_DAYS") + 1

    _url: str | None = PrivateAttr(default=None)

    # --- connection --------------------------------------------------------------------------------------------
    def url(self) -> str:
        if self._url is None:
            if self.database_url:
                url = normalize_url(self.database_url)
            else:
                from pathlib import Path

                from billing_portal.warehouse.embedded import start_embedded

                url = start_embedded(Path(self.home))
            migrate(url)
            self._url = url
        return self._url

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        return connect(self.url(), autocommit=autocommit)

    @contextmanager
    def transaction(self, partition: tuple[str, dt.date] | None = None) -> Iterator[psycopg.Connection]:
        """One connection, one transaction: committed when the block ends, rolled back on any error.

        `partition=(asset, day)`: first take that partition's write lock (see `lock_partition`), so two runs
        writing the same day never interleave."""
        with self.connect() as conn:
            with conn.transaction():
                if partition is not None:
                    lock_partition(conn, partition[0], partition[1], self.partition_lock_wait_seconds)
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
        from psycopg.types.json import Jsonb

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
