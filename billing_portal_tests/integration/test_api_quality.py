"""/v1/confidence, /v1/reconciliation, /v1/forecast and /v1/export/focus over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import requests

from billing_portal_tests.factories import LiveServer, module_database, sidecar_app, write_day, write_days

FIRST = dt.date(2024, 3, 1)


@pytest.fixture(scope="module")
def server(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    days = write_days(url, FIRST, 10)
    # Day 11 had two unusable bill rows kept aside (one with an amount, one without).
    days.append(write_day(url, FIRST + dt.timedelta(days=10), scale=2,
                          quarantine=[("unparseable amount", None), ("unknown resource", Decimal("3.21000000"))]))
    with LiveServer(sidecar_app(url)) as srv:
        srv.days = days
        yield srv
    gen.close()


def get(srv, path):
    return requests.get(srv.url + path, timeout=30)


def test_confidence_per_day_and_scope(server):
    body = get(server, "/v1/confidence?start=2024-03-01&end=2024-03-02").json()
    assert body["start"] == "2024-03-01" and body["end"] == "2024-03-02"
    total = [r for r in body["data"] if r["scope_type"] == "total"]
    assert [r["usage_date"] for r in total] == ["2024-03-01", "2024-03-02"]
    t = total[0]
    assert t["total_usd"] == f"{server.days[0].billed:.8f}"
    parts = sum(Decimal(t[k]) for k in ("by_usage_usd", "by_ownership_usd", "by_fallback_usd", "unallocated_usd"))
    assert parts == Decimal(t["total_usd"]) == sum(Decimal(t[k]) for k in ("high_usd", "medium_usd", "low_usd"))
    assert t["usage_expired_usd"] == "0.00000000" and t["usage_expired_share"] == 0
    # support 1.20 on UNALLOCATED over the charges 58.80; the -0.96 promotional credit is apart, never netted
    assert 0 < t["coverage_ratio"] <= 1 and t["unallocated_share"] == pytest.approx(1.20 / 58.80, abs=1e-6)
    assert (t["charges_usd"], t["credits_usd"]) == ("58.80000000", "-0.96000000")
    teams = get(server, "/v1/confidence?start=2024-03-01&end=2024-03-01&scope_type=team").json()["data"]
    assert {r["scope_value"] for r in teams} == {"payments", "search", "unknown"}
    default = get(server, "/v1/confidence").json()
    assert default["end"] == "2024-03-11" and default["start"] == "2024-02-11"
    csv_rows = list(csv.DictReader(io.StringIO(get(server, "/v1/confidence?format=csv&scope_type=total").text)))
    assert len(csv_rows) == 11 and "coverage_ratio" in csv_rows[0]


def test_reconciliation_billed_equals_allocated_plus_quarantined(server):
    body = get(server, "/v1/reconciliation?start=2024-03-01&end=2024-03-31").json()
    assert len(body["data"]) == 11 and all(r["balanced"] for r in body["data"])
    last = body["data"][-1]
    assert last["quarantined_rows"] == 2 and last["quarantined_usd"] == "3.21000000"
    assert Decimal(last["billed_usd"]) == Decimal(last["allocated_usd"]) + Decimal(last["quarantined_usd"])
    assert last["difference_usd"] == "0.00000000"
    assert Decimal(body["totals"]["allocated_usd"]) == sum((d.billed for d in server.days), Decimal(0))
    assert get(server, "/v1/reconciliation?start=2024-03-05&end=2024-03-01").json()["error"]["parameter"] == "end"
    assert get(server, "/v1/reconciliation?start=2023-01-01&end=2024-03-01").status_code == 400  # > 366 days


def test_forecast_states_its_method_and_computes_it(server):
    body = get(server, "/v1/forecast?month=2024-03").json()
    assert body["as_of"] == "2024-03-11" and body["method"]["name"] == "trailing_mean_daily_run_rate"
    assert body["method"]["window_days"] == 7 and body["method"]["remaining_days"] == 20
    billed = [d.billed for d in server.days]
    actual = sum(billed, Decimal(0))
    rate = (sum(billed[-7:], Decimal(0)) / 7).quantize(Decimal("1e-8"))
    assert body["total"]["actual_usd"] == f"{actual:.8f}"
    assert body["total"]["run_rate_usd_per_day"] == f"{rate:.8f}"
    assert body["total"]["forecast_usd"] == f"{actual + rate * 20:.8f}"
    by_team = get(server, "/v1/forecast?month=2024-03&group_by=team").json()
    assert {tuple(r["group"].items()) for r in by_team["data"]} == {
        (("team", None),), (("team", "payments"),), (("team", "search"),)}
    assert sum(Decimal(r["forecast_usd"]) for r in by_team["data"]) == pytest.approx(
        Decimal(body["total"]["forecast_usd"]), abs=Decimal("1e-6"))
    past = get(server, "/v1/forecast?month=2024-02").json()
    assert past["total"]["forecast_usd"] == "0.00000000"
    assert get(server, "/v1/forecast?month=2024-13").json()["error"]["parameter"] == "month"


def test_focus_export_sums_to_the_bill(server):
    r = get(server, "/v1/export/focus?from_ts=2024-03-01T00:00:00Z&to_ts=2024-03-12T00:00:00Z")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
                   "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "ChargeCategory",
                   "ServiceName", "ServiceCategory", "ResourceId", "ResourceName", "ResourceType", "RegionId",
                   "ProviderName", "PublisherName", "InvoiceIssuerName", "SubAccountId", "Tags",
                   "AllocatedMethodId", "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedTags",
                   "x_PrincipalId", "x_AllocationMethod", "x_Confidence"):
        assert column in rows[0], column
    assert sum(Decimal(r["BilledCost"]) for r in rows) == sum((d.billed for d in server.days), Decimal(0))
    assert {r["BillingCurrency"] for r in rows} == {"USD"}
    assert {r["ChargeCategory"] for r in rows} == {"Usage", "Credit"}  # support is Usage (docs/API.md)
    ckus = [r for r in rows if r["x_LineType"] == "KAFKA_NUM_CKUS" and r["x_UsageDate"] == "2024-03-01"]
    assert sum(Decimal(r["ListCost"]) for r in ckus) == Decimal("60")  # list 60 vs billed 48
    one = ckus[0]
    assert one["ChargePeriodStart"] == "2024-03-01T00:00:00Z" and one["ChargePeriodEnd"] == "2024-03-01T01:00:00Z"
    assert one["BillingPeriodStart"] == "2024-03-01T00:00:00Z" and one["BillingPeriodEnd"] == "2024-04-01T00:00:00Z"
    assert json.loads(one["Tags"])["team"] in ("payments", "search") and one["SubAccountName"] == "prod"
    assert one["RegionId"] == "us-east-1" and one["ServiceName"] == "Kafka"
    ratios = [json.loads(r["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"] for r in ckus]
    assert sum(ratios) == pytest.approx(1.0)
    bad = get(server, "/v1/export/focus?from_ts=2024-03-01T00:00:00Z")
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "to_ts"
