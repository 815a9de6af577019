"""Atomic replacement of day partitions: a reader sees the old day or the new one, never half of either.

Two mechanisms, one contract (call inside the caller's transaction):
- `replace_days`: DELETE the days, then COPY the new rows (ordinary per-day tables).
- `swap_day_partition`: for natively partitioned tables (hourly_cost_facts): build the new day as a standalone
  table (COPY into a table created in the same transaction skips WAL under wal_level=minimal), then drop the old
  partition and attach the new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from billing_portal.warehouse.copy import copy_frame

Loader = Callable[[psycopg.Connection, str], int]


def replace_days(conn: psycopg.Connection, table: str, date_column: str, days: Sequence[dt.date],
                 frame: pd.DataFrame | pa.Table, columns: Sequence[str] | None = None) -> int:
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(sql.Identifier(table), sql.Identifier(date_column)),
        (list(days),),
    )
    return copy_frame(conn, table, frame, columns)


def partition_name(parent: str, day: dt.date) -> str:
    return f"{parent}_p{day:%Y%m%d}"


def swap_day_partition(conn: psycopg.Connection, parent: str, day: dt.date,
                       frame: pd.DataFrame | pa.Table | Loader, columns: Sequence[str] | None = None, *, key_column: str = "hour",
                       after_load: Sequence[Callable[[psycopg.Connection, str], object]] = ()) -> int:
    """Replace the day partition of `parent` (RANGE on a timestamptz `key_column`) with `frame`'s rows.

    `after_load` callables get `(conn, new_table_name)` once the rows are loaded and before the old partition is
    dropped (which locks the parent until commit): indexes, rollups and checks belong there, so readers wait only
    for the swap itself. `frame` may be a loader `(conn, staging_table_name) -> rows` that fills the staging table
    itself (e.g. a streamed text-format COPY).
    """
    name = partition_name(parent, day)
    staging = f"{name}_new"
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    hi = lo + dt.timedelta(days=1)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staging)))
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
        sql.Identifier(staging), sql.Identifier(parent)))
    rows = frame(conn, staging) if callable(frame) else copy_frame(conn, staging, frame, columns)
    # A matching CHECK lets ATTACH skip its validation scan.
    conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} >= {} AND {} < {})").format(
        sql.Identifier(staging), sql.Identifier(f"{staging}_range"), sql.Identifier(key_column), sql.Literal(lo),
        sql.Identifier(key_column), sql.Literal(hi)))
    for step in after_load:
        step(conn, staging)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(name)))
    conn.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
        sql.Identifier(parent), sql.Identifier(name), sql.Literal(lo), sql.Literal(hi)))
    conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
        sql.Identifier(name), sql.Identifier(f"{staging}_range")))
    return rows
