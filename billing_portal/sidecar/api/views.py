"""The endpoints of every view of the facts, written once for any `query.FactView`: `declare_view` gives a view
GET <path>, its facts (`list_facts`: keyset pages read day partition by day partition, or a CSV stream), and
GET <path>/summary, its amounts summed (`summarize`: JSON rows of `group` + `amount_usd` with a total, or CSV with the
bucket bounds), with their query schemas (`schemas.VIEW_QUERIES`), answers (`responses.VIEW_PAGES`, `Summary`) and
documentation. `costs.py` declares the principal view, `topics.py` the topic view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apiflask import APIBlueprint, Schema
from psycopg import sql

from billing_portal.sidecar import db, pagination
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.encode import csv_lines, csv_response
from billing_portal.sidecar.errors import bad_parameter
from billing_portal.sidecar.query import FactView, day_start, range_and_filters, summary_statement
from billing_portal.sidecar.responses import VIEW_PAGES, Summary, SummaryRow, answer, field_names
from billing_portal.sidecar.schemas import (
    DEFAULT_LIMIT,
    MAX_HOURLY_RANGE_DAYS,
    MAX_LIMIT,
    MAX_RANGE_DAYS,
    MAX_SUMMARY_ROWS,
    VIEW_QUERIES,
)


def declare_view(bp: APIBlueprint, view: FactView, path: str, *, titles: tuple[str, str], about: str,
                 csv_names: tuple[str, str]) -> None:
    """GET `path` (the view's facts) and GET `path`/summary on `bp`: `titles` are their OpenAPI summaries, `about`
    says what one fact of the view is, `csv_names` are the file names of their CSV downloads."""
    queries, page = VIEW_QUERIES[view.name], VIEW_PAGES[view.name]

    @read_endpoint(bp, path, queries.facts, page, csv=True, summary=titles[0], description=(
        f"{about}, with an hour in [from_ts, to_ts), at most {MAX_RANGE_DAYS} days. Filters on every dimension "
        "are repeatable (OR within a parameter, AND across parameters). Pages of `limit` rows "
        f"(≤ {MAX_LIMIT}) in the stable order (usage_date, fact_no); pass `next` back as `cursor` with the same "
        "range and filters; format=csv streams every row instead. Amounts are strings with 8 decimals."))
    def facts(query_data: dict):
        return list_facts(view, page, query_data, csv_names[0])

    @read_endpoint(bp, f"{path}/summary", queries.summary, Summary, csv=True, summary=titles[1], description=(
        f"The amounts of {path} in [from_ts, to_ts) summed by `group_by` (" + ", ".join(view.dimensions)
        + ("; or the names /v1/dimensions accepts" if view.group_by_aliases else "") + "; repeat or "
        f"comma-separate) and `granularity` (hour ≤ {MAX_HOURLY_RANGE_DAYS} days, day, month, total; UTC buckets). "
        "Each row's period_start/period_end are its bucket clipped to the range: a bucket the range covers only in "
        f"part is labelled with the part summed. Same filters as {path}. JSON answers are capped at "
        f"{MAX_SUMMARY_ROWS} rows (400 beyond: narrow the range or use format=csv, which streams without a cap, "
        "with the same columns)."))
    def summary(query_data: dict):
        return summarize(view, query_data, csv_names[1])


def list_facts(view: FactView, page: type[Schema], query_data: dict, csv_name: str):
    """The view's facts with an hour in [from_ts, to_ts), filtered: a page of `page` (the view's page schema), or
    with format=csv every row, streamed, its fields as columns."""
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    filters = view.filters(query_data)
    select = sql.SQL(", ").join(sql.Identifier(f) for f in view.fields)
    if query_data["format"] == "csv":
        where = range_and_filters(view.facts, from_ts, to_ts, filters)
        rows = db.stream(sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY usage_date, fact_no").format(
            select, sql.Identifier(view.facts.relation), where.sql()), where.params)
        return csv_response(csv_lines(view.fields, rows), csv_name, rows)
    return _keyset_page(view, select, filters, from_ts, to_ts, query_data, page)


def _keyset_page(view: FactView, select: sql.Composable, filters: dict[str, list[str]], from_ts: dt.datetime,
                 to_ts: dt.datetime, query_data: dict, page: type[Schema]):
    """One page of `limit` facts in the stable order (usage_date, fact_no), from the cursor's day on: each day
    partition is read only as far as the page needs, so a page's cost does not grow with the range."""
    limit = query_data.get("limit", DEFAULT_LIMIT)
    fingerprint = pagination.fingerprint(from_ts, to_ts, {**view.cursor_scope, **filters})
    c_day, c_no = pagination.decode(query_data["cursor"], fingerprint) if "cursor" in query_data else (None, -1)
    rows: list[dict] = []
    with db.pool().connection() as conn:
        for d in view.days(conn, from_ts, to_ts):
            if c_day is not None and d < c_day:
                continue
            lo, hi = day_start(d), day_start(d + dt.timedelta(days=1))
            w = range_and_filters(view.facts, max(lo, from_ts), min(hi, to_ts), filters)
            w.add(sql.SQL("fact_no > %(c_no)s"), c_no=c_no if d == c_day else -1)
            stmt = sql.SQL("SELECT {}, fact_no FROM {} WHERE {} ORDER BY fact_no LIMIT %(limit)s").format(
                select, sql.Identifier(view.facts.relation), w.sql())
            rows.extend(conn.execute(stmt, {**w.params, "limit": limit + 1 - len(rows)}).fetchall())
            if len(rows) > limit:
                break
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = pagination.encode(rows[-1]["usage_date"], rows[-1]["fact_no"], fingerprint) if more else None
    return answer(page, {"data": rows, "count": len(rows), "limit": limit, "next": nxt})


