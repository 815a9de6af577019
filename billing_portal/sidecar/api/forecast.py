"""GET /v1/forecast: month-to-date actual and a month-end forecast, in total or per chosen dimensions.

The forecast is defined once, in SQL (migration 0005: `forecast_window`, `forecast_run_rate`, `forecast_month_end`),
and this endpoint and the Grafana forecast panels both call it. Method `trailing_mean_daily_run_rate`:
- `as_of` is the newest day with facts up to the month's last day.
- run rate = the mean daily cost of the days with facts among the 7 ending at `as_of` (they may reach into the
  previous month), rounded to 8 places; with none, the run rate is 0 and the forecast is the actual.
- forecast = month-to-date actual + run rate × (days left after `as_of` + days of the month up to `as_of` without
  facts). A month with days never loaded says so (`days_missing`, `complete: false`); it is never called complete.
- A month not started yet is forecast as run rate × its days. Per group, a group without cost in the window has
  run rate 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from apiflask import APIBlueprint
from psycopg import sql

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.query import PRINCIPAL_VIEW, day_start, range_and_filters
from billing_portal.sidecar.responses import Forecast, answer
from billing_portal.sidecar.schemas import ForecastQuery

bp = APIBlueprint("forecast", __name__, tag="costs")

WINDOW_DAYS = 7
ZERO = Decimal(0)
METHOD = "trailing_mean_daily_run_rate"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = (int(x) for x in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


WINDOW = "SELECT * FROM forecast_window(%(month_start)s)"


def _grouped(group_by: list[str], w: dict) -> list[dict]:
    """Per group (a `responses.ForecastRow`): month-to-date actual, window sum, and the run rate and forecast
    computed by the SQL definition."""
    first, as_of = w["month_start"], w["as_of"]
    lo = min(first, w["window_start"])
    source = PRINCIPAL_VIEW.pick_source(set(group_by), "day")
    where = range_and_filters(source, day_start(lo), day_start(as_of + dt.timedelta(days=1)), {})
    dims = sql.SQL("").join(sql.SQL("{}, ").format(sql.Identifier(g)) for g in group_by)
    t, a = sql.Identifier(source.time_column), sql.Identifier(source.amount_column)
    inner = sql.SQL(
        "SELECT {dims}coalesce(sum({a}) FILTER (WHERE {t} >= %(m0)s), 0) AS actual_usd,"
        " coalesce(sum({a}) FILTER (WHERE {t} >= %(w0)s), 0) AS win FROM {src} WHERE {where}").format(
        dims=dims, a=a, t=t, src=sql.Identifier(source.relation), where=where.sql())
    if group_by:
        inner = sql.SQL("{} GROUP BY {}").format(inner, sql.SQL(", ").join(sql.Identifier(g) for g in group_by))
    stmt = sql.SQL(
        "SELECT g.*, forecast_run_rate(g.win, %(window_days)s) AS run_rate_usd_per_day,"
        " forecast_month_end(g.actual_usd, forecast_run_rate(g.win, %(window_days)s), %(estimated_days)s)"
        " AS forecast_usd FROM ({}) g").format(inner)
    params = dict(where.params, m0=day_start(first), w0=day_start(w["window_start"]),
                  window_days=w["window_days"], estimated_days=w["estimated_days"])
    return [{**r, "group": {g: r[g] for g in group_by}} for r in db.fetch_all(stmt, params)]


@read_endpoint(bp, "/v1/forecast", ForecastQuery, Forecast, summary="Month-to-date actual and month-end forecast",
               description=(
    "Month-to-date actual and a month-end forecast (default: the current UTC month), in total or per `group_by` "
    "dimensions. Method: mean daily cost of the last 7 complete days × the days left (and the month's days without "
    "data) + the actual; the answer states the method, its window, how many days it used and which days of the "
    "month have no data."))
def forecast(query_data: dict):
    month = query_data.get("month") or dt.datetime.now(dt.UTC).strftime("%Y-%m")
    group_by = PRINCIPAL_VIEW.group_by(query_data["group_by"])
    first, last = month_bounds(month)
    w = db.fetch_one(WINDOW, {"month_start": first})
    as_of, n = w["as_of"], w["window_days"]
    data, totals = [], None
    if as_of is not None:
        if group_by:
            rows = _grouped(group_by, w)
            rows.sort(key=lambda r: tuple("" if r[g] is None else str(r[g]) for g in group_by))
            data = [r for r in rows if r["actual_usd"] or r["win"]]
        totals = _grouped([], w)[0]
    total = totals or {"group": {}, "actual_usd": ZERO, "run_rate_usd_per_day": ZERO, "forecast_usd": ZERO}
    description = (f"forecast = month-to-date actual + mean daily cost of the last {WINDOW_DAYS} complete days "
                   f"× days without data in the month; used {n} day(s) of data")
    if n < WINDOW_DAYS:
        description += f" (fewer than {WINDOW_DAYS} available: the mean is over the days that exist" + (
            "; none, so the run rate is 0)" if n == 0 else ")")
    if w["days_missing"]:
        description += (f"; {w['days_missing']} day(s) of the month up to as_of have no data and are estimated "
                        "at the run rate")
    if w["complete"]:
        description += "; every day of the month has data, so forecast = actual"
    elif w["remaining_days"] == 0:
        description += "; the month is over but not every day has data"
    method = {**w, "name": METHOD, "description": description, "window_start": w["window_start"] if as_of else None,
              "window_end": w["window_end"] if as_of else None}
    return answer(Forecast, {"month": month, "as_of": as_of, "group_by": group_by, "method": method, "data": data,
                             "total": total})
