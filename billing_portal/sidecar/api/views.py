"""What the principal view (/v1/costs, /v1/costs/summary) and the topic view (/v1/topics, /v1/topics/summary)
answer alike, written once: a keyset page of facts read day partition by day partition, and the summary envelope
(JSON rows of `group` + `amount_usd` with a total, or CSV with the bucket bounds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from apiflask import Schema
from psycopg import sql

from billing_portal.sidecar import db, pagination
from billing_portal.sidecar.encode import csv_lines, csv_response
from billing_portal.sidecar.errors import bad_parameter
from billing_portal.sidecar.query import Where, day_start
from billing_portal.sidecar.responses import Summary, answer
from billing_portal.sidecar.schemas import MAX_SUMMARY_ROWS


def keyset_page(table: str, select: sql.Composable, days: Callable[[object], Iterable[dt.date]],
                where_of_day: Callable[[dt.datetime, dt.datetime], Where], from_ts: dt.datetime, to_ts: dt.datetime,
                query_data: dict, limit: int, fingerprint: str, page: type[Schema]):
    """One page of `limit` facts of `table` in the stable order (usage_date, fact_no), from the cursor's day on:
    each day partition is read only as far as the page needs, so a page's cost does not grow with the range; the
    answer is written by `page` (the view's page schema)."""
    c_day, c_no = pagination.decode(query_data["cursor"], fingerprint) if "cursor" in query_data else (None, -1)
    rows: list[dict] = []
    with db.pool().connection() as conn:
        for d in days(conn):
            if c_day is not None and d < c_day:
                continue
            lo, hi = day_start(d), day_start(d + dt.timedelta(days=1))
            w = where_of_day(max(lo, from_ts), min(hi, to_ts))
            w.add(sql.SQL("fact_no > %(c_no)s"), c_no=c_no if d == c_day else -1)
            stmt = sql.SQL("SELECT {}, fact_no FROM {} WHERE {} ORDER BY fact_no LIMIT %(limit)s").format(
                select, sql.Identifier(table), w.sql())
            rows.extend(conn.execute(stmt, {**w.params, "limit": limit + 1 - len(rows)}).fetchall())
            if len(rows) > limit:
                break
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = pagination.encode(rows[-1]["usage_date"], rows[-1]["fact_no"], fingerprint) if more else None
    return answer(page, {"data": rows, "count": len(rows), "limit": limit, "next": nxt})


def summary_answer(statement: Callable[[int | None], sql.Composed], where: Where, group_by: list[str],
                   granularity: str, from_ts: dt.datetime, to_ts: dt.datetime, query_data: dict, csv_name: str,
                   bucket: Callable):
    """The summary envelope of `statement(limit)` (rows: period_start when the granularity has one, the group-by
    dimensions, amount_usd): JSON with a total, or CSV streaming every row with its bucket's bounds."""
    has_period = granularity != "total"
    if query_data["format"] == "csv":
        rows = db.stream(statement(None), where.params)
        header = ["period_start", "period_end", *group_by, "amount_usd"]

        def lines():
            for r in rows:
                lo, hi = bucket(r[0] if has_period else None, granularity, from_ts, to_ts)
                yield (lo, hi, *(r[1:] if has_period else r))

        return csv_response(csv_lines(header, lines()), csv_name, rows)
    rows = db.fetch_all(statement(MAX_SUMMARY_ROWS + 1), where.params)
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
