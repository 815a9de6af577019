"""The principal view over HTTP (`query.PRINCIPAL_VIEW`, table hourly_cost_facts): `GET /v1/costs`, the hourly cost
facts in [from_ts, to_ts), filtered, keyset-paginated in a stable order or streamed as CSV, and
`GET /v1/costs/summary`, their amounts grouped by any dimensions and UTC time buckets (hour, day, month, total), read
from the cheapest rollup that answers (`api/views.py`).

Page order: `(usage_date, fact_no)`; `fact_no` ascends with the hour inside a day, so pages are chronological and
stable while the data does not change. A page is read day partition by day partition (from the cursor's day), so its
cost does not grow with the length of the range.
"""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar.api.views import declare_view
from billing_portal.sidecar.query import PRINCIPAL_VIEW

bp = APIBlueprint("costs", __name__, tag="costs")
declare_view(bp, PRINCIPAL_VIEW, "/v1/costs", titles=("Hourly cost facts", "Cost summary by dimensions and time buckets"),
             about="Every allocated fact (hour × bill line × principal)", csv_names=("costs.csv", "summary.csv"))
