"""GET /v1/costs: hourly cost facts in [from_ts, to_ts), filtered, keyset-paginated in a stable order.

Order: `(usage_date, fact_no)`; `fact_no` ascends with the hour inside a day, so pages are chronological and stable
while the data does not change. A page is read day partition by day partition (from the cursor's day), so its cost
does not grow with the length of the range. `format=csv` streams every matching row (no pages).
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint
from psycopg import sql

from billing_portal.sidecar import db, pagination
from billing_portal.sidecar.api.common import QUERY, filters_from, responses
from billing_portal.sidecar.encode import csv_lines, csv_response, day, json_response, money, ts
from billing_portal.sidecar.query import FACT_FIELDS, FACTS_SOURCE, day_start, fact_days, range_and_filters
from billing_portal.sidecar.schemas import DEFAULT_LIMIT, CostsPage, CostsQuery

bp = APIBlueprint("costs", __name__, tag="costs")

SELECT = sql.SQL(", ").join(sql.Identifier(f) for f in FACT_FIELDS)


def _row(r: dict) -> dict:
    item = {k: r[k] for k in FACT_FIELDS}
    item["hour"] = ts(r["hour"])
    item["usage_date"] = day(r["usage_date"])
    item["amount_usd"] = money(r["amount_usd"])
    return item


@bp.get("/v1/costs")
@bp.input(CostsQuery, **QUERY)
@bp.output(CostsPage)
@bp.doc(tags=["costs"], summary="Hourly cost facts", description=(
    "Every allocated fact (hour × bill line × principal) with an hour in [from_ts, to_ts), at most 366 days. "
    "Filters on every dimension are repeatable (OR within a parameter, AND across parameters). Pages of `limit` "
    "rows (≤ 10000) in the stable order (usage_date, fact_no); pass `next` back as `cursor` with the same range "
    "and filters. Amounts are strings with 8 decimals."), responses=responses(400, 503, csv=True))
def list_costs(query_data: dict):
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    filters = filters_from(query_data)
    where = range_and_filters(FACTS_SOURCE, from_ts, to_ts, filters)

    if query_data["format"] == "csv":
        stmt = sql.SQL("SELECT {} FROM hourly_cost_facts WHERE {} ORDER BY usage_date, fact_no").format(
            SELECT, where.sql())
        rows = db.stream(stmt, where.params)
        return csv_response(csv_lines(FACT_FIELDS, rows), "costs.csv", rows)

    limit = query_data.get("limit", DEFAULT_LIMIT)
    fp = pagination.fingerprint(from_ts, to_ts, filters)
    c_day, c_no = pagination.decode(query_data["cursor"], fp) if "cursor" in query_data else (None, -1)
    rows: list[dict] = []
    with db.pool().connection() as conn:
        for d in fact_days(conn, from_ts, to_ts):
            if c_day is not None and d < c_day:
                continue
            lo, hi = day_start(d), day_start(d + dt.timedelta(days=1))
            day_where = range_and_filters(FACTS_SOURCE, max(lo, from_ts), min(hi, to_ts), filters)
            day_where.add(sql.SQL("fact_no > %(c_no)s"), c_no=c_no if d == c_day else -1)
            stmt = sql.SQL("SELECT {}, fact_no FROM hourly_cost_facts WHERE {} ORDER BY fact_no "
                           "LIMIT %(limit)s").format(SELECT, day_where.sql())
            rows.extend(conn.execute(stmt, {**day_where.params, "limit": limit + 1 - len(rows)}).fetchall())
            if len(rows) > limit:
                break
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = pagination.encode(rows[-1]["usage_date"], rows[-1]["fact_no"], fp) if more else None
    return json_response({"data": [_row(r) for r in rows], "count": len(rows), "limit": limit, "next": nxt})
