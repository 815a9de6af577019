"""GET /v1/costs: hourly cost facts in [from_ts, to_ts), filtered, keyset-paginated in a stable order.

Order: `(usage_date, fact_no)`; `fact_no` ascends with the hour inside a day, so pages are chronological and stable
while the data does not change. A page is read day partition by day partition (from the cursor's day), so its cost
does not grow with the length of the range. `format=csv` streams every matching row (no pages).
"""

from __future__ import annotations

from apiflask import APIBlueprint
from psycopg import sql

from billing_portal.sidecar import db, pagination
from billing_portal.sidecar.api.common import filters_from, read_endpoint
from billing_portal.sidecar.api.views import keyset_page
from billing_portal.sidecar.encode import csv_lines, csv_response
from billing_portal.sidecar.query import FACT_FIELDS, FACTS_SOURCE, fact_days, range_and_filters
from billing_portal.sidecar.responses import CostsPage
from billing_portal.sidecar.schemas import DEFAULT_LIMIT, CostsQuery

bp = APIBlueprint("costs", __name__, tag="costs")

SELECT = sql.SQL(", ").join(sql.Identifier(f) for f in FACT_FIELDS)


@read_endpoint(bp, "/v1/costs", CostsQuery, CostsPage, csv=True, summary="Hourly cost facts", description=(
    "Every allocated fact (hour × bill line × principal) with an hour in [from_ts, to_ts), at most 366 days. "
    "Filters on every dimension are repeatable (OR within a parameter, AND across parameters). Pages of `limit` "
    "rows (≤ 10000) in the stable order (usage_date, fact_no); pass `next` back as `cursor` with the same range "
    "and filters. Amounts are strings with 8 decimals."))
def list_costs(query_data: dict):
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    filters = filters_from(query_data)
    where = range_and_filters(FACTS_SOURCE, from_ts, to_ts, filters)

    if query_data["format"] == "csv":
        stmt = sql.SQL("SELECT {} FROM hourly_cost_facts WHERE {} ORDER BY usage_date, fact_no").format(
            SELECT, where.sql())
        rows = db.stream(stmt, where.params)
        return csv_response(csv_lines(FACT_FIELDS, rows), "costs.csv", rows)

    return keyset_page("hourly_cost_facts", SELECT, lambda conn: fact_days(conn, from_ts, to_ts),
                       lambda lo, hi: range_and_filters(FACTS_SOURCE, lo, hi, filters), from_ts, to_ts, query_data,
                       query_data.get("limit", DEFAULT_LIMIT), pagination.fingerprint(from_ts, to_ts, filters), CostsPage)
