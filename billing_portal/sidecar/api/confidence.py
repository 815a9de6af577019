"""GET /v1/confidence: allocation confidence and coverage KPIs per day, for the whole org and per team and business
unit (table cost_confidence_daily, written by the cost_confidence asset), beside the figures of the same day and
scope defined once in SQL (migration 0014, view cost_figures): charges and credits apart, the unallocated share
(credits never net it away) and attribution completeness (share of charges with a known team / business unit / cost
center). The row's fields are those of `responses.ConfidenceRow`: read as they are, but the shares of the total
computed here (`SHARES_OF_TOTAL`)."""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.days import daily_endpoint, days_answer
from billing_portal.sidecar.responses import ConfidenceReport, ConfidenceRow, field_names
from billing_portal.sidecar.schemas import ConfidenceQuery

bp = APIBlueprint("confidence", __name__, tag="quality")

# share → the amounts whose sum it divides by total_usd
SHARES_OF_TOTAL = {"high_share": ("high_usd",), "coverage_ratio": ("by_usage_usd", "by_ownership_usd"),
                   "usage_expired_share": ("usage_expired_usd",)}
# the other fields, from cost_confidence_daily and the view cost_figures (no column name in common but the keys)
STATEMENT = ("SELECT " + ", ".join(field_names(ConfidenceRow, *SHARES_OF_TOTAL)) +
             " FROM cost_confidence_daily c LEFT JOIN cost_figures f USING (usage_date, scope_type, scope_value)"
             " WHERE c.usage_date BETWEEN %(start)s AND %(end)s AND c.scope_type = ANY(%(scopes)s)"
             " ORDER BY c.usage_date, CASE c.scope_type WHEN 'total' THEN 0 WHEN 'business_unit' THEN 1 ELSE 2 END,"
             " c.scope_value")
SCOPES = ["total", "team", "business_unit"]


def _with_shares(row: dict) -> dict:
    total = row["total_usd"]
    for name, parts in SHARES_OF_TOTAL.items():
        row[name] = sum(row[p] for p in parts) / total if total else None
    return row


@daily_endpoint(bp, "/v1/confidence", ConfidenceQuery, ConfidenceReport, newest_in="cost_confidence_daily",
                summary="Confidence and coverage KPIs per day", description=(
    "Per day and scope (total / team / business_unit): the cost at each confidence level (high, medium, low) and "
    "by coverage bucket (by_usage, by_ownership, by_fallback, unallocated), with shares; usage_expired_usd is the "
    "cost whose usage expired from the Metrics API before it was captured (allocated by the fallback ladder, reason "
    "usage_expired_before_capture). Beside them, the figures defined once in the warehouse (the same numbers as "
    "/metrics, the dashboards and the asset checks): charges (positive amounts) and credits apart, "
    "unallocated_share = unallocated charges / charges (a credit never nets it away), and attribution "
    "completeness = the share of charges with a known team, business unit, cost center."))
def confidence(query_data: dict, days: tuple[dt.date, dt.date]):
    start, end = days
    rows = db.fetch_all(STATEMENT, {"start": start, "end": end, "scopes": query_data.get("scope_type") or SCOPES})
    return days_answer(query_data, ConfidenceReport, days, [_with_shares(r) for r in rows], "confidence.csv")
