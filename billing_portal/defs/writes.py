"""Writing a day of one or several tables through the warehouse in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import psycopg
from psycopg import sql

from billing_portal.warehouse.copy import copy_frame
from billing_portal.warehouse.replace import replace_days

_columns_cache: dict[str, list[str]] = {}


def table_columns(conn: psycopg.Connection, table: str) -> list[str]:
    if table not in _columns_cache:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
        if not rows:
            raise RuntimeError(f"table {table} does not exist: run `billing-portal migrate`")
        _columns_cache[table] = [r[0] for r in rows]
    return _columns_cache[table]


def replace_day_tables(conn: psycopg.Connection, day: dt.date, frames: Mapping[str, pd.DataFrame],
                       date_column: str) -> dict[str, int]:
    """Replace `day` in each table with its frame (frame columns not in the table, e.g. `amount_units`, are not
    written). Call inside one transaction: all tables change together or not at all."""
    counts = {}
    for table, frame in frames.items():
        frame = frame.copy()
        frame[date_column] = day
        cols = [c for c in table_columns(conn, table) if c in frame.columns]
        counts[table] = replace_days(conn, table, date_column, [day], frame, cols)
    return counts


def replace_quarantine(conn: psycopg.Connection, source: str, day: dt.date, rows: pd.DataFrame,
                       table: str = "quarantine_rows") -> int:
    """Replace the quarantined rows of `source` (billing | objects | metrics | catalog) for `day` with `rows`
    (columns of `quarantine_rows`: source, usage_date, reason, amount, raw) in `table` (`quarantine_rows` or a
    table like it); inside the caller's transaction."""
    target = sql.Identifier(table)
    conn.execute(sql.SQL("DELETE FROM {} WHERE source = %s AND usage_date = %s").format(target), (source, day))
    if not len(rows):
        return 0
    rows = rows.assign(source=source, usage_date=day)
    return copy_frame(conn, table, rows, [c for c in table_columns(conn, table) if c in rows.columns])
