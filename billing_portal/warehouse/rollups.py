"""Rollups of `hourly_cost_facts` (tables in migrations/0002_rollups.sql), rebuilt one day at a time.

`refresh_rollups` runs inside the transaction that replaces the day's facts, so a reader sees the facts and their
rollups of the same run, never a mix. Each rollup is a GROUP BY of the day's fact partition; the columns it keeps
are its dimensions (the sidecar's `query.ROLLUPS` picks the smallest one that answers a request).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
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
    # migration 0003: small day rollups for the summary endpoint and the /metrics gauges
    Rollup("cost_daily_business", "day", ("product", "team", "business_unit", "business_product", "cost_center",
                                          "confidence")),
    Rollup("cost_daily_principal", "day", ("principal_id", "principal_type", "owner", "team", "business_unit",
                                           "business_product", "cost_center")),
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


def aggregate_rollup(rollup: Rollup, facts: pa.Table) -> pa.Table:
    """One rollup of a day's facts in Arrow: group by the rollup's keys (dictionary codes, so the hash table sees
    integers), exact sums of `amount_units` (int64) and row counts. Null keys form their own group, as in SQL."""
    keys = (["hour"] if rollup.grain == "hour" else []) + list(rollup.dimensions)
    codes, dictionaries = {}, {}
    for k in keys:
        col = facts.column(k).combine_chunks()
        if pa.types.is_dictionary(col.type):
            enc = col
        elif pa.types.is_timestamp(col.type):
            codes[k] = col
            continue
        else:
            enc = pc.dictionary_encode(col)
        codes[k], dictionaries[k] = enc.indices, enc.dictionary
    grouped = pa.table({**codes, "amount_units": facts.column("amount_units")}).group_by(keys, use_threads=True) \
        .aggregate([("amount_units", "sum"), ("amount_units", "count")])
    out = {}
    for k in keys:
        col = grouped.column(k).combine_chunks()
        out[k] = dictionaries[k].take(col) if k in dictionaries else col
    out["amount_units"] = grouped.column("amount_units_sum")
    out["fact_rows"] = grouped.column("amount_units_count")
    return pa.table(out)


def write_rollups(conn: psycopg.Connection, day: dt.date, facts: pa.Table) -> dict[str, int]:
    """Replace `day` in every rollup from the day's facts held in memory (an Arrow table with the fact columns and
    `amount_units`); same rows as `refresh_rollups` over the stored facts. Returns rows written per rollup."""
    from billing_portal.money import units_to_text_arrow  # noqa: PLC0415
    from billing_portal.warehouse.copy import copy_table_text  # noqa: PLC0415

    day_text = pa.array([day.isoformat()], pa.string())
    converters = {
        "usage_date": lambda chunk, offset: day_text.take(pa.array(np.zeros(chunk.num_rows, dtype=np.int32))),
        "amount_usd": lambda chunk, offset: units_to_text_arrow(chunk.column("amount_units")),
    }
    written = {}
    for rollup in ROLLUP_TABLES:
        rows = aggregate_rollup(rollup, facts)
        keys = (["hour"] if rollup.grain == "hour" else []) + list(rollup.dimensions)
        conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.table)), (day,))
        written[rollup.table] = copy_table_text(conn, rollup.table, rows,
                                                ["usage_date", *keys, "amount_usd", "fact_rows"],
                                                converters=converters)
    return written
