"""GET /v1/reconciliation: per day, what the bill says against what was allocated and what was kept aside.

billed = allocated + quarantined, per day: `billed_usd` is the day's bill (stored lines of billing_costs plus the
amounts of quarantined bill rows), `allocated_usd` the sum of the hourly facts, `quarantined_usd` the rows kept
aside, and `difference_usd` = billed − allocated − quarantined, zero when every dollar is accounted for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import QUERY, responses
from billing_portal.sidecar.api.days import range_fields, resolve_days
from billing_portal.sidecar.encode import csv_lines, csv_response, day, json_response, money
from billing_portal.sidecar.query import aggregate_statement, day_start, pick_source, range_and_filters
from billing_portal.sidecar.schemas import DaysQuery, Reconciliation

bp = APIBlueprint("reconciliation", __name__, tag="quality")

COLUMNS = ("usage_date", "billed_usd", "billed_lines_usd", "bill_lines", "allocated_usd", "quarantined_usd",
           "quarantined_rows", "difference_usd", "unallocated_usd", "balanced")
ZERO = Decimal(0)


def _allocated_by_day(lo: dt.datetime, hi: dt.datetime, filters: dict) -> dict[dt.date, Decimal]:
    source = pick_source(set(), "day", set(filters))
    where = range_and_filters(source, lo, hi, filters)
    rows = db.fetch_all(aggregate_statement(source, [], "day", where), where.params)
    return {r["period_start"].date(): r["amount_usd"] for r in rows}


@bp.get("/v1/reconciliation")
@bp.input(DaysQuery, **QUERY)
@bp.output(Reconciliation)
@bp.doc(tags=["quality"], summary="Bill vs allocation per day", description=(
    "Per day: billed (bill lines + quarantined bill rows), allocated (hourly facts), quarantined amount and rows, "
    "difference = billed − allocated − quarantined (zero when reconciled) and the UNALLOCATED part. The UTC days "
    "of [from_ts, to_ts) (timestamps or days; aliases start..end, inclusive; default: the 30 days ending at the "
    "newest billed day; at most 366)."),
    responses=responses(400, 503, csv=True))
def reconciliation(query_data: dict):
    newest = db.fetch_one("SELECT max(usage_date) AS d FROM billing_costs")["d"]
    start, end = resolve_days(query_data.get("start"), query_data.get("end"), newest)
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    bills = {r["usage_date"]: r for r in db.fetch_all(
        "SELECT usage_date, sum(amount) AS amount, count(*) AS lines FROM billing_costs"
        " WHERE usage_date BETWEEN %(s)s AND %(e)s GROUP BY 1", {"s": start, "e": end})}
    quarantine = {r["usage_date"]: r for r in db.fetch_all(
        "SELECT usage_date, COALESCE(sum(amount) FILTER (WHERE source = 'billing'), 0) AS amount, count(*) AS n"
        " FROM quarantine_rows WHERE usage_date BETWEEN %(s)s AND %(e)s GROUP BY 1", {"s": start, "e": end})}
    allocated = _allocated_by_day(lo, hi, {})
    unallocated = _allocated_by_day(lo, hi, {"principal_id": ["UNALLOCATED"]})

    data = []
    totals = dict.fromkeys(("billed_usd", "billed_lines_usd", "allocated_usd", "quarantined_usd", "difference_usd",
                            "unallocated_usd"), ZERO)
    totals.update(bill_lines=0, quarantined_rows=0)
    for d in sorted(set(bills) | set(quarantine) | set(allocated)):
        b, q = bills.get(d, {}), quarantine.get(d, {})
        lines_usd, q_usd = b.get("amount") or ZERO, q.get("amount") or ZERO
        alloc, unalloc = allocated.get(d) or ZERO, unallocated.get(d) or ZERO
        billed = lines_usd + q_usd
        diff = billed - alloc - q_usd
        row = {"usage_date": d, "billed_usd": billed, "billed_lines_usd": lines_usd, "bill_lines": b.get("lines", 0),
               "allocated_usd": alloc, "quarantined_usd": q_usd, "quarantined_rows": q.get("n", 0),
               "difference_usd": diff, "unallocated_usd": unalloc, "balanced": diff == 0}
        for k in totals:
            totals[k] += row[k]
        data.append(row)

    def render(row: dict) -> dict:
        return {k: (money(v) if isinstance(v, Decimal) else day(v) if isinstance(v, dt.date) else v)
                for k, v in row.items()}

    if query_data["format"] == "csv":
        return csv_response(csv_lines(COLUMNS, ([row[c] for c in COLUMNS] for row in data)), "reconciliation.csv")
    return json_response({**range_fields(start, end), "data": [render(r) for r in data],
                          "totals": render(totals)})
