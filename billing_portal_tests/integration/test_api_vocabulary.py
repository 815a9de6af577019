"""One range vocabulary across the API, helpful unknown-parameter errors, and the API details a newcomer runs into
(issue 16): CSV booleans, the summary CSV's period_end, partial buckets, group_by aliases, filter case, /metrics in a
browser. Over HTTP against the module's seeded live sidecar (3 days from 2024-01-10)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import requests

from billing_portal_tests.factories import API_TOKEN

DAY1, DAY3 = "2024-01-10", "2024-01-12"
RANGE = {"from_ts": "2024-01-10T00:00:00Z", "to_ts": "2024-01-13T00:00:00Z"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PROMETHEUS = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def get(srv, path, params=None, **kw):
    return requests.get(srv.url + path, params=params, timeout=30, **kw)


def error(r) -> dict:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    return r.json()["error"]


def rows_csv(r) -> list[dict]:
    assert r.headers["Content-Type"].startswith("text/csv"), r.headers["Content-Type"]
    return list(csv.DictReader(io.StringIO(r.text)))


# --- one range vocabulary -------------------------------------------------------------------------------------------
def test_daily_endpoints_take_from_ts_to_ts_like_the_others(server):
    for path in ("/v1/confidence", "/v1/reconciliation"):
        by_alias = get(server, path, {"start": DAY1, "end": DAY3}).json()
        assert by_alias["start"] == DAY1 and by_alias["end"] == DAY3
        assert by_alias["from_ts"] == RANGE["from_ts"] and by_alias["to_ts"] == RANGE["to_ts"]
        by_ts = get(server, path, RANGE).json()
        by_days = get(server, path, {"from_ts": DAY1, "to_ts": "2024-01-13"}).json()
        assert by_ts == by_days == by_alias
        # a timestamp inside a day covers that day: the days that intersect [from_ts, to_ts)
        inside = get(server, path, {"from_ts": "2024-01-10T05:00:00Z", "to_ts": "2024-01-12T00:00:01Z"}).json()
        assert (inside["start"], inside["end"]) == (DAY1, DAY3)
        one = get(server, path, {"from_ts": "2024-01-11T00:00:00+01:00", "to_ts": "2024-01-11T12:00:00Z"}).json()
        assert (one["start"], one["end"]) == ("2024-01-10", "2024-01-11")  # +01:00 midnight is 23:00Z the day before

        assert error(get(server, path, {"start": DAY1, "from_ts": DAY1}))["message"] == \
            "give from_ts or its alias start, not both"
        assert error(get(server, path, {"from_ts": DAY3, "to_ts": DAY1}))["parameter"] == "to_ts"
        assert error(get(server, path, {"start": DAY3, "end": DAY1}))["parameter"] == "end"
        assert error(get(server, path, {"from_ts": "2023-01-01", "to_ts": "2024-01-13"}))["parameter"] == "to_ts"
        assert error(get(server, path, {"from_ts": "yesterday"}))["parameter"] == "from_ts"


def test_collect_takes_the_same_range_vocabulary(server):
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    r = requests.post(server.url + "/api/v1/collect/billing", params={"from_ts": "2024-01-02", "to_ts": "2024-01-05"},
                      headers=auth, timeout=30)
    assert r.status_code == 202, r.text
    run = r.json()["runs"][0]
    assert (run["start"], run["end"]) == ("2024-01-02", "2024-01-04")
    alias = requests.post(server.url + "/api/v1/collect/billing", params={"start": "2024-01-02", "end": "2024-01-04"},
                          headers=auth, timeout=30).json()["runs"][0]
    assert (alias["start"], alias["end"]) == ("2024-01-02", "2024-01-04")
    early = requests.post(server.url + "/api/v1/collect/billing", params={"from_ts": "2023-12-30T00:00:00Z"},
                          headers=auth, timeout=30)
    assert error(early)["parameter"] == "from_ts" and "BILLING_START_DATE" in error(early)["message"]


def test_an_unknown_parameter_names_the_one_meant(server):
    e = error(get(server, "/v1/costs", {"start": "2024-01-10T00:00:00Z", "to_ts": RANGE["to_ts"]}))
    assert e["code"] == "unknown_parameter" and e["parameter"] == "start"
    assert e["message"] == "unknown parameter 'start'; did you mean 'from_ts'?"
    e = error(get(server, "/v1/costs/summary", {**RANGE, "end": "x"}))
    assert e["message"] == "unknown parameter 'end'; did you mean 'to_ts'?"
    e = error(get(server, "/v1/costs/summary", {**RANGE, "teams": "payments"}))
    assert e["message"] == "unknown parameter 'teams'; did you mean 'team'?"
    e = error(get(server, "/v1/costs", {**RANGE, "principal": "sa-1"}))
    assert e["message"] == "unknown parameter 'principal'; did you mean 'principal_id'?"
    e = error(get(server, "/v1/confidence", {"since": DAY1}))
    assert e["message"] == "unknown parameter 'since'; did you mean 'from_ts'?"
    e = error(get(server, "/v1/forecast", {"zzz": "1"}))  # nothing close: where to look
    assert e["message"] == "unknown parameter 'zzz' (see /openapi.json for the accepted ones)"


# --- API details ----------------------------------------------------------------------------------------------------
def test_reconciliation_csv_writes_booleans_as_json_does(server):
    body = get(server, "/v1/reconciliation", RANGE).json()
    rows = rows_csv(get(server, "/v1/reconciliation", {**RANGE, "format": "csv"}))
    assert [r["balanced"] for r in rows] == ["true" if d["balanced"] else "false" for d in body["data"]] == \
        ["true"] * 3


def test_summary_csv_has_the_json_columns(server):
    for granularity in ("hour", "day", "month", "total"):
        params = {**RANGE, "group_by": "team", "granularity": granularity}
        body = get(server, "/v1/costs/summary", params).json()
        rows = rows_csv(get(server, "/v1/costs/summary", {**params, "format": "csv"}))
        assert list(rows[0]) == ["period_start", "period_end", "team", "amount_usd"]
        assert [(r["period_start"], r["period_end"], r["team"] or None, r["amount_usd"]) for r in rows] == [
            (d["period_start"], d["period_end"], d["group"]["team"], d["amount_usd"]) for d in body["data"]]


def test_a_bucket_partly_in_the_range_is_labelled_with_its_part(server):
    params = {"from_ts": "2024-01-10T10:00:00Z", "to_ts": "2024-01-12T06:00:00Z", "granularity": "day"}
    data = get(server, "/v1/costs/summary", params).json()["data"]
    assert [(d["period_start"], d["period_end"]) for d in data] == [
        ("2024-01-10T10:00:00Z", "2024-01-11T00:00:00Z"), ("2024-01-11T00:00:00Z", "2024-01-12T00:00:00Z"),
        ("2024-01-12T00:00:00Z", "2024-01-12T06:00:00Z")]
    hours = get(server, "/v1/costs/summary", {**params, "granularity": "hour"}).json()["data"]
    first = sum(Decimal(h["amount_usd"]) for h in hours if h["period_start"] < "2024-01-11")
    assert Decimal(data[0]["amount_usd"]) == first  # the label says what was summed: 10:00 to midnight
    month = get(server, "/v1/costs/summary", {**params, "granularity": "month"}).json()["data"]
    assert [(m["period_start"], m["period_end"]) for m in month] == [(params["from_ts"], params["to_ts"])]


def test_group_by_takes_the_aliases_of_dimensions(server):
    canonical = get(server, "/v1/costs/summary", {**RANGE, "group_by": "principal_id,business_unit"}).json()
    for alias in ("principal,bu", "principals,business_units"):
        body = get(server, "/v1/costs/summary", {**RANGE, "group_by": alias}).json()
        assert body["group_by"] == ["principal_id", "business_unit"] and body["data"] == canonical["data"]
    forecast = get(server, "/v1/forecast", {"month": "2024-01", "group_by": "teams"}).json()
    assert forecast["group_by"] == ["team"]
    assert error(get(server, "/v1/costs/summary", {**RANGE, "group_by": "principle"}))["parameter"] == "group_by"


def test_filters_on_fixed_vocabularies_ignore_case_and_names_do_not(server):
    def total(**filters) -> Decimal:
        return Decimal(get(server, "/v1/costs/summary", {**RANGE, **filters}).json()["total_usd"])

    kafka = total(product="KAFKA")
    assert kafka > 0 and total(product="kafka") == total(product="Kafka") == kafka
    assert total(line_type="kafka_num_ckus") == total(line_type="KAFKA_NUM_CKUS") > 0
    assert total(confidence="HIGH") == total(confidence="high") > 0
    assert total(principal_type="Service_Account") == total(principal_type="service_account") > 0
    # ids and names match exactly (documented): another case is another value
    assert total(team="payments") > 0 and total(team="Payments") == 0
    assert total(principal_id="SA-1") == 0
    page = get(server, "/v1/costs", {**RANGE, "product": "kafka", "limit": 5}).json()
    assert page["count"] == 5 and {r["product"] for r in page["data"]} == {"KAFKA"}


# --- /metrics -------------------------------------------------------------------------------------------------------
def test_metrics_show_in_a_browser_and_stay_openmetrics_for_prometheus(server):
    browser = get(server, "/metrics", headers={"Accept": BROWSER})
    assert browser.status_code == 200
    assert browser.headers["Content-Type"].startswith("text/plain")
    assert "attachment" not in browser.headers.get("Content-Disposition", "")
    assert browser.headers["X-Content-Type-Options"] == "nosniff"
    assert "# TYPE ccloud_cost_usd_hourly gauge" in browser.text and "# EOF" not in browser.text
    for accept in (PROMETHEUS, None, "*/*"):
        r = get(server, "/metrics", headers={"Accept": accept} if accept else {})
        assert r.headers["Content-Type"].startswith("application/openmetrics-text"), accept
        assert r.text.rstrip().endswith("# EOF")
    plain = get(server, "/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
