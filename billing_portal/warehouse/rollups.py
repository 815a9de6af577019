"""Writing the rollups of `hourly_cost_facts` (the tables of billing_portal/model/rollups.py), one day at a time,
inside the transaction that swaps the day's facts in, so a reader sees the facts and their rollups of the same run.

The writer aggregates the day's facts held in memory (`aggregate_rollup`: Arrow's hash group-by over the dictionary
codes, exact int64 sums) and COPYs each rollup: the partitioned ones (`partition_key` in the model) into a staged day
partition swapped in with the facts, the small ones by DELETE + COPY. `refresh_rollups` gives the same rows from
stored facts with SQL GROUP BYs (tests compare both; migrations use the same statements). Besides the net
`amount_usd`, every rollup row keeps `charges_usd`, the sum of its facts' positive amounts (a row can hold a charge
and a credit), which the figures of migration 0014 need; after the rollups are in, the day's `cost_figures_daily`
rows are rebuilt from them (`refresh_cost_figures`).
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from billing_portal.model.tables import HOURLY_COST_FACTS, RollupTable, rollups_of
from billing_portal.warehouse.copy import copy_table_text, day_columns
from billing_portal.warehouse.replace import StagedPartition, attach_staged, partition_name, stage_day_partition

# The principal view's rollups (billing_portal/model/rollups.py), cheapest first.
ROLLUP_TABLES: tuple[RollupTable, ...] = rollups_of(HOURLY_COST_FACTS.name)


def aggregate_rollup(rollup: RollupTable, facts: pa.Table) -> pa.Table:
    """One rollup of a day's facts (an Arrow table with the rollup's keys and `amount_units`): grouped by the
    rollup's keys, exact int64 sums of `amount_units`, of its positive part (`charges_units`) and row counts
    (`fact_rows`). Null keys form their own group, as in SQL; dictionary keys stay dictionaries."""
    keys = list(rollup.keys)
    amounts = facts.column("amount_units")
    charges = pc.max_element_wise(amounts, pa.scalar(0, pa.int64()))
    grouped = (facts.select(keys).append_column("amount_units", amounts).append_column("charges_units", charges)
               .group_by(keys, use_threads=False)
               .aggregate([("amount_units", "sum"), ("charges_units", "sum"), ("amount_units", "count")]))
    return grouped.rename_columns({"amount_units_sum": "amount_units", "charges_units_sum": "charges_units",
                                   "amount_units_count": "fact_rows"})


def _converters(day: dt.date) -> dict:
    return day_columns(day, {"amount_usd": "amount_units", "charges_usd": "charges_units"})


def aggregate_rollups(facts: pa.Table, rollups: tuple[RollupTable, ...] = ROLLUP_TABLES) -> dict[str, pa.Table]:
    """Every rollup of the day's facts, in memory (see `aggregate_rollup`)."""
    return {r.name: aggregate_rollup(r, facts) for r in rollups}


def write_rollups(conn: psycopg.Connection, day: dt.date, aggregated: dict[str, pa.Table],
                  rollups: tuple[RollupTable, ...] = ROLLUP_TABLES) -> tuple[dict[str, int], list[StagedPartition]]:
    """COPY the day's aggregated rollups: a partitioned rollup into a staged day partition (returned, to be swapped
    in with the facts by `attach_staged`), the others by DELETE + COPY. Returns (rows per rollup, staged)."""
    converters = _converters(day)
    written, staged = {}, []
    for rollup in rollups:
        rows = aggregated[rollup.name]
        if rollup.partition_key:  # a staged partition: the day from its default, rows frozen
            columns = [c for c in rollup.names() if c != "usage_date"]
            staged.append(stage_day_partition(
                conn, rollup.name, day,
                lambda c, name, rows=rows, columns=columns: copy_table_text(c, name, rows, columns,
                                                                            converters=converters, freeze=True),
                key_column=rollup.partition_key, day_column="usage_date"))
        else:
            conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.name)), (day,))
            copy_table_text(conn, rollup.name, rows, list(rollup.names()), converters=converters)
        written[rollup.name] = rows.num_rows
    return written, staged


def _insert_grouped(conn: psycopg.Connection, rollup: RollupTable, target: str, source: sql.Composable,
                    day: dt.date) -> int:
    """INSERT INTO `target` the rollup's rows of `day` grouped from `source` (the stored facts)."""
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in rollup.keys)
    return conn.execute(sql.SQL(
        "INSERT INTO {target} ({columns}) SELECT %s, {keys}, sum(amount_usd), count(*),"
        " coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0) FROM {source} GROUP BY {keys}").format(
        target=sql.Identifier(target), columns=sql.SQL(", ").join(sql.Identifier(c) for c in rollup.names()),
        keys=keys, source=source), (day,)).rowcount


def refresh_rollups(conn: psycopg.Connection, day: dt.date, source_table: str | None = None) -> dict[str, int]:
    """Replace `day` in every rollup from the day's stored facts (`source_table`, by default the attached partition)
    with SQL GROUP BYs: the same rows as the writer's; returns rows written per rollup (and the figures')."""
    source = sql.Identifier(source_table or partition_name(HOURLY_COST_FACTS.name, day))
    written = {}
    for rollup in ROLLUP_TABLES:
        if rollup.partition_key:
            staged = stage_day_partition(
                conn, rollup.name, day, lambda c, name, r=rollup: _insert_grouped(c, r, name, source, day),
                key_column=rollup.partition_key)
            attach_staged(conn, staged)
            written[rollup.name] = staged.rows
        else:
            conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.name)), (day,))
            written[rollup.name] = _insert_grouped(conn, rollup, rollup.name, source, day)
    written["cost_figures_daily"] = refresh_figures(conn, day)
    return written


def refresh_figures(conn: psycopg.Connection, day: dt.date) -> int:
    """Rebuild the day's `cost_figures_daily` rows from its `cost_daily` rollup (SQL `refresh_cost_figures`)."""
    return int(conn.execute("SELECT refresh_cost_figures(%s)", (day,)).fetchone()[0])
