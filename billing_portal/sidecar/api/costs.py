"""The principal view over HTTP (`query.PRINCIPAL_VIEW`, table hourly_cost_facts): `GET /v1/costs`, the hourly cost
facts in [from_ts, to_ts), filtered, keyset-paginated in a stable order or streamed as CSV, and
`GET /v1/costs/summary`, their amounts grouped by any dimensions and UTC time buckets (hour, day, month, total), read
from the cheapest rollup that answers (`api/views.py`).

Page order: `(usage_date, fact_no)`; `fact_no` ascends with the hour inside a day, so pages are chronological and
stable while the data does not change. A page is read day partition by day partition (from the cursor's day), so its
cost does not grow with the length of the range. `format=csv` streams every matching row (no pages).
"""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.api.views import list_facts, summarize
from billing_portal.sidecar.query import PRINCIPAL_VIEW
from billing_portal.sidecar.responses import CostsPage, Summary
from billing_portal.sidecar.schemas import CostsQuery, SummaryQuery

bp = APIBlueprint("costs", __name__, tag="costs")


@read_endpoint(bp, "/v1/costs", CostsQuery, CostsPage, csv=True, summary="Hourly cost facts", description=(
    "Every allocated fact (hour × bill line × principal) with an hour in [from_ts, to_ts), at most 366 days. "
    "Filters on every dimension are repeatable (OR within a parameter, AND across parameters). Pages of `limit` "
    "rows (≤ 10000) in the stable order (usage_date, fact_no); pass `next` back as `cursor` with the same range "
    "and filters. Amounts are strings with 8 decimals."))
def list_costs(query_data: dict):
    return list_facts(PRINCIPAL_VIEW, CostsPage, query_data, "costs.csv")


@read_endpoint(bp, "/v1/costs/summary", SummaryQuery, Summary, csv=True,
               summary="Cost summary by dimensions and time buckets", description=(
    "Sums of amount_usd in [from_ts, to_ts) grouped by `group_by` (any fact dimensions, repeat or comma-separate) "
    "and `granularity` (hour ≤ 31 days, day, month, total; UTC buckets). Each row's period_start/period_end are "
    "its bucket clipped to the range: a bucket the range covers only in part is labelled with the part summed. "
    "Same filters as /v1/costs. JSON answers are capped at 100000 rows (400 beyond: narrow the range or use "
    "format=csv, which streams without a cap, with the same columns)."))
def summary(query_data: dict):
    return summarize(PRINCIPAL_VIEW, query_data, "summary.csv")
