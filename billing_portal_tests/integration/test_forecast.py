"""One forecast definition (migration 0005), read by GET /v1/forecast and by the Grafana forecast panels: the same
figures at the start, in the middle and at the end of a month, and a month with days never loaded says so."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from billing_portal_tests.factories import sidecar_app, write_day
from billing_portal_tests.integration.test_grafana_dashboards import Runner, day_range, load

Q = Decimal("1e-8")


def load_days(url: str, days: list[dt.date]) -> dict[dt.date, Decimal]:
    """Each day billed differently (scale 1 + ordinal % 7 / 10, so run rates are not round numbers)."""
    return {d: write_day(url, d, scale=Decimal(1) + Decimal(d.toordinal() % 7) / 10 + Decimal("0.0333")).billed
            for d in days}


def expected(billed: dict[dt.date, Decimal], month_first: dt.date, month_last: dt.date) -> dict:
    """The forecast computed by hand from the definition in docs/API.md."""
    as_of = max(d for d in billed if d <= month_last)
    window = [d for d in billed if as_of - dt.timedelta(days=6) <= d <= as_of]
    actual = sum((a for d, a in billed.items() if month_first <= d <= as_of), Decimal(0))
    rate = (sum((billed[d] for d in window), Decimal(0)) / len(window)).quantize(Q, rounding=ROUND_HALF_UP)
    loaded = sum(1 for d in billed if month_first <= d <= as_of)
    missing = (as_of - month_first).days + 1 - loaded
    remaining = (month_last - as_of).days
    return {"as_of": as_of, "actual": actual, "rate": rate, "missing": missing, "remaining": remaining,
            "forecast": actual + rate * (remaining + missing),
            "complete": loaded == (month_last - month_first).days + 1 and remaining == 0}


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


CASES = {
    # as_of on the month's first day: the window reaches into the previous month
    "start of month": (days(dt.date(2024, 2, 24), dt.date(2024, 3, 1)), "2024-03"),
    # the middle, the first nine days never loaded
    "middle, first days missing": (days(dt.date(2024, 3, 10), dt.date(2024, 3, 16)), "2024-03"),
    # the whole month loaded: forecast = actual
    "end of month, complete": (days(dt.date(2024, 2, 1), dt.date(2024, 2, 29)), "2024-02"),
    # the month is over but its first day was never loaded: not complete, the day is estimated
    "end of month, first day missing": (days(dt.date(2024, 4, 2), dt.date(2024, 4, 30)), "2024-04"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_api_and_grafana_give_the_same_forecast(case, database_url):
    loaded, month = CASES[case]
    billed = load_days(database_url, loaded)
    year, mon = (int(x) for x in month.split("-"))
    first = dt.date(year, mon, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    want = expected(billed, first, last)

    app = sidecar_app(database_url)
    try:
        client = app.test_client()
        body = client.get(f"/v1/forecast?month={month}").get_json()
        by_bu = client.get(f"/v1/forecast?month={month}&group_by=business_unit").get_json()
    finally:
        app.extensions["warehouse_pool"].close()
    method = body["method"]
    assert body["as_of"] == want["as_of"].isoformat()
    assert body["total"]["actual_usd"] == f"{want['actual']:.8f}"
    assert body["total"]["run_rate_usd_per_day"] == f"{want['rate']:.8f}"
    assert body["total"]["forecast_usd"] == f"{want['forecast']:.8f}"
    assert method["days_missing"] == want["missing"] and method["remaining_days"] == want["remaining"]
    assert method["estimated_days"] == want["missing"] + want["remaining"]
    assert method["complete"] is want["complete"]
    if want["missing"]:
        assert f"{want['missing']} day(s) of the month up to as_of have no data" in method["description"]
    if want["complete"]:
        assert body["total"]["forecast_usd"] == body["total"]["actual_usd"]
    else:
        assert "forecast = actual" not in method["description"]

    # Grafana: the executive dashboard's stat panels and its per-business-unit table, over the month.
    with psycopg.connect(database_url, row_factory=dict_row, autocommit=True) as conn:
        runner = Runner(conn, load("clevel-cost-overview.json"))
        tr = day_range(first, last)
        runner.load_variables(tr)
        res = runner.run_panels(tr, {})
    assert res["Month to date"][0]["month to date"] == Decimal(body["total"]["actual_usd"])
    assert res["Forecast (month)"][0]["forecast (month)"] == Decimal(body["total"]["forecast_usd"])
    table = {r["business unit"]: r for r in res["Month to date vs forecast by business unit"]}
    api = {r["group"]["business_unit"] or "unknown": r for r in by_bu["data"]}
    assert set(table) == set(api)
    for bu, r in table.items():
        assert r["forecast (month)"] == Decimal(api[bu]["forecast_usd"]), bu
        assert r["run rate / day"] == Decimal(api[bu]["run_rate_usd_per_day"]), bu
        assert r["days without data"] == want["missing"]
