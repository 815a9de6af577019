"""GET /v1/ownership/worklist: where attribution is missing, biggest first — the principals and resources carrying
the most charges without a team, each with the mapping-file line that would give it one.

Defined once in SQL (migration 0014, `ownership_worklist(first_day, last_day, max_rows)`), which the Confidence
dashboard's worklist table also calls. Whose mapping entry decides a fact's team follows from its allocation method:
resource_owner and object_owner rows carry the resource's attributes, env_owner rows the environment's, every other
row its principal's. UNALLOCATED (no owner to find: see the unallocated share) and synthetic team principals are left
out. The range totals come from view cost_figures: all charges, those without a known team, and team completeness.
"""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import QUERY, responses
from billing_portal.sidecar.api.days import range_fields, resolve_days
from billing_portal.sidecar.encode import csv_lines, csv_response, json_response, money, share
from billing_portal.sidecar.schemas import OwnershipWorklist, WorklistQuery

bp = APIBlueprint("ownership", __name__, tag="quality")

COLUMNS = ("kind", "id", "id_type", "display_name", "owner", "unattributed_usd", "share", "days", "mapping_section",
           "mapping_line")


def _item(r: dict) -> dict:
    return {"kind": r["kind"], "id": r["id"], "id_type": r["id_type"], "display_name": r["display_name"],
            "owner": r["owner"], "unattributed_usd": money(r["unattributed_usd"]), "share": share(r["share"]),
            "days": r["days"], "mapping_section": r["section"], "mapping_line": r["entry"],
            "mapping_yaml": f"{r['section']}:\n  {r['entry']}\n"}


@bp.get("/v1/ownership/worklist")
@bp.input(WorklistQuery, **QUERY)
@bp.output(OwnershipWorklist)
@bp.doc(tags=["quality"], summary="Ownership worklist: most cost without a team", description=(
    "The principals and resources with the most charges (positive amounts) and no known team over the range, "
    "biggest first, each with the line to add under its section (principals: or resources:) of the mapping file "
    "to give it a team (placeholders in <>; business_unit and cost_center too when those are unknown). Whose "
    "entry decides a row's team follows from its allocation method: resource_owner / object_owner rows carry the "
    "resource's attributes, env_owner rows the environment's, the others the principal's. UNALLOCATED and "
    "synthetic team principals are left out. The same list as the Confidence dashboard's worklist table. The UTC "
    "days of [from_ts, to_ts) (timestamps or days; aliases start..end, inclusive; default: the 30 days ending at "
    "the newest day with data; at most 366)."),
    responses=responses(400, 503, csv=True))
def worklist(query_data: dict):
    newest = db.fetch_one("SELECT max(usage_date) AS d FROM cost_figures_daily")["d"]
    start, end = resolve_days(query_data.get("start"), query_data.get("end"), newest)
    params = {"start": start, "end": end, "limit": query_data["limit"]}
    rows = db.fetch_all("SELECT * FROM ownership_worklist(%(start)s, %(end)s, %(limit)s)", params)
    data = [_item(r) for r in rows]
    if query_data["format"] == "csv":
        return csv_response(csv_lines(COLUMNS, ([d[c] for c in COLUMNS] for d in data)), "ownership_worklist.csv")
    totals = db.fetch_one(
        "SELECT coalesce(sum(charges_usd), 0) AS charges, coalesce(sum(charges_usd - team_known_usd), 0) AS gap,"
        " attribution_completeness(sum(team_known_usd), sum(charges_usd)) AS completeness"
        " FROM cost_figures_daily WHERE scope_type = 'total' AND usage_date BETWEEN %(start)s AND %(end)s", params)
    return json_response({**range_fields(start, end), "charges_usd": money(totals["charges"]),
                          "unattributed_usd": money(totals["gap"]), "team_completeness": share(totals["completeness"]),
                          "data": data})
