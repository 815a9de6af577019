"""/v1/costs over HTTP on waitress: the seed's examples verbatim, pagination, CSV, filters and every 400."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import psycopg
import pytest
import requests

from billing_portal_tests.factories import LiveServer, module_database, sidecar_app, write_days

FIRST = dt.date(2024, 1, 10)
RANGE = "from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-31T23:59:59Z"


@pytest.fixture(scope="module")
def server(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    database_url = next(gen)
    days = write_days(database_url, FIRST, 3)
    with LiveServer(sidecar_app(database_url)) as srv:
        srv.days = days
        srv.database_url = database_url
        yield srv
    gen.close()


def get(srv, path, **kw):
    return requests.get(srv.url + path, timeout=30, **kw)


def test_seed_examples_verbatim(server):
    # curl "http://localhost:8000/v1/costs?from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-31T23:59:59Z&limit=10"
    r = get(server, "/v1/costs?from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-31T23:59:59Z&limit=10")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 10 and len(body["data"]) == 10 and body["next"]
    first = body["data"][0]
    assert first["hour"] == "2024-01-10T00:00:00Z" and first["usage_date"] == "2024-01-10"
    assert isinstance(first["amount_usd"], str) and len(first["amount_usd"].split(".")[1]) == 8
    # curl "http://localhost:8000/v1/costs?from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-31T23:59:59Z&org_id=org-prod"
    r = get(server, "/v1/costs?from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-31T23:59:59Z&org_id=org-prod")
    assert r.status_code == 200 and r.json()["count"] == sum(len(d.facts) for d in server.days) and all(
        d["org_id"] == "org-prod" for d in r.json()["data"])
    assert get(server, f"/v1/costs?{RANGE}&org_id=org-other").json()["data"] == []


def test_pages_cover_everything_once_in_order_and_sum_to_the_bill(server):
    billed = sum((d.billed for d in server.days), Decimal(0))
    seen, total, cursor, pages = [], Decimal(0), None, 0
    while True:
        url = f"/v1/costs?{RANGE}&limit=997" + (f"&cursor={cursor}" if cursor else "")
        body = get(server, url).json()
        pages += 1
        for d in body["data"]:
            seen.append((d["usage_date"], d["hour"], d["line_no"], d["principal_id"]))
            total += Decimal(d["amount_usd"])
        cursor = body["next"]
        if not cursor:
            break
    expected_rows = sum(len(d.facts) for d in server.days)
    assert len(seen) == expected_rows == len(set(seen))
    assert pages == -(-expected_rows // 997)
    assert [s[:2] for s in seen] == sorted(s[:2] for s in seen)  # chronological
    assert total == billed


def test_csv_streams_the_same_rows(server):
    r = get(server, f"/v1/costs?{RANGE}&format=csv&team=payments&team=search", stream=True)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    j = get(server, f"/v1/costs?{RANGE}&team=payments&team=search&limit=10000").json()
    assert len(rows) == j["count"] and {r["team"] for r in rows} == {"payments", "search"}
    assert sum(Decimal(r["amount_usd"]) for r in rows) == sum(Decimal(d["amount_usd"]) for d in j["data"])


def test_filters_combine(server):
    body = get(server, f"/v1/costs?{RANGE}&cluster_id=lkc-aaa&principal_id=sa-2&line_type=KAFKA_NUM_CKUS"
                       "&limit=10000").json()
    assert body["count"] == 3 * 24
    assert {(d["cluster_id"], d["principal_id"]) for d in body["data"]} == {("lkc-aaa", "sa-2")}
    for dim in ("env_id", "resource_id", "product", "business_unit", "cost_center", "confidence"):
        assert get(server, f"/v1/costs?{RANGE}&{dim}=x").status_code == 200


@pytest.mark.parametrize("query, parameter", [
    ("from_ts=2024-01-01&to_ts=2024-01-31T23:59:59Z", "from_ts"),                       # not RFC3339
    ("from_ts=2024-01-01T00:00:00&to_ts=2024-01-31T23:59:59Z", "from_ts"),              # no offset
    ("from_ts=2024-02-30T00:00:00Z&to_ts=2024-03-31T23:59:59Z", "from_ts"),             # no such day
    ("from_ts=2024-01-31T00:00:00Z&to_ts=2024-01-01T00:00:00Z", "to_ts"),              # from ≥ to
    ("from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-01T00:00:00Z", "to_ts"),              # empty range
    ("from_ts=2023-01-01T00:00:00Z&to_ts=2024-01-03T00:00:00Z", "to_ts"),              # > 366 days
    ("to_ts=2024-01-31T23:59:59Z", "from_ts"),                                          # missing
    (f"{RANGE}&limit=0", "limit"), (f"{RANGE}&limit=10001", "limit"),
    (f"{RANGE}&limit=99999999999999999999999999999", "limit"), (f"{RANGE}&limit=1e3", "limit"),
    (f"{RANGE}&cursor=bm90LWEtY3Vyc29y", "cursor"), (f"{RANGE}&cursor=%27%3B--", "cursor"),
    (f"{RANGE}&teams=payments", "teams"),                                               # unknown parameter
    (f"{RANGE}&team=%00", "team"), (f"{RANGE}&team=%FF%FE", "team"),                    # NUL, not UTF-8
    (f"{RANGE}&team=" + "x" * 300, "team"),
    ("from_ts=2024-01-01T00:00:00Z%27%20OR%201=1--&to_ts=2024-01-31T23:59:59Z", "from_ts"),
    (f"{RANGE}&format=csv&limit=5", "limit"), (f"{RANGE}&format=xml", "format"),
    ("from_ts=0001-01-01T00:00:00%2B01:00&to_ts=2024-01-31T23:59:59Z", "from_ts"),
])
def test_invalid_parameters_are_400_naming_them(server, query, parameter):
    r = get(server, "/v1/costs?" + query)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["status"] == 400 and err["parameter"] == parameter and err["message"]
    assert err["code"] in ("invalid_parameter", "unknown_parameter", "invalid_cursor")


def test_cursor_is_bound_to_its_query(server):
    nxt = get(server, f"/v1/costs?{RANGE}&limit=5").json()["next"]
    assert get(server, f"/v1/costs?{RANGE}&limit=50&cursor={nxt}").status_code == 200  # page size may change
    r = get(server, f"/v1/costs?{RANGE}&team=search&limit=5&cursor={nxt}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "cursor_mismatch"
    r = get(server, f"/v1/costs?from_ts=2024-01-02T00:00:00Z&to_ts=2024-01-31T23:59:59Z&cursor={nxt}")
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "cursor"


def test_sql_injection_in_a_value_is_just_a_value(server):
    r = get(server, f"/v1/costs?{RANGE}", params={"team": "x' OR '1'='1", "org_id": "'; DROP TABLE "
                                                                                     "hourly_cost_facts; --"})
    assert r.status_code == 200 and r.json()["data"] == []
    with psycopg.connect(server.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM hourly_cost_facts").fetchone()[0] == sum(
            len(d.facts) for d in server.days)


def test_plus_offset_decoded_as_space_is_accepted(server):
    # An unencoded '+01:00' arrives as ' 01:00' after URL decoding.
    r = get(server, "/v1/costs?from_ts=2024-01-10T01:00:00+01:00&to_ts=2024-01-10T02:00:00+01:00&limit=10000")
    assert r.status_code == 200
    assert {d["hour"] for d in r.json()["data"]} == {"2024-01-10T00:00:00Z"}
