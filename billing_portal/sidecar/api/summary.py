"""GET /v1/costs/summary: amounts grouped by any dimensions and UTC time buckets (hour, day, month, total).

The SQL comes from `query.aggregate_statement` over the relation `query.pick_source` chooses, so a rollup table
answers instead of the facts as soon as one is registered for the requested dimensions and grain.
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar.api.common import filters_from, read_endpoint, split_group_by
from billing_portal.sidecar.api.views import summary_answer
from billing_portal.sidecar.query import aggregate_statement, pick_source_for_range, range_and_filters
from billing_portal.sidecar.responses import Summary
from billing_portal.sidecar.schemas import SummaryQuery

bp = APIBlueprint("summary", __name__, tag="costs")


def bucket(start: dt.datetime | None, granularity: str, from_ts: dt.datetime,
           to_ts: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The bounds a row covers: its UTC bucket clipped to [from_ts, to_ts) (a day bucket only partly inside the
    range is labelled with the part it sums, e.g. 10:00 to 24:00); the range itself for granularity=total."""
    if start is None:
        return from_ts, to_ts
    return max(start, from_ts), min(period_end(start, granularity), to_ts)


def period_end(start: dt.datetime, granularity: str) -> dt.datetime:
    if granularity == "hour":
        return start + dt.timedelta(hours=1)
    if granularity == "day":
        return start + dt.timedelta(days=1)
    month = start.year * 12 + start.month  # next month's index (0-based months + 1)
    return start.replace(year=month // 12, month=month % 12 + 1)


@read_endpoint(bp, "/v1/costs/summary", SummaryQuery, Summary, csv=True,
               summary="Cost summary by dimensions and time buckets", description=(
    "Sums of amount_usd in [from_ts, to_ts) grouped by `group_by` (any fact dimensions, repeat or comma-separate) "
    "and `granularity` (hour ≤ 31 days, day, month, total; UTC buckets). Each row's period_start/period_end are "
    "its bucket clipped to the range: a bucket the range covers only in part is labelled with the part summed. "
    "Same filters as /v1/costs. JSON answers are capped at 100000 rows (400 beyond: narrow the range or use "
    "format=csv, which streams without a cap, with the same columns)."))
def summary(query_data: dict):
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    group_by = split_group_by(query_data["group_by"])
    granularity = query_data["granularity"]
    filters = filters_from(query_data)
    source = pick_source_for_range(set(group_by), granularity, set(filters), from_ts, to_ts)
    where = range_and_filters(source, from_ts, to_ts, filters)
    return summary_answer(lambda limit: aggregate_statement(source, group_by, granularity, where, limit=limit),
                          where, group_by, granularity, from_ts, to_ts, query_data, "summary.csv", bucket)
