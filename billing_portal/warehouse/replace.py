"""Atomic replacement of day partitions: a reader sees the old day or the new one, never half of either.

Two mechanisms, one contract (call inside the caller's transaction):
- `replace_days`: DELETE the days, then COPY the new rows (ordinary per-day tables).
- `swap_day_partition` (or `stage_day_partition` then `attach_staged`, to swap several tables' days in at once):
  for natively partitioned tables (the facts, the large rollups): build the new day as a standalone table (COPY
  into a table created in the same transaction skips WAL under wal_level=minimal), then drop the old partition and
  attach the new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class StagedPartition:
    """A day of a natively partitioned table, loaded into a table of its own (`staging`) and not yet swapped in."""

    parent: str
    name: str       # the day partition's name once swapped in
    staging: str
    key_column: str
    lo: object
    hi: object
    rows: int


def day_range(day: dt.date, key_column: str) -> tuple[object, object]:
    """The partition bounds of `day` on `key_column`: UTC midnights for a timestamptz key, dates for `usage_date`."""
    if key_column == "usage_date":
        return day, day + dt.timedelta(days=1)
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=1)


def stage_day_partition(conn: psycopg.Connection, parent: str, day: dt.date,
                        frame: pd.DataFrame | pa.Table | Loader, columns: Sequence[str] | None = None, *,
                        key_column: str = "hour", day_column: str | None = None) -> StagedPartition:
    """Load the new day of `parent` into a standalone table created in the caller's transaction (COPY into it skips
    WAL under wal_level=minimal), with a CHECK matching the day's bounds so that ATTACH skips its validation scan.
    `day_column`: a date column every row holds the day in, filled by a default during the load (the loader leaves it
    out: PostgreSQL need not parse it per row). Readers see nothing of it until `attach_staged`."""
    name = partition_name(parent, day)
    staging = f"{name}_new"
    lo, hi = day_range(day, key_column)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staging)))
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
        sql.Identifier(staging), sql.Identifier(parent)))
    if day_column:
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}").format(
            sql.Identifier(staging), sql.Identifier(day_column), sql.Literal(day)))
    rows = frame(conn, staging) if callable(frame) else copy_frame(conn, staging, frame, columns)
    if day_column:
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT").format(
            sql.Identifier(staging), sql.Identifier(day_column)))
    conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} >= {} AND {} < {})").format(
        sql.Identifier(staging), sql.Identifier(f"{staging}_range"), sql.Identifier(key_column), sql.Literal(lo),
        sql.Identifier(key_column), sql.Literal(hi)))
    return StagedPartition(parent, name, staging, key_column, lo, hi, rows)


def attach_staged(conn: psycopg.Connection, staged: StagedPartition) -> None:
    """Swap a staged day in: drop the old partition (which locks the parent until commit), attach the new one."""
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staged.name)))
    conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(staged.staging),
                                                              sql.Identifier(staged.name)))
    conn.execute(sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(
        sql.Identifier(staged.parent), sql.Identifier(staged.name), sql.Literal(staged.lo), sql.Literal(staged.hi)))
    conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
        sql.Identifier(staged.name), sql.Identifier(f"{staged.staging}_range")))


def swap_day_partition(conn: psycopg.Connection, parent: str, day: dt.date,
                       frame: pd.DataFrame | pa.Table | Loader, columns: Sequence[str] | None = None, *,
                       key_column: str = "hour", day_column: str | None = None,
                       after_load: Sequence[Callable[[psycopg.Connection, str], object]] = ()) -> int:
    """Replace the day partition of `parent` (RANGE on `key_column`) with `frame`'s rows: stage it, run
    `after_load` callables `(conn, staging_table_name)` (indexes, checks) while readers still see the old day, then
    swap it in. `frame` may be a loader `(conn, staging_table_name) -> rows` that fills the staging table itself."""
    staged = stage_day_partition(conn, parent, day, frame, columns, key_column=key_column, day_column=day_column)
    for step in after_load:
        step(conn, staged.staging)
    attach_staged(conn, staged)
    return staged.rows
