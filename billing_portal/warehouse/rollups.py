"""Rollups of `hourly_cost_facts` (tables in migrations/0002_rollups.sql), rebuilt one day at a time.

`refresh_rollups` runs inside the transaction that replaces the day's facts, so a reader sees the facts and their
rollups of the same run, never a mix. Each rollup is a GROUP BY of the day's fact partition; the columns it keeps
are its dimensions (the sidecar's `query.ROLLUPS` picks the smallest one that answers a request).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg import sql

from billing_portal.warehouse.replace import partition_name


@dataclass(frozen=True)
class Rollup:
    table: str
    grain: str  # "hour" or "day"
    dimensions: tuple[str, ...]


_BUSINESS = ("org_id", "env_id", "cluster_id", "product", "line_type", "owner", "team", "business_unit",
             "business_product", "cost_center", "confidence")

ROLLUP_TABLES: tuple[Rollup, ...] = (
    Rollup("cost_daily", "day", _BUSINESS + ("resource_id", "resource_type", "principal_id", "principal_type",
                                             "allocation_method")),
    Rollup("cost_hourly_team", "hour", _BUSINESS),
)


def refresh_rollups(conn: psycopg.Connection, day: dt.date, source_table: str | None = None) -> dict[str, int]:
    """Replace `day` in every rollup from the day's facts (`source_table`, by default the attached partition;
    the fact writer passes the freshly loaded table before it is swapped in); returns rows written per rollup."""
    source = sql.Identifier(source_table or partition_name("hourly_cost_facts", day))
    written = {}
    for rollup in ROLLUP_TABLES:
        keys = (("hour",) if rollup.grain == "hour" else ()) + rollup.dimensions
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in keys)
        conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.table)), (day,))
        cur = conn.execute(sql.SQL(
            "INSERT INTO {table} (usage_date, {cols}, amount_usd, fact_rows)"
            " SELECT %s, {cols}, sum(amount_usd), count(*) FROM {source} GROUP BY {cols}").format(
                table=sql.Identifier(rollup.table), cols=cols, source=source), (day,))
        written[rollup.table] = cur.rowcount
    return written
