"""SQL building for the read API: whitelisted identifiers, bound parameters, and the choice of source relation.

Nothing a client sends is ever formatted into SQL: column names come from the whitelists below (composed with
`psycopg.sql.Identifier`), values are always bound parameters.

`pick_source()` is the one place that decides which relation an aggregate reads: the smallest rollup of `ROLLUPS`
(the tables of `warehouse.rollups`) that carries every requested dimension and filter at a fine enough grain, else
`hourly_cost_facts`. Every aggregate of the API over facts (summary, dimensions, forecast inputs, the /metrics gauges
and ledger) goes through it; the reconciliation and the forecast are SQL functions of the warehouse (migrations 0005,
0013) that read the rollups themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from billing_portal.model.tables import HOURLY_COST_FACTS, rollups_of

FACTS = "hourly_cost_facts"

# Every dimension of a fact row that can be filtered on and grouped by (billing_portal/model/tables.py).
FACT_DIMENSIONS: tuple[str, ...] = HOURLY_COST_FACTS.dimensions

# Filters on these dimensions are case-insensitive: their values are a fixed vocabulary in one case (Confluent's
# UPPER_SNAKE products and line types; the allocation's lower-case types, methods, reasons and confidence levels), so
# the value sent is folded to that case (no SQL function on the column: indexes and rollups still answer). Every other
# dimension (ids, owners, teams, business units, cost centers) matches exactly, case-sensitively.
CASE_FOLDED: dict[str, str] = {
    "product": "upper", "line_type": "upper", "principal_type": "lower", "resource_type": "lower",
    "allocation_method": "lower", "allocation_reason": "lower", "confidence": "lower",
}

# The columns of a fact as the API returns them (in this order, also the CSV header).
FACT_FIELDS: tuple[str, ...] = HOURLY_COST_FACTS.api_fields

GRAIN_ORDER = {"hour": 0, "day": 1, "month": 2, "total": 3}
GRANULARITY_TRUNC = {"hour": "hour", "day": "day", "month": "month"}


@dataclass(frozen=True)
class Source:
    """A relation to aggregate amounts from: `time_column` is the start of its grain (an hour for the facts)."""

    relation: str
    grain: str = "hour"                   # finest time grain it holds
    dimensions: frozenset[str] = field(default_factory=lambda: frozenset(FACT_DIMENSIONS))
    time_column: str = "hour"
    amount_column: str = "amount_usd"


FACTS_SOURCE = Source(FACTS)



def _rollup_sources() -> list[Source]:
    """The principal view's rollups (billing_portal/model/rollups.py: rebuilt with each day's facts, in the same
    transaction), cheapest first, so `pick_source` takes the cheapest one that holds the requested dimensions. Day
    rollups are keyed by `usage_date` (a date; compared with the UTC range bounds in the sidecar's UTC sessions),
    hourly ones by `hour`."""
    return [Source(r.name, grain=r.grain, dimensions=frozenset(r.group_by), time_column=r.time_column)
            for r in rollups_of(FACTS)]


# Rollups, cheapest first (see `_rollup_sources`); tests may clear it to compare with the facts.
ROLLUPS: list[Source] = _rollup_sources()


def pick_source(dimensions: set[str] | frozenset[str], granularity: str,
                filters: set[str] | frozenset[str] = frozenset()) -> Source:
    """The cheapest relation that answers an aggregate by `dimensions` at `granularity` with `filters`.

    A rollup qualifies when it holds every grouped and filtered dimension and its grain is at most the requested
    one (a day rollup answers day, month and total; not hour). Ranges must then be aligned to its grain: callers
    pass hour-aligned ranges only to hour sources, see `aligned()`.
    """
    needed = set(dimensions) | set(filters)
    for src in ROLLUPS:
        if needed <= src.dimensions and GRAIN_ORDER[src.grain] <= GRAIN_ORDER[granularity]:
            return src
    return FACTS_SOURCE


def aligned(ts: dt.datetime, grain: str) -> bool:
    """Whether `ts` falls on a boundary of `grain` (a day rollup can only answer day-aligned ranges)."""
    if grain == "hour":
        return ts.minute == 0 and ts.second == 0 and ts.microsecond == 0
    if grain in ("day", "month", "total"):
        return ts.hour == 0 and ts.minute == 0 and ts.second == 0 and ts.microsecond == 0
    return False


def pick_source_for_range(dimensions, granularity: str, filters, from_ts: dt.datetime,
                          to_ts: dt.datetime) -> Source:
    src = pick_source(dimensions, granularity, filters)
    if src is not FACTS_SOURCE and not (aligned(from_ts, src.grain) and aligned(to_ts, src.grain)):
        return FACTS_SOURCE
    return src


@dataclass
class Where:
    """A conjunction of conditions with its bound parameters."""

    parts: list[sql.Composable] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, condition: sql.Composable, **params: Any) -> None:
        self.parts.append(condition)
        self.params.update(params)

    def sql(self) -> sql.Composable:
        if not self.parts:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(self.parts)


def range_and_filters(source: Source, from_ts: dt.datetime, to_ts: dt.datetime,
                      filters: dict[str, list[str]], alias: str | None = None) -> Where:
    """`time >= from AND time < to AND dim = ANY(values) …` on whitelisted columns."""
    def col(name: str) -> sql.Composable:
        return sql.Identifier(alias, name) if alias else sql.Identifier(name)

    w = Where()
    w.add(sql.SQL("{} >= %(from_ts)s AND {} < %(to_ts)s").format(col(source.time_column), col(source.time_column)),
          from_ts=from_ts, to_ts=to_ts)
    for name, values in sorted(filters.items()):
        if name not in FACT_DIMENSIONS:
            raise ValueError(f"not a dimension: {name}")
        w.add(sql.SQL("{} = ANY(%({})s)").format(col(name), sql.SQL(f"f_{name}")), **{f"f_{name}": list(values)})
    return w


def period_expression(source: Source, granularity: str) -> sql.Composable | None:
    """The bucket start of a row at `granularity` (None for total)."""
    if granularity == "total":
        return None
    if granularity == "hour" and source.grain == "hour":
        return sql.Identifier(source.time_column)
    return sql.SQL("date_trunc({}, {})").format(sql.Literal(GRANULARITY_TRUNC[granularity]),
                                                sql.Identifier(source.time_column))


def aggregate_statement(source: Source, dimensions: list[str], granularity: str, where: Where,
                        limit: int | None = None, extra_aggregates: sql.Composable | None = None) -> sql.Composed:
    """SELECT [period_start,] dims…, sum(amount) AS amount_usd FROM source WHERE … GROUP BY … ORDER BY …"""
    for d in dimensions:
        if d not in FACT_DIMENSIONS:
            raise ValueError(f"not a dimension: {d}")
    select: list[sql.Composable] = []
    period = period_expression(source, granularity)
    if period is not None:
        select.append(sql.SQL("{} AS period_start").format(period))
    select.extend(sql.Identifier(d) for d in dimensions)
    select.append(sql.SQL("sum({}) AS amount_usd").format(sql.Identifier(source.amount_column)))
    if extra_aggregates is not None:
        select.append(extra_aggregates)
    n_keys = len(dimensions) + (1 if period is not None else 0)
    stmt = sql.SQL("SELECT {} FROM {} WHERE {}").format(sql.SQL(", ").join(select), sql.Identifier(source.relation),
                                                       where.sql())
    if n_keys:
        keys = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(n_keys))
        stmt = sql.SQL("{} GROUP BY {} ORDER BY {}").format(stmt, keys, keys)
    if limit is not None:
        stmt = sql.SQL("{} LIMIT {}").format(stmt, sql.Literal(int(limit)))
    return stmt


def newest_complete_day(conn: psycopg.Connection) -> tuple[dt.date | None, dt.datetime | None]:
    """The newest day whose facts partition is complete, and when it was written.

    A day partition is written whole and atomically, so the newest materialized day in `partition_status` (asset
    `hourly_cost_facts`) is complete. Without bookkeeping rows, the newest attached day partition counts.
    """
    row = conn.execute(
        "SELECT usage_date, materialized_at FROM partition_status WHERE asset_name = %s"
        " ORDER BY usage_date DESC LIMIT 1", (FACTS,)).fetchone()
    if row:
        return _get(row, 0, "usage_date"), _get(row, 1, "materialized_at")
    row = conn.execute(
        "SELECT max(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND c.relname ~ '_p[0-9]{8}$'",
        (FACTS,)).fetchone()
    name = _get(row, 0, "max") if row else None
    if not name:
        return None, None
    return dt.datetime.strptime(name[-8:], "%Y%m%d").date(), None


def fact_days(conn: psycopg.Connection, from_ts: dt.datetime, to_ts: dt.datetime) -> list[dt.date]:
    """The days with an attached facts partition that intersect [from_ts, to_ts), ascending (catalog lookup only)."""
    rows = conn.execute(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND c.relname ~ '_p[0-9]{8}$'",
        (FACTS,)).fetchall()
    first, last = from_ts.date(), (to_ts - dt.timedelta(microseconds=1)).date()
    days = sorted(dt.datetime.strptime(_get(r, 0, "name")[-8:], "%Y%m%d").date() for r in rows)
    return [d for d in days if first <= d <= last]


def _get(row, index: int, key: str):
    return row[key] if isinstance(row, dict) else row[index]


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
