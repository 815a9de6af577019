"""The rollups summed from another rollup (`RollupTable.of`, billing_portal/model/rollups.py), kept up to date in
the transaction that writes a day of a view: each view's writer calls `refresh_derived_rollups(conn, facts, day)`
once its day rollups are in (the principal view in `defs/facts/write.py`, the topic view in `defs/topics/assets.py`).

- A day rollup of a rollup (`topic_cost_daily_business` of `topic_cost_daily`): the day's rows replaced by the
  day's rows of the other grouped by its dimensions (a few thousand rows: cheaper than grouping the day's facts
  again, and equal to it: sums of sums are exact).
- A month rollup (`cost_monthly_business`, `cost_monthly_principal`, `topic_cost_monthly_business`): the month that
  contains the day recomputed from its day rollup — the month's rows deleted, then INSERT … SELECT … GROUP BY over
  the month's days — so it always equals the sum of the month's day rows (amounts, charges and fact counts, exact
  NUMERIC sums). Two writers of days of the same month are serialized by a transaction advisory lock per (rollup,
  month): the second one recomputes after the first one commits and sees its day.

The same statements rebuild every day and month at once in migration 0017 (`rebuild_derived_rollups` here, for
tools and tests that write day rollups directly).
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from billing_portal.model.tables import RollupTable, derived_rollups_of
from billing_portal.months import month_start, next_month

LOCK_KEY = 727_274_017  # pg_advisory_xact_lock(LOCK_KEY, hashtext(rollup || month)): one writer of a month at a time


def _insert(rollup: RollupTable) -> sql.Composed:
    """INSERT INTO rollup SELECT <its time>, its dimensions, exact sums FROM the rollup it is summed from WHERE
    <the other's day> in [%(lo)s, %(hi)s) GROUP BY its time and dimensions."""
    of = rollup.of
    dims = sql.SQL(", ").join(sql.Identifier(d) for d in rollup.group_by)
    time = (sql.SQL("date_trunc('month', {}::timestamp)::date").format(sql.Identifier(of.time_column))
            if rollup.grain == "month" else sql.Identifier(of.time_column))
    keys = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(rollup.group_by) + 1))
    return sql.SQL(
        "INSERT INTO {target} ({columns}) SELECT {time}, {dims}, sum(amount_usd), sum(fact_rows), sum(charges_usd)"
        " FROM {source} WHERE {day} >= %(lo)s AND {day} < %(hi)s GROUP BY {keys}").format(
        target=sql.Identifier(rollup.name), columns=sql.SQL(", ").join(sql.Identifier(c) for c in rollup.names()),
        time=time, dims=dims, source=sql.Identifier(of.name), day=sql.Identifier(of.time_column), keys=keys)


def _delete(rollup: RollupTable) -> sql.Composed:
    return sql.SQL("DELETE FROM {} WHERE {} >= %(lo)s AND {} < %(hi)s").format(
        sql.Identifier(rollup.name), sql.Identifier(rollup.time_column), sql.Identifier(rollup.time_column))


def _bounds(rollup: RollupTable, day: dt.date) -> tuple[dt.date, dt.date]:
    """The days of `rollup`'s rows that `day` is part of: the day, or its month."""
    if rollup.grain == "month":
        return month_start(day), next_month(day)
    return day, day + dt.timedelta(days=1)


def refresh_derived_rollups(conn: psycopg.Connection, facts: str, day: dt.date) -> dict[str, int]:
    """Bring every derived rollup of the fact table `facts` up to date with `day` (inside the caller's transaction,
    after the day's other rollups are written): the day's rows of a day rollup, the month of a month rollup.
    Returns the rows written per rollup."""
    written = {}
    for rollup in derived_rollups_of(facts):
        lo, hi = _bounds(rollup, day)
        if rollup.grain == "month":
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_KEY, f"{rollup.name}:{lo}"))
        conn.execute(_delete(rollup), {"lo": lo, "hi": hi})
        written[rollup.name] = conn.execute(_insert(rollup), {"lo": lo, "hi": hi}).rowcount
    return written


def rebuild_derived_rollups(conn: psycopg.Connection, facts: str, first: dt.date, last: dt.date,
                            grains: tuple[str, ...] = ("day", "month")) -> dict[str, int]:
    """`refresh_derived_rollups` for every day of [first, last] at once (whole months of the month rollups), for the
    derived rollups of `grains`: after day rollups were written without it (copies, fixtures). Returns the rows
    written per rollup."""
    written = {}
    for rollup in (r for r in derived_rollups_of(facts) if r.grain in grains):
        lo, hi = _bounds(rollup, first)[0], _bounds(rollup, last)[1]
        conn.execute(_delete(rollup), {"lo": lo, "hi": hi})
        written[rollup.name] = conn.execute(_insert(rollup), {"lo": lo, "hi": hi}).rowcount
    return written