def summarize(view: FactView, query_data: dict, csv_name: str):
    """The view's amounts in [from_ts, to_ts) summed by `group_by` and `granularity` from the relation its
    `pick_source_for_range` chooses (with its month rollup for the whole months of a range at month or total
    granularity: `query.summary_statement`): `Summary` in JSON (at most MAX_SUMMARY_ROWS rows), or with format=csv every
    row, streamed, with the fields of a `SummaryRow` as columns (its group spread into the group-by dimensions)."""
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    group_by, granularity = view.group_by(query_data["group_by"]), query_data["granularity"]
    filters = view.filters(query_data)
    source = view.pick_source_for_range(set(group_by), granularity, set(filters), from_ts, to_ts)
    has_period = granularity != "total"

    def statement(limit: int | None) -> tuple[sql.Composed, dict]:
        return summary_statement(source, group_by, granularity, filters, from_ts, to_ts, limit=limit)

    if query_data["format"] == "csv":
        rows = db.stream(*statement(None))
        header = [c for n in field_names(SummaryRow) for c in (group_by if n == "group" else [n])]

        def lines():
            for r in rows:
                lo, hi = bucket(r[0] if has_period else None, granularity, from_ts, to_ts)
                yield (lo, hi, *(r[1:] if has_period else r))

        return csv_response(csv_lines(header, lines()), csv_name, rows)
    rows = db.fetch_all(*statement(MAX_SUMMARY_ROWS + 1))
    if len(rows) > MAX_SUMMARY_ROWS:
        raise bad_parameter("group_by", f"more than {MAX_SUMMARY_ROWS} rows: narrow the range, group by fewer "
                                        "dimensions, use a coarser granularity or format=csv",
                            code="result_too_large")

    def data():  # each row written as it is made (`Summary` renders its data as it iterates)
        for r in rows:
            lo, hi = bucket(r["period_start"] if has_period else None, granularity, from_ts, to_ts)
            yield {"period_start": lo, "period_end": hi, "group": {d: r[d] for d in group_by},
                   "amount_usd": r["amount_usd"]}

    return answer(Summary, {"from_ts": from_ts, "to_ts": to_ts, "granularity": granularity, "group_by": group_by,
                            "data": data(), "total_usd": sum((r["amount_usd"] or 0 for r in rows), Decimal(0))})


def bucket(start: dt.datetime | None, granularity: str, from_ts: dt.datetime,
           to_ts: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The bounds a row covers: its UTC bucket clipped to [from_ts, to_ts) (a day bucket only partly inside the
    range is labelled with the part it sums, e.g. 10:00 to 24:00); the range itself for granularity=total."""
    if start is None:
        return from_ts, to_ts
    return max(start, from_ts), min(period_end(start, granularity), to_ts)


def period_end(start: dt.datetime, granularity: str) -> dt.datetime:
    if granularity == "hour":
        return start + dt.timedelta(hours=1)
    if granularity == "day":
        return start + dt.timedelta(days=1)
    month = start.year * 12 + start.month  # next month's index (0-based months + 1)
    return start.replace(year=month // 12, month=month % 12 + 1)
