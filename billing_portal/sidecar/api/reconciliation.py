"""GET /v1/reconciliation: per day, what the bill says against what was allocated and what was kept aside.

billed = allocated + quarantined, per day: `billed_usd` is the day's bill (stored lines of billing_costs plus the
amounts of quarantined bill rows), `allocated_usd` the sum of the hourly facts, `quarantined_usd` the rows kept
aside, and `difference_usd` = billed − allocated − quarantined, zero when every dollar is accounted for. Defined once
in SQL (`reconciliation_daily`, migration 0013), which the Grafana panels read too.
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.days import daily_endpoint, days_answer
from billing_portal.sidecar.responses import Reconciliation, ReconciliationTotals, field_names
from billing_portal.sidecar.schemas import DaysQuery

bp = APIBlueprint("reconciliation", __name__, tag="quality")


@daily_endpoint(bp, "/v1/reconciliation", DaysQuery, Reconciliation, newest_in="billing_costs",
                newest="the newest billed day", summary="Bill vs allocation per day", description=(
    "Per day: billed (bill lines + quarantined bill rows), allocated (hourly facts), quarantined amount and rows, "
    "difference = billed − allocated − quarantined (zero when reconciled) and the UNALLOCATED part."))
def reconciliation(query_data: dict, days: tuple[dt.date, dt.date]):
    start, end = days
    # the one definition (migration 0013), also read by the Grafana reconciliation panels
    rows = db.fetch_all("SELECT * FROM reconciliation_daily(%(s)s, %(e)s)", {"s": start, "e": end})
    totals = {k: sum(r[k] for r in rows) for k in field_names(ReconciliationTotals)}
    return days_answer(query_data, Reconciliation, days, rows, "reconciliation.csv", more=lambda: {"totals": totals})
