"""Writing the rollups of `hourly_cost_facts` (the tables of billing_portal/model/rollups.py), one day at a time.

`refresh_rollups` runs inside the transaction that replaces the day's facts, so a reader sees the facts and their
rollups of the same run, never a mix. Each rollup is a GROUP BY of the day's fact partition; the columns it keeps
are its dimensions (the sidecar's `query.ROLLUPS` picks the smallest one that answers a request). Besides the net
`amount_usd`, every rollup row keeps `charges_usd`, the sum of its facts' positive amounts (a row can hold a charge
and a credit), which the figures of migration 0014 need; after the rollups, the day's `cost_figures_daily` rows are
rebuilt from them (`refresh_cost_figures`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from billing_portal.model.tables import HOURLY_COST_FACTS, RollupTable, rollups_of
from billing_portal.warehouse.replace import partition_name

# The principal view's rollups (billing_portal/model/rollups.py), cheapest first.
ROLLUP_TABLES: tuple[RollupTable, ...] = rollups_of(HOURLY_COST_FACTS.name)


def refresh_rollups(conn: psycopg.Connection, day: dt.date, source_table: str | None = None) -> dict[str, int]:
    """Replace `day` in every rollup from the day's facts (`source_table`, by default the attached partition;
    the fact writer passes the freshly loaded table before it is swapped in); returns rows written per rollup."""
    source = sql.Identifier(source_table or partition_name("hourly_cost_facts", day))
    written = {}
    for rollup in ROLLUP_TABLES:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in rollup.keys)
        conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.name)), (day,))
        cur = conn.execute(sql.SQL(
            "INSERT INTO {table} (usage_date, {cols}, amount_usd, charges_usd, fact_rows)"
            " SELECT %s, {cols}, sum(amount_usd), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0),"
            " count(*) FROM {source} GROUP BY {cols}").format(
                table=sql.Identifier(rollup.name), cols=cols, source=source), (day,))
        written[rollup.name] = cur.rowcount
    written["cost_figures_daily"] = refresh_figures(conn, day)
    return written


def refresh_figures(conn: psycopg.Connection, day: dt.date) -> int:
    """Rebuild the day's `cost_figures_daily` rows from its `cost_daily` rollup (SQL `refresh_cost_figures`)."""
    return int(conn.execute("SELECT refresh_cost_figures(%s)", (day,)).fetchone()[0])


KEY_SPACE_LIMIT = 2**62  # combined keys stay below this (int64), re-numbered densely when they would not


def _codes(col: pa.Array) -> tuple[np.ndarray, pa.Array | None, int]:
    """A key column → (int64 codes with 0 = null, the values they index or None for timestamps, cardinality + 1)."""
    if pa.types.is_timestamp(col.type):
        enc = pc.dictionary_encode(col)
        values = enc.dictionary
    else:
        enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
        values = enc.dictionary
    idx = enc.indices
    codes = idx.to_numpy(zero_copy_only=False) if idx.null_count == 0 else idx.fill_null(-1).to_numpy()
    return codes.astype(np.int64) + 1, values, len(values) + 1


def aggregate_rollup(rollup: RollupTable, facts: pa.Table) -> pa.Table:
    """One rollup of a day's facts: group by the rollup's keys, exact sums of `amount_units` (int64), of its
    positive part (`charges_units`) and row counts. Null keys form their own group, as in SQL.

    Keys are dictionary codes combined into one int64 (mixed radix; when the key space would pass 2^62 the key so
    far is re-numbered densely with `np.unique`, and decoded back through that table later), the rows sorted by it
    and summed with `np.add.reduceat` (integers: exact). The groups' codes are decoded into dictionary-typed
    columns, so no string is materialized per row and only a few int64 arrays of the day's length are alive."""
    keys = list(rollup.keys)
    amounts = facts.column("amount_units").combine_chunks().to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(amounts)
    combined = np.zeros(n, dtype=np.int64)
    space, base, dims = 1, None, []
    segments: list[tuple[np.ndarray | None, list[tuple[pa.Array, int]]]] = []
    for k in keys:
        codes, values, card = _codes(facts.column(k).combine_chunks())
        if space * card >= KEY_SPACE_LIMIT:
            uniq, inverse = np.unique(combined, return_inverse=True)
            segments.append((base, dims))
            base, dims, space = uniq, [], len(uniq)
            combined = inverse.reshape(-1).astype(np.int64)
        combined *= card
        combined += codes
        space *= card
        dims.append((values, card))
        del codes
    segments.append((base, dims))
    order = np.argsort(combined, kind="stable")
    combined = combined[order]
    starts = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]]) if n else np.zeros(0, np.int64)
    sorted_amounts = amounts[order]
    sums = np.add.reduceat(sorted_amounts, starts) if n else np.zeros(0, np.int64)
    charges = np.add.reduceat(np.maximum(sorted_amounts, 0), starts) if n else np.zeros(0, np.int64)
    del sorted_amounts
    counts = np.diff(np.r_[starts, n]) if n else np.zeros(0, np.int64)
    key = combined[starts]
    del order, combined
    decoded: list[pa.Array] = []
    for seg_base, seg_dims in reversed(segments):
        for values, card in reversed(seg_dims):
            decoded.append(_decode(key % card, values))
            key = key // card
        if seg_base is not None:
            key = seg_base[key]
    out: dict[str, pa.Array] = dict(zip(keys, reversed(decoded), strict=True))
    out["charges_units"] = pa.array(charges, pa.int64())
    out["amount_units"] = pa.array(sums, pa.int64())
    out["fact_rows"] = pa.array(counts, pa.int64())
    return pa.table(out)


def _decode(code: np.ndarray, values: pa.Array) -> pa.Array:
    idx = pa.array(code - 1, mask=code == 0).cast(pa.int32())
    return values.take(idx) if pa.types.is_timestamp(values.type) else pa.DictionaryArray.from_arrays(idx, values)


def write_rollups(conn: psycopg.Connection, day: dt.date, facts: pa.Table) -> dict[str, int]:
    """Replace `day` in every rollup from the day's facts held in memory (an Arrow table with the fact columns and
    `amount_units`); same rows as `refresh_rollups` over the stored facts. Returns rows written per rollup."""
    from billing_portal.money import units_to_text_arrow
    from billing_portal.warehouse.copy import copy_table_text

    day_text = pa.array([day.isoformat()], pa.string())
    converters = {
        "usage_date": lambda chunk, offset: day_text.take(pa.array(np.zeros(chunk.num_rows, dtype=np.int32))),
        "amount_usd": lambda chunk, offset: units_to_text_arrow(chunk.column("amount_units")),
        "charges_usd": lambda chunk, offset: units_to_text_arrow(chunk.column("charges_units")),
    }
    written = {}
    for rollup in ROLLUP_TABLES:
        rows = aggregate_rollup(rollup, facts)
        conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s").format(sql.Identifier(rollup.name)), (day,))
        written[rollup.name] = copy_table_text(conn, rollup.name, rows, list(rollup.names()), converters=converters)
    written["cost_figures_daily"] = refresh_figures(conn, day)
    return written
