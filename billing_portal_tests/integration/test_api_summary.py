"""/v1/costs/summary and /v1/dimensions over HTTP: sums against the factories' figures, buckets, aliases, 400s."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import requests

from billing_portal_tests.factories import LiveServer, module_database, sidecar_app, write_days

FIRST = dt.date(2024, 1, 30)  # spans a month boundary: Jan 30, 31, Feb 1, 2
RANGE = "from_ts=2024-01-01T00:00:00Z&to_ts=2024-03-01T00:00:00Z"


@pytest.fixture(scope="module")
def server(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    days = write_days(url, FIRST, 4)
    with LiveServer(sidecar_app(url)) as srv:
        srv.days = days
        yield srv
    gen.close()


def get(srv, path):
    r = requests.get(srv.url + path, timeout=30)
    return r


def test_total_and_daily_and_monthly(server):
    billed = sum((d.billed for d in server.days), Decimal(0))
    body = get(server, f"/v1/costs/summary?{RANGE}").json()
    assert body["granularity"] == "total" and body["total_usd"] == f"{billed:.8f}"
    assert body["data"] == [{"period_start": "2024-01-01T00:00:00Z", "period_end": "2024-03-01T00:00:00Z",
                             "group": {}, "amount_usd": f"{billed:.8f}"}]
    daily = get(server, f"/v1/costs/summary?{RANGE}&granularity=day").json()["data"]
    assert [(r["period_start"], r["amount_usd"]) for r in daily] == [
        (f"{d.day}T00:00:00Z", f"{d.billed:.8f}") for d in server.days]
    monthly = get(server, f"/v1/costs/summary?{RANGE}&granularity=month").json()["data"]
    assert [r["period_start"] for r in monthly] == ["2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]
    assert monthly[0]["period_end"] == "2024-02-01T00:00:00Z"
    assert Decimal(monthly[0]["amount_usd"]) == server.days[0].billed + server.days[1].billed


def test_group_by_dimensions_repeat_or_comma(server):
    a = get(server, f"/v1/costs/summary?{RANGE}&group_by=team,business_unit").json()
    b = get(server, f"/v1/costs/summary?{RANGE}&group_by=team&group_by=business_unit").json()
    assert a == b and a["group_by"] == ["team", "business_unit"]
    groups = {(r["group"]["team"], r["group"]["business_unit"]): Decimal(r["amount_usd"]) for r in a["data"]}
    assert set(groups) == {("payments", "commerce"), ("search", "platform"), (None, None)}
    assert sum(groups.values()) == sum((d.billed for d in server.days), Decimal(0))


def test_hourly_with_filters_matches_factories(server):
    day = server.days[1]
    body = get(server, f"/v1/costs/summary?from_ts={day.day}T00:00:00Z&to_ts={day.day}T23:59:59Z"
                       "&granularity=hour").json()
    assert [Decimal(r["amount_usd"]) for r in body["data"]] == [day.hourly[h] for h in sorted(day.hourly)]
    one = get(server, f"/v1/costs/summary?{RANGE}&granularity=total&cluster_id=lkc-bbb&group_by=principal_id").json()
    assert {r["group"]["principal_id"] for r in one["data"]} == {"sa-2", "sa-3"}


def test_csv(server):
    r = get(server, f"/v1/costs/summary?{RANGE}&granularity=day&group_by=product&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.headers["Content-Type"].startswith("text/csv")
    assert list(rows[0]) == ["period_start", "period_end", "product", "amount_usd"] and len(rows) == 4 * 3


@pytest.mark.parametrize("query, parameter", [
    (f"{RANGE}&group_by=nope", "group_by"), (f"{RANGE}&group_by=team;DROP TABLE x", "group_by"),
    (f"{RANGE}&granularity=week", "granularity"),
    ("from_ts=2024-01-01T00:00:00Z&to_ts=2024-02-02T00:00:00Z&granularity=hour", "to_ts"),  # hour ≤ 31 days
    ("from_ts=2024-01-01T00:00:00Z&to_ts=2025-01-02T00:00:00Z", "to_ts"),                  # ≤ 366 days
])
def test_summary_400(server, query, parameter):
    r = get(server, "/v1/costs/summary?" + query)
    assert r.status_code == 400 and r.json()["error"]["parameter"] == parameter


def test_dimensions_seed_examples_and_names(server):
    # curl "http://localhost:8000/v1/dimensions?dimension_type=orgs"
    orgs = get(server, "/v1/dimensions?dimension_type=orgs").json()
    assert orgs["data"][0]["value"] == "org-prod" and orgs["data"][0]["name"] == "Production Org"
    # curl "http://localhost:8000/v1/dimensions?dimension_type=clusters"
    clusters = get(server, "/v1/dimensions?dimension_type=clusters").json()
    assert [(c["value"], c["name"]) for c in clusters["data"]] == [("lkc-aaa", "prod-cluster"),
                                                                   ("lkc-bbb", "analytics-cluster")]
    assert clusters["data"][0]["attributes"]["region"] == "us-east-1"
    assert clusters["data"][0]["first_seen"] == "2024-01-30" and clusters["data"][0]["last_seen"] == "2024-02-02"
    for kind, expected in [("teams", {"payments", "search"}), ("business_units", {"commerce", "platform"}),
                           ("cost_centers", {"CC-100", "CC-200"}), ("environments", {"env-1", "env-2"}),
                           ("principals", {"sa-1", "sa-2", "sa-3", "UNALLOCATED"}),
                           ("products", {"KAFKA", "CONNECT", "SUPPORT_CLOUD_BUSINESS"}),
                           ("line_types", {"KAFKA_NUM_CKUS", "KAFKA_NETWORK_READ", "CONNECT_CAPACITY", "SUPPORT",
                                           "PROMO_CREDIT"})]:
        assert {v["value"] for v in get(server, f"/v1/dimensions?dimension_type={kind}").json()["data"]} == expected
    assert get(server, "/v1/dimensions?dimension_type=cluster").json() == clusters          # alias
    assert get(server, "/v1/dimensions?dimension_type=org").json()["dimension_type"] == "orgs"
    ranged = get(server, "/v1/dimensions?dimension_type=teams&from_ts=2024-02-01T00:00:00Z"
                         "&to_ts=2024-02-02T00:00:00Z").json()
    assert {v["last_seen"] for v in ranged["data"]} == {"2024-02-01"}


@pytest.mark.parametrize("query, parameter", [
    ("dimension_type=galaxies", "dimension_type"), ("", "dimension_type"),
    ("dimension_type=orgs&from_ts=2024-01-01T00:00:00Z", "to_ts"), ("dimension_type=orgs&x=1", "x"),
])
def test_dimensions_400(server, query, parameter):
    r = get(server, "/v1/dimensions?" + query)
    assert r.status_code == 400 and r.json()["error"]["parameter"] == parameter
