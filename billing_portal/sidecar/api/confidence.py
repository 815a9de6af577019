"""GET /v1/confidence: allocation confidence and coverage KPIs per day, for the whole org and per team and business
unit (table cost_confidence_daily, written by the cost_confidence asset), beside the figures of the same day and
scope defined once in SQL (migration 0014, view cost_figures): charges and credits apart, the unallocated share
(credits never net it away) and attribution completeness (share of charges with a known team / business unit / cost
center)."""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import QUERY, responses
from billing_portal.sidecar.api.days import range_fields, resolve_days
from billing_portal.sidecar.encode import csv_lines, csv_response, day, json_response, money, ratio, share
from billing_portal.sidecar.schemas import ConfidenceQuery, ConfidenceReport

bp = APIBlueprint("confidence", __name__, tag="quality")

AMOUNTS = ("total_usd", "high_usd", "medium_usd", "low_usd", "by_usage_usd", "by_ownership_usd", "by_fallback_usd",
           "unallocated_usd", "usage_expired_usd")
FIGURE_AMOUNTS = ("charges_usd", "credits_usd", "unallocated_charges_usd", "unallocated_credits_usd")
FIGURES = ("unallocated_share", "team_completeness", "business_unit_completeness", "cost_center_completeness")
COLUMNS = ("usage_date", "scope_type", "scope_value") + AMOUNTS + FIGURE_AMOUNTS + (
    "high_share", "coverage_ratio", "usage_expired_share") + FIGURES


def _row(r: dict) -> dict:
    item = {"usage_date": day(r["usage_date"]), "scope_type": r["scope_type"], "scope_value": r["scope_value"]}
    item.update({k: money(r[k]) for k in AMOUNTS})
    item.update({k: money(r[k]) if r[k] is not None else None for k in FIGURE_AMOUNTS})
    total = r["total_usd"]
    item["high_share"] = ratio(r["high_usd"], total)
    item["coverage_ratio"] = ratio(r["by_usage_usd"] + r["by_ownership_usd"], total)
    item["usage_expired_share"] = ratio(r["usage_expired_usd"], total)
    item.update({k: share(r[k]) for k in FIGURES})
    return item


@bp.get("/v1/confidence")
@bp.input(ConfidenceQuery, **QUERY)
@bp.output(ConfidenceReport)
@bp.doc(tags=["quality"], summary="Confidence and coverage KPIs per day", description=(
    "Per day and scope (total / team / business_unit): the cost at each confidence level (high, medium, low) and "
    "by coverage bucket (by_usage, by_ownership, by_fallback, unallocated), with shares; usage_expired_usd is the "
    "cost whose usage expired from the Metrics API before it was captured (allocated by the fallback ladder, reason "
    "usage_expired_before_capture). Beside them, the figures defined once in the warehouse (the same numbers as "
    "/metrics, the dashboards and the asset checks): charges (positive amounts) and credits apart, "
    "unallocated_share = unallocated charges / charges (a credit never nets it away), and attribution "
    "completeness = the share of charges with a known team, business unit, cost center. The UTC days of "
    "[from_ts, to_ts) (timestamps or days; aliases start..end, inclusive; default: the 30 days ending at the "
    "newest day with data; at most 366)."),
    responses=responses(400, 503, csv=True))
def confidence(query_data: dict):
    newest = db.fetch_one("SELECT max(usage_date) AS d FROM cost_confidence_daily")["d"]
    start, end = resolve_days(query_data.get("start"), query_data.get("end"), newest)
    params = {"start": start, "end": end, "scopes": query_data.get("scope_type") or ["total", "team",
                                                                                       "business_unit"]}
    rows = db.fetch_all(
        "SELECT c.usage_date, c.scope_type, c.scope_value, " + ", ".join(f"c.{a}" for a in AMOUNTS) + ", "
        + ", ".join(f"f.{a}" for a in FIGURE_AMOUNTS + FIGURES) + " FROM cost_confidence_daily c"
        " LEFT JOIN cost_figures f USING (usage_date, scope_type, scope_value)"
        " WHERE c.usage_date BETWEEN %(start)s AND %(end)s AND c.scope_type = ANY(%(scopes)s)"
        " ORDER BY c.usage_date, CASE c.scope_type WHEN 'total' THEN 0 WHEN 'business_unit' THEN 1 ELSE 2 END,"
        " c.scope_value", params)
    data = [_row(r) for r in rows]
    if query_data["format"] == "csv":
        return csv_response(csv_lines(COLUMNS, ([d[c] for c in COLUMNS] for d in data)), "confidence.csv")
    return json_response({**range_fields(start, end), "data": data})
