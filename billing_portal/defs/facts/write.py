"""Writing a day of hourly cost facts: stable order by hour, `fact_no`, exact NUMERIC text, atomic partition swap.

The rows go to PostgreSQL as COPY text built column by column with Arrow compute (`warehouse.copy.text_chunks`):
amounts from int64 units by integer arithmetic (`money.units_to_text_arrow`), strings from their dictionaries (each
distinct value escaped once), hours from the day's 24 distinct values. The staging partition is created in the same
transaction (no WAL under wal_level=minimal) and indexed after the load (one sort per index instead of per-row
maintenance); the rollups are aggregated from the same rows meanwhile, and only then is everything swapped in.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from billing_portal.model.tables import HOURLY_COST_FACTS
from billing_portal.money import units_to_text_arrow
from billing_portal.warehouse.copy import copy_table_text, day_columns
from billing_portal.warehouse.derived_rollups import refresh_derived_rollups
from billing_portal.warehouse.replace import attach_staged, stage_day_partition
from billing_portal.warehouse.rollups import aggregate_rollups, refresh_figures, write_rollups

FACT_COLUMNS = list(HOURLY_COST_FACTS.names())  # the table, in order (billing_portal/model/tables.py)
_LOADED = [c for c in FACT_COLUMNS if c != "usage_date"]  # COPYed: the day comes from the staged partition's default
_COMPUTED = ("usage_date", "fact_no", "amount_usd")

# Indexes of every day partition (the parent's, migration 0003), built after the load. `fact_no` is the keyset order
# of /v1/costs pages: a page filtered on a coarse dimension (team, business unit, product) walks it and stops after
# `limit` matches; (principal_id, fact_no) serves the selective filter. Each index costs ~0.4-1.5 s per 1.6 M rows
# on 2 cores, so only these two.
FACT_INDEXES: tuple[tuple[str, ...], ...] = (
    ("fact_no",),
    ("principal_id", "fact_no"),
)


def fact_table(facts: pd.DataFrame | pa.Table) -> pa.Table:
    """Allocation output (with `amount_units`) → an Arrow table ordered by hour (stable), without computed columns."""
    cols = [c for c in FACT_COLUMNS if c not in _COMPUTED] + ["amount_units"]
    if isinstance(facts, pa.Table):
        table = facts.select(cols)
    else:
        table = pa.Table.from_pandas(facts[cols], preserve_index=False)
    # Dictionary-encode strings once: the text encoder then escapes each distinct value once, and the rollups
    # group by integer codes.
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            table = table.set_column(i, name, pc.dictionary_encode(col.combine_chunks()))
    hours = table.column("hour").combine_chunks()
    hours_i8 = hours.cast(pa.int64()).to_numpy(zero_copy_only=False) if len(hours) else np.empty(0, np.int64)
    if len(hours_i8) > 1 and not bool(np.all(hours_i8[1:] >= hours_i8[:-1])):
        table = table.take(pa.array(np.argsort(hours_i8, kind="stable")))
    return table


def _converters(day: dt.date) -> dict:
    """The day, each fact's number (its position in hour order) and its amount as exact NUMERIC text."""
    return day_columns(day, {"amount_usd": "amount_units"}, number="fact_no")


def prepare_facts(day: dt.date, facts: pd.DataFrame) -> pd.DataFrame:
    """Rows in the table's shape (ordered by hour, `fact_no`, amounts as exact text): for inspection and tests."""
    table = fact_table(facts)
    out = table.to_pandas()
    out["usage_date"] = day
    out["fact_no"] = np.arange(len(out), dtype=np.int64)
    out["amount_usd"] = units_to_text_arrow(table.column("amount_units")).to_numpy(zero_copy_only=False)
    return out[FACT_COLUMNS]


def load_facts(conn: psycopg.Connection, table_name: str, day: dt.date, facts: pd.DataFrame | pa.Table) -> int:
    """Stream the day's facts into `table_name` (text COPY, chunks encoded while the previous one is sent)."""
    return copy_table_text(conn, table_name, fact_table(facts), FACT_COLUMNS, converters=_converters(day))


def index_facts(conn: psycopg.Connection, table_name: str) -> None:
    """The partition's copies of the parent's indexes (migration 0003), built after the load; ATTACH adopts them.
    Names are left to PostgreSQL (unique even while the old partition still holds its own)."""
    for cols in FACT_INDEXES:
        conn.execute(sql.SQL("CREATE INDEX ON {} ({})").format(
            sql.Identifier(table_name), sql.SQL(", ").join(sql.Identifier(c) for c in cols)))


def write_facts(conn: psycopg.Connection, day: dt.date, facts: pd.DataFrame | pa.Table,
                timings: dict[str, float] | None = None) -> int:
    """Replace the day's partition of hourly_cost_facts and its rollups (inside the caller's transaction).

    The facts are COPYed into a staged partition and indexed while, on another thread, their rollups are aggregated
    from the same in-memory rows (Arrow's hash group-by over the dictionary codes, exact int64 sums; PostgreSQL works
    on the COPY and the indexes meanwhile, so both cores are busy); the rollups are COPYed next (the large ones
    into staged partitions too), then every staged day is swapped in at once and the day's figures rebuilt.
    `rollups.refresh_rollups` (SQL, from the stored facts) gives identical rows; the tests compare both.
    `timings` (if given) accumulates the seconds of each part: copy_s, index_s, rollups_s, swap_s."""
    clock = _Stopwatch(timings)
    table = fact_table(facts)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rollups") as pool:
        aggregating = pool.submit(aggregate_rollups, table)
        facts_staged = stage_day_partition(
            conn, HOURLY_COST_FACTS.name, day,
            lambda c, name: copy_table_text(c, name, table, _LOADED, converters=_converters(day), freeze=True),
            key_column=HOURLY_COST_FACTS.partition_key, day_column="usage_date")
        clock.lap("copy_s")
        index_facts(conn, facts_staged.staging)
        clock.lap("index_s")
        aggregated = aggregating.result()
    _, rollups_staged = write_rollups(conn, day, aggregated)
    del aggregated
    clock.lap("rollups_s")
    for staged in (facts_staged, *rollups_staged):
        attach_staged(conn, staged)
    refresh_derived_rollups(conn, HOURLY_COST_FACTS.name, day)  # the month rollups: the day's month recomputed
    refresh_figures(conn, day)
    clock.lap("swap_s")
    pa.default_memory_pool().release_unused()  # the day's buffers are free now: hand them back before the next day
    return facts_staged.rows


class _Stopwatch:
    """Adds the seconds since the previous lap to `timings[name]` (nothing when `timings` is None)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.t = timings, time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now
