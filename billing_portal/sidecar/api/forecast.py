"""GET /v1/forecast: month-to-date actual and a month-end forecast, in total or per chosen dimensions.

Method `trailing_mean_daily_run_rate` (stated in every answer):
- `as_of` is the newest complete day of facts (partition_status), capped to the month's last day.
- run rate = the mean daily cost of the last 7 complete days ending at `as_of` (they may reach into the previous
  month). With fewer than 7 days of data, the days that exist are used (`window_days` says how many); with none,
  the run rate is 0 and the forecast is the actual.
- forecast = month-to-date actual (month start … as_of) + run rate × the days left after as_of in the month.
- A month that is over (as_of ≥ its last day) has forecast = actual; a month that has not started yet is forecast
  as run rate × its days. Per group, a group without cost in the window has run rate 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from apiflask import APIBlueprint

from billing_portal.money import UNIT
from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import QUERY, responses, split_group_by
from billing_portal.sidecar.encode import day, json_response, money
from billing_portal.sidecar.query import (
    aggregate_statement,
    day_start,
    newest_complete_day,
    pick_source,
    range_and_filters,
)
from billing_portal.sidecar.schemas import Forecast, ForecastQuery

bp = APIBlueprint("forecast", __name__, tag="costs")

WINDOW_DAYS = 7
METHOD = "trailing_mean_daily_run_rate"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = (int(x) for x in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def _daily(group_by: list[str], first: dt.date, last: dt.date) -> list[dict]:
    if last < first:
        return []
    source = pick_source(set(group_by), "day")
    where = range_and_filters(source, day_start(first), day_start(last + dt.timedelta(days=1)), {})
    return db.fetch_all(aggregate_statement(source, group_by, "day", where), where.params)


@bp.get("/v1/forecast")
@bp.input(ForecastQuery, **QUERY)
@bp.output(Forecast)
@bp.doc(tags=["costs"], summary="Month-to-date actual and month-end forecast", description=(
    "Month-to-date actual and a month-end forecast (default: the current UTC month), in total or per `group_by` "
    "dimensions. Method: mean daily cost of the last 7 complete days × the days left + the actual; the answer "
    "states the method, its window and how many days it used."), responses=responses(400, 503))
def forecast(query_data: dict):
    month = query_data.get("month") or dt.datetime.now(dt.UTC).strftime("%Y-%m")
    group_by = split_group_by(query_data["group_by"])
    first, last = month_bounds(month)
    with db.pool().connection() as conn:
        newest, _ = newest_complete_day(conn)
    as_of = min(newest, last) if newest else None

    actual: dict[tuple, Decimal] = defaultdict(Decimal)
    window_sum: dict[tuple, Decimal] = defaultdict(Decimal)
    window_days: set[dt.date] = set()
    w_start = w_end = None
    if as_of is not None:
        w_end = as_of
        w_start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
        for r in _daily(group_by, min(first, w_start), as_of):
            key = tuple(r[g] for g in group_by)
            d = r["period_start"].date()
            if first <= d <= as_of:
                actual[key] += r["amount_usd"]
            if w_start <= d <= w_end:
                window_sum[key] += r["amount_usd"]
                window_days.add(d)
    n = len(window_days)
    if as_of is None or as_of < first:
        remaining = (last - first).days + 1
    else:
        remaining = (last - as_of).days
    keys = sorted(set(actual) | set(window_sum), key=lambda k: tuple("" if v is None else str(v) for v in k))

    def row(key: tuple | None, act: Decimal, win: Decimal) -> dict:
        rate = (win / n).quantize(UNIT) if n else Decimal(0)
        return {"group": dict(zip(group_by, key, strict=False)) if key is not None else {}, "actual_usd": money(act),
                "run_rate_usd_per_day": money(rate), "forecast_usd": money(act + rate * remaining)}

    data = [row(k, actual[k], window_sum[k]) for k in keys]
    total = row(None, sum(actual.values(), Decimal(0)), sum(window_sum.values(), Decimal(0)))
    description = (f"forecast = month-to-date actual + mean daily cost of the last {WINDOW_DAYS} complete days "
                   f"× remaining days; used {n} day(s) of data")
    if n < WINDOW_DAYS:
        description += f" (fewer than {WINDOW_DAYS} available: the mean is over the days that exist" + (
            "; none, so the run rate is 0)" if n == 0 else ")")
    if remaining == 0:
        description += "; the month is complete, so forecast = actual"
    method = {"name": METHOD, "description": description, "window_start": day(w_start), "window_end": day(w_end),
              "window_days": n, "remaining_days": remaining}
    return json_response({"month": month, "as_of": day(as_of), "group_by": group_by, "method": method,
                          "data": data, "total": total})
