"""GET /v1/ownership/worklist: where attribution is missing, biggest first — the principals and resources carrying
the most charges without a team, each with the mapping-file line that would give it one.

Defined once in SQL (migration 0014, `ownership_worklist(first_day, last_day, max_rows)`), which the Confidence
dashboard's worklist table also calls. Whose mapping entry decides a fact's team follows from its allocation method:
resource_owner and object_owner rows carry the resource's attributes, env_owner rows the environment's, every other
row its principal's. UNALLOCATED (no owner to find: see the unallocated share) and synthetic team principals are left
out. The range totals come from view cost_figures: all charges, those without a known team, and team completeness.
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.days import daily_endpoint, days_answer
from billing_portal.sidecar.responses import OwnershipWorklist
from billing_portal.sidecar.schemas import WorklistQuery

bp = APIBlueprint("ownership", __name__, tag="quality")

# The items as `responses.WorklistItem` names them (section/entry of the SQL function are the mapping_* fields).
ITEMS = ("SELECT *, section AS mapping_section, entry AS mapping_line, section || E':\\n  ' || entry || E'\\n'"
         " AS mapping_yaml FROM ownership_worklist(%(start)s, %(end)s, %(limit)s)")
TOTALS = ("SELECT coalesce(sum(charges_usd), 0) AS charges_usd, coalesce(sum(charges_usd - team_known_usd), 0)"
          " AS unattributed_usd, attribution_completeness(sum(team_known_usd), sum(charges_usd)) AS team_completeness"
          " FROM cost_figures_daily WHERE scope_type = 'total' AND usage_date BETWEEN %(start)s AND %(end)s")


@daily_endpoint(bp, "/v1/ownership/worklist", WorklistQuery, OwnershipWorklist, newest_in="cost_figures_daily",
                summary="Ownership worklist: most cost without a team", description=(
    "The principals and resources with the most charges (positive amounts) and no known team over the range, "
    "biggest first, each with the line to add under its section (principals: or resources:) of the mapping file "
    "to give it a team (placeholders in <>; business_unit and cost_center too when those are unknown). Whose "
    "entry decides a row's team follows from its allocation method: resource_owner / object_owner rows carry the "
    "resource's attributes, env_owner rows the environment's, the others the principal's. UNALLOCATED and "
    "synthetic team principals are left out. The same list as the Confidence dashboard's worklist table."))
def worklist(query_data: dict, days: tuple[dt.date, dt.date]):
    start, end = days
    params = {"start": start, "end": end, "limit": query_data["limit"]}
    return days_answer(query_data, OwnershipWorklist, days, db.fetch_all(ITEMS, params), "ownership_worklist.csv",
                       more=lambda: db.fetch_one(TOTALS, params), csv_leaves_out=("mapping_yaml",))
