"""SQL building for the read API over the views of the facts: whitelisted identifiers, bound parameters, and the
choice of the relation an aggregate reads.

A `FactView` is one fact table of the model (billing_portal/model/tables.py) as the API reads it: the principal view
(`PRINCIPAL_VIEW`, hourly_cost_facts: /v1/costs, /v1/costs/summary, /v1/dimensions, /v1/forecast, the FOCUS export
and the /metrics gauges and ledger) and the topic view (`TOPIC_VIEW`, hourly_topic_facts: /v1/topics,
/v1/topics/summary, the FOCUS export with view=topic). From a view come, never listed again: its dimensions (what a
query filters and groups by), its API fields, its filters as parsed from a query (`filters`: case-folded where the
vocabulary is fixed), its `group_by`, the relation an aggregate reads (`pick_source`: the cheapest of its rollups
that carries every grouped and filtered dimension at a fine enough grain, else its facts) and its day partitions;
its query schemas (`schemas.view_queries`) and its answers (`api/views.py`) are built from it too. A new fact column
is a change to the model; a new view is one more `FactView` here, its schemas and its routes.

Nothing a client sends is ever formatted into SQL: column names are a relation's dimensions (composed with
`psycopg.sql.Identifier`), values are always bound parameters. Every aggregate of the API over facts (summaries,
dimension values, forecast inputs, the /metrics gauges and ledger) reads the relation a view's `pick_source` chooses,
but the topics of /v1/dimensions (whole days of topic_cost_daily); the reconciliation and the forecast are SQL
functions of the warehouse (migrations 0005, 0013) that read the rollups themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import psycopg
from psycopg import sql

from billing_portal.model.tables import (
    HOURLY_COST_FACTS,
    HOURLY_TOPIC_FACTS,
    RollupTable,
    Table,
    month_rollup_of,
    readable_rollups_of,
)
from billing_portal.months import next_month
from billing_portal.sidecar.vocabulary import DESCRIPTIONS, GROUP_BY_ALIASES, TOPIC_DESCRIPTIONS

# Filters on these dimensions are case-insensitive: their values are a fixed vocabulary in one case (Confluent's
# UPPER_SNAKE products and line types; the allocation's lower-case types, methods, reasons and confidence levels), so
# the value sent is folded to that case (no SQL function on the column: indexes and rollups still answer). Every other
# dimension (ids, topics, owners, teams, business units, cost centers) matches exactly, case-sensitively.
CASE_FOLDED = {
    "product": str.upper, "line_type": str.upper, "principal_type": str.lower, "resource_type": str.lower,
    "allocation_method": str.lower, "allocation_reason": str.lower, "confidence": str.lower,
}

GRAIN_ORDER = {"hour": 0, "day": 1, "month": 2, "total": 3}
GRANULARITY_TRUNC = {"hour": "hour", "day": "day", "month": "month"}


@dataclass(frozen=True)
class Source:
    """A relation to aggregate amounts from: the `dimensions` it carries, its finest time `grain`; `time_column` is
    the start of its grain (an hour for the facts, a day for day rollups, a month's first day for month rollups).
    `months`: the month rollup summed from this day rollup, if any (same dimensions; see `summary_statement`)."""

    relation: str
    dimensions: frozenset[str]
    grain: str = "hour"
    time_column: str = "hour"
    amount_column: str = "amount_usd"
    months: Source | None = None


@dataclass(frozen=True)
class FactView:
    """One fact table as the API reads it (see the module docstring)."""

    name: str                                   # principal | topic (the FOCUS export's `view`)
    table: Table                                # its fact table in the model
    rollups: tuple[Source, ...]                 # its rollups in the model, cheapest first (`rollups`)
    descriptions: Mapping[str, str]             # dimension → what it is (OpenAPI)
    group_by_aliases: Mapping[str, str] = field(default_factory=dict)  # other names group_by takes for a column
    cursor_scope: Mapping[str, list[str]] = field(default_factory=dict)  # what its cursors are bound to, too

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.table.dimensions

    @property
    def fields(self) -> tuple[str, ...]:
        """A fact as the API answers it (in this order, also the CSV header)."""
        return self.table.api_fields

    @cached_property
    def facts(self) -> Source:
        return Source(self.table.name, frozenset(self.dimensions))

    def filters(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        """{dimension: [values]} for the dimension filters present in a parsed query, deduplicated; values of the
        case-insensitive dimensions (`CASE_FOLDED`) folded to their stored case."""
        out = {}
        for d in self.dimensions:
            if data.get(d):
                fold = CASE_FOLDED.get(d)
                out[d] = list(dict.fromkeys(map(fold, data[d]) if fold else data[d]))
        return out

    def group_by(self, values: list[str]) -> list[str]:
        """['team,product', 'principal'] → ['team', 'product', 'principal_id']: split, aliases resolved to
        columns, deduplicated, order kept."""
        out: list[str] = []
        for v in values:
            for part in v.split(","):
                part = self.group_by_aliases.get(part, part)
                if part and part not in out:
                    out.append(part)
        return out

    def pick_source(self, dimensions: set[str] | frozenset[str], granularity: str,
                    filters: set[str] | frozenset[str] = frozenset()) -> Source:
        """The cheapest relation that answers an aggregate by `dimensions` at `granularity` with `filters`.

        A rollup qualifies when it holds every grouped and filtered dimension and its grain is at most the
        requested one (a day rollup answers day, month and total; not hour). Ranges must then be aligned to its
        grain: see `pick_source_for_range`.
        """
        needed = set(dimensions) | set(filters)
        for src in self.rollups:
            if needed <= src.dimensions and GRAIN_ORDER[src.grain] <= GRAIN_ORDER[granularity]:
                return src
        return self.facts

    def pick_source_for_range(self, dimensions, granularity: str, filters, from_ts: dt.datetime,
                              to_ts: dt.datetime) -> Source:
        """`pick_source`, and the facts when the range does not fall on the rollup's grain."""
        src = self.pick_source(dimensions, granularity, filters)
        if src is not self.facts and not (aligned(from_ts, src.grain) and aligned(to_ts, src.grain)):
            return self.facts
        return src

    def days(self, conn: psycopg.Connection, from_ts: dt.datetime, to_ts: dt.datetime) -> list[dt.date]:
        """The days with an attached fact partition that intersect [from_ts, to_ts), ascending (a catalog lookup)."""
        rows = conn.execute(
            "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND c.relname ~ '_p[0-9]{8}$'",
            (self.table.name,)).fetchall()
        first, last = from_ts.date(), (to_ts - dt.timedelta(microseconds=1)).date()
        days = sorted(dt.datetime.strptime(_get(r, 0, "name")[-8:], "%Y%m%d").date() for r in rows)
        return [d for d in days if first <= d <= last]


def _source(r: RollupTable) -> Source:
    month = month_rollup_of(r)
    return Source(r.name, frozenset(r.group_by), grain=r.grain, time_column=r.time_column,
                  months=_source(month) if month is not None else None)


def rollups(table: Table) -> tuple[Source, ...]:
    """The rollups of a fact table (billing_portal/model/rollups.py: rebuilt with each day's facts, in the same
    transaction), cheapest first, each day rollup with its month rollup if it has one. Day rollups are keyed by
    `usage_date`, month rollups by `usage_month` (dates; compared with the UTC range bounds in the sidecar's UTC
    sessions), hourly ones by `hour`."""
    return tuple(_source(r) for r in readable_rollups_of(table.name))


PRINCIPAL_VIEW = FactView("principal", HOURLY_COST_FACTS, rollups(HOURLY_COST_FACTS), DESCRIPTIONS,
                          group_by_aliases=GROUP_BY_ALIASES)
TOPIC_VIEW = FactView("topic", HOURLY_TOPIC_FACTS, rollups(HOURLY_TOPIC_FACTS), TOPIC_DESCRIPTIONS,
                      cursor_scope={"view": ["topic"]})
VIEWS = {v.name: v for v in (PRINCIPAL_VIEW, TOPIC_VIEW)}

# The principal view's names, as the pipeline's /metrics ledger (defs/metrics/ledger.py) and the tests use them.
FACTS = PRINCIPAL_VIEW.table.name
FACT_DIMENSIONS: tuple[str, ...] = PRINCIPAL_VIEW.dimensions
FACT_FIELDS: tuple[str, ...] = PRINCIPAL_VIEW.fields
FACTS_SOURCE = PRINCIPAL_VIEW.facts


def pick_source(dimensions, granularity: str, filters=frozenset()) -> Source:
    """`PRINCIPAL_VIEW.pick_source`."""
    return PRINCIPAL_VIEW.pick_source(dimensions, granularity, filters)


def pick_source_for_range(dimensions, granularity: str, filters, from_ts: dt.datetime, to_ts: dt.datetime) -> Source:
    """`PRINCIPAL_VIEW.pick_source_for_range`."""
    return PRINCIPAL_VIEW.pick_source_for_range(dimensions, granularity, filters, from_ts, to_ts)


def aligned(ts: dt.datetime, grain: str) -> bool:
    """Whether `ts` falls on a boundary of `grain` (a day rollup can only answer day-aligned ranges)."""
    if grain == "hour":
        return ts.minute == 0 and ts.second == 0 and ts.microsecond == 0
    if grain in ("day", "month", "total"):
        return ts.hour == 0 and ts.minute == 0 and ts.second == 0 and ts.microsecond == 0
    return False


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
    """`time >= from AND time < to AND dim = ANY(values) …` on the source's columns (its dimensions only)."""
    def col(name: str) -> sql.Composable:
        return sql.Identifier(alias, name) if alias else sql.Identifier(name)

    w = Where()
    w.add(sql.SQL("{} >= %(from_ts)s AND {} < %(to_ts)s").format(col(source.time_column), col(source.time_column)),
          from_ts=from_ts, to_ts=to_ts)
    add_filters(w, source, filters, col)
    return w


def add_filters(w: Where, source: Source, filters: dict[str, list[str]], col=sql.Identifier) -> Where:
    """`dim = ANY(values) …` on the source's columns (its dimensions only), bound as `f_<dim>`."""
    for name, values in sorted(filters.items()):
        if name not in source.dimensions:
            raise ValueError(f"not a dimension of {source.relation}: {name}")
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
        if d not in source.dimensions:
            raise ValueError(f"not a dimension of {source.relation}: {d}")
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


@dataclass(frozen=True)
class MonthPlan:
    """How a day-aligned range is summed from a day rollup and its month rollup: whole `months` from the month
    rollup, `days` ranges added from the day rollup, `minus` ranges subtracted from it (the days of a month mostly
    covered by the range that fall outside it: that month's row minus those days)."""

    months: tuple[dt.date, ...]
    days: tuple[tuple[dt.date, dt.date], ...]
    minus: tuple[tuple[dt.date, dt.date], ...]


def month_plan(source: Source, granularity: str, from_ts: dt.datetime, to_ts: dt.datetime) -> MonthPlan | None:
    """The cheapest way to sum [from_ts, to_ts) from `source`'s month rollup and its days, or None when there is none
    (no month rollup, a day or hour granularity, a range not on whole days, or no month to take).

    Per month the range touches: the month's row when the range covers it; when it covers more than half of it, the
    month's row minus the days of the month outside the range; else the range's days of the month. So a year reads
    twelve month rows per group and at most half a month of days at each end."""
    if source.months is None or granularity not in ("month", "total") or not (
            aligned(from_ts, "day") and aligned(to_ts, "day")) or to_ts <= from_ts:
        return None
    first, end = from_ts.date(), to_ts.date()
    months, days, minus = [], [], []
    m = first.replace(day=1)
    while m < end:
        m_end = next_month(m)
        lo, hi = max(m, first), min(m_end, end)
        inside, length = (hi - lo).days, (m_end - m).days
        if inside == length:
            months.append(m)
        elif 2 * inside > length:
            months.append(m)
            minus.extend(r for r in ((m, lo), (hi, m_end)) if r[0] < r[1])
        else:
            days.append((lo, hi))
        m = m_end
    if not months:
        return None
    return MonthPlan(tuple(months), tuple(_merge(days)), tuple(_merge(minus)))


def _merge(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    out: list[tuple[dt.date, dt.date]] = []
    for lo, hi in ranges:
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def summary_statement(source: Source, dimensions: list[str], granularity: str, filters: dict[str, list[str]],
                      from_ts: dt.datetime, to_ts: dt.datetime,
                      limit: int | None = None) -> tuple[sql.Composed, dict[str, Any]]:
    """The statement (and its parameters) of a summary of [from_ts, to_ts) by `dimensions` and `granularity` from
    `source`: `aggregate_statement` over the range, or — when `month_plan` finds whole months to take — the same
    grouping over the month rollup's months and the day rollup's leftover days (UNION ALL; subtracted days with
    negated amounts and fact counts), which gives the same rows: the same groups (those with facts in the range:
    `sum(fact_rows) > 0`), the same exact NUMERIC amounts, the same order."""
    plan = month_plan(source, granularity, from_ts, to_ts)
    if plan is None:
        where = range_and_filters(source, from_ts, to_ts, filters)
        return aggregate_statement(source, dimensions, granularity, where, limit=limit), where.params
    for d in dimensions:
        if d not in source.dimensions:
            raise ValueError(f"not a dimension of {source.relation}: {d}")
    dims = [sql.Identifier(d) for d in dimensions]
    params: dict[str, Any] = {}

    def branch(src: Source, sign: str, condition: sql.Composable, **bounds: Any) -> sql.Composed:
        w = Where()
        w.add(condition, **bounds)
        add_filters(w, src, filters)
        params.update(w.params)
        return sql.SQL("SELECT {} AS t, {}{}amount_usd AS a, {}fact_rows AS n FROM {} WHERE {}").format(
            sql.Identifier(src.time_column), sql.SQL("").join(sql.SQL("{}, ").format(d) for d in dims),
            sql.SQL(sign), sql.SQL(sign), sql.Identifier(src.relation), w.sql())

    branches = [branch(source.months, "", sql.SQL("{} = ANY(%(months)s)").format(
        sql.Identifier(source.months.time_column)), months=list(plan.months))]
    day = sql.Identifier(source.time_column)
    for kind, ranges, sign in (("d", plan.days, ""), ("x", plan.minus, "-")):
        for i, (lo, hi) in enumerate(ranges):
            branches.append(branch(source, sign, sql.SQL("{} >= %({})s AND {} < %({})s").format(
                day, sql.SQL(f"{kind}{i}_lo"), day, sql.SQL(f"{kind}{i}_hi")), **{f"{kind}{i}_lo": lo,
                                                                                    f"{kind}{i}_hi": hi}))
    select: list[sql.Composable] = []
    if granularity == "month":
        select.append(sql.SQL("date_trunc('month', t) AS period_start"))
    select.extend(dims)
    n_keys = len(select)
    # without keys the one row is NULL when no fact is in the range, as a sum over no row is
    select.append(sql.SQL("sum(a) AS amount_usd") if n_keys else
                  sql.SQL("CASE WHEN sum(n) > 0 THEN sum(a) END AS amount_usd"))
    stmt = sql.SQL("SELECT {} FROM ({}) AS s").format(sql.SQL(", ").join(select),
                                                     sql.SQL(" UNION ALL ").join(branches))
    if n_keys:
        keys = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(n_keys))
        stmt = sql.SQL("{} GROUP BY {} HAVING sum(n) > 0 ORDER BY {}").format(stmt, keys, keys)
    if limit is not None:
        stmt = sql.SQL("{} LIMIT {}").format(stmt, sql.Literal(int(limit)))
    return stmt, params


def newest_complete_day(conn: psycopg.Connection) -> tuple[dt.date | None, dt.datetime | None]:
    """The newest day whose cost facts partition is complete, and when it was written.

    A day partition is written whole and atomically, so the newest materialized day in `partition_status` (asset
    `hourly_cost_facts`) is complete. Without bookkeeping rows, the newest attached day partition counts.
    """
    row = conn.execute(
        "SELECT usage_date, materialized_at FROM partition_status WHERE asset_name = %s"
        " ORDER BY usage_date DESC LIMIT 1", (FACTS,)).fetchone()
    if row:
        return _get(row, 0, "usage_date"), _get(row, 1, "materialized_at")
    days = PRINCIPAL_VIEW.days(conn, dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC))
    return (days[-1], None) if days else (None, None)


def _get(row, index: int, key: str):
    return row[key] if isinstance(row, dict) else row[index]


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
