"""GET /v1/reconciliation: per day, what the bill says against what was allocated and what was kept aside.

billed = allocated + quarantined, per day: `billed_usd` is the day's bill (stored lines of billing_costs plus the
amounts of quarantined bill rows), `allocated_usd` the sum of the hourly facts, `quarantined_usd` the rows kept
aside, and `difference_usd` = billed − allocated − quarantined, zero when every dollar is accounted for. Defined once
in SQL (`reconciliation_daily`, migration 0013), which the Grafana panels read too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import QUERY, responses
from billing_portal.sidecar.api.days import range_fields, resolve_days
from billing_portal.sidecar.encode import csv_lines, csv_response, day, json_response, money
from billing_portal.sidecar.schemas import DaysQuery, Reconciliation

bp = APIBlueprint("reconciliation", __name__, tag="quality")

COLUMNS = ("usage_date", "billed_usd", "billed_lines_usd", "bill_lines", "allocated_usd", "quarantined_usd",
           "quarantined_rows", "difference_usd", "unallocated_usd", "balanced")
ZERO = Decimal(0)


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
    # the one definition (migration 0013), also read by the Grafana reconciliation panels
    data = [dict(r) for r in db.fetch_all("SELECT * FROM reconciliation_daily(%(s)s, %(e)s)",
                                          {"s": start, "e": end})]
    totals = {k: sum((r[k] for r in data), ZERO) for k in ("billed_usd", "billed_lines_usd", "allocated_usd",
                                                            "quarantined_usd", "difference_usd", "unallocated_usd")}
    totals.update(bill_lines=sum(r["bill_lines"] for r in data), quarantined_rows=sum(r["quarantined_rows"]
                                                                                      for r in data))

    def render(row: dict) -> dict:
        return {k: (money(v) if isinstance(v, Decimal) else day(v) if isinstance(v, dt.date) else v)
                for k, v in row.items()}

    if query_data["format"] == "csv":
        return csv_response(csv_lines(COLUMNS, ([row[c] for c in COLUMNS] for row in data)), "reconciliation.csv")
    return json_response({**range_fields(start, end), "data": [render(r) for r in data],
                          "totals": render(totals)})
