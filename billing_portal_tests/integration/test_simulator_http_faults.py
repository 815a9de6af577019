"""Every fault mode over real HTTP, switched per test through the handle or the control endpoint."""

import time
from datetime import date

import orjson
import pytest
import requests

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, SR_AUTH, fixed_clock

MODEL = build_model(42, "small")
COSTS = "/billing/v1/costs"
DAY_PARAMS = {"start_date": "2024-06-01", "end_date": "2024-06-02"}


@pytest.fixture(scope="module")
def sim():
    with start_simulator(port=0, clock=fixed_clock(), model=MODEL) as handle:
        yield handle


@pytest.fixture(autouse=True)
def clean(sim):
    sim.faults.clear()
    yield
    sim.faults.clear()


def costs(sim, **params):
    return requests.get(sim.url + COSTS, params={**DAY_PARAMS, **params}, auth=CLOUD_AUTH, timeout=10)


def metrics_body():
    return {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
            "filter": {"field": "resource.kafka.id", "op": "EQ", "value": MODEL.kafka_clusters[1].id},
            "granularity": "PT1H", "intervals": ["2024-06-01T00:00:00Z/P1D"]}


def test_429_storm_on_billing_only(sim):
    sim.faults.add("429:path=/billing,count=3,retry_after=2")
    assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH).status_code == 200
    for _ in range(3):
        r = costs(sim)
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "2"
        assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["X-RateLimit-Reset"] == "2"
        assert r.json()["errors"][0]["status"] == "429"
    assert costs(sim).status_code == 200


def test_429_on_telemetry_uses_its_headers(sim):
    sim.faults.add("429:path=/v2/metrics,retry_after=4")
    r = requests.post(sim.url + "/v2/metrics/cloud/query", json=metrics_body(), auth=CLOUD_AUTH)
    assert r.status_code == 429 and r.headers["Retry-After"] == "4"
    assert r.headers["rateLimit-remaining"] == "0" and r.headers["rateLimit-reset"] == "4"


def test_429_on_catalog_uses_the_catalog_envelope(sim):
    sim.faults.add("429:path=/catalog")
    r = requests.get(sim.url + "/catalog/v1/types/tagdefs", auth=SR_AUTH)
    assert r.status_code == 429 and r.json() == {"error_code": 429, "message": "Too Many Requests"}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_burst(sim, status):
    sim.faults.add(f"5xx:path=/iam,status={status},count=2")
    statuses = [requests.get(sim.url + "/iam/v2/users", auth=CLOUD_AUTH).status_code for _ in range(3)]
    assert statuses == [status, status, 200]


def test_connection_reset(sim):
    sim.faults.add("reset:path=/cmk")
    env = MODEL.environments[0].id
    with pytest.raises(requests.ConnectionError):
        requests.get(sim.url + "/cmk/v2/clusters", params={"environment": env}, auth=CLOUD_AUTH)
    assert requests.get(sim.url + "/cmk/v2/clusters", params={"environment": env}, auth=CLOUD_AUTH).ok
    assert sim.requests[-2][2] == 0  # recorded as dropped


def test_slow_response_times_out_the_client(sim):
    sim.faults.add("slow:path=/org,seconds=1.5")
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH, timeout=0.3)
    assert time.monotonic() - started < 1.4
    assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH, timeout=5).ok


def test_truncated_page_is_invalid_json(sim):
    sim.faults.add("truncate:path=/billing,fraction=0.5")
    full = len(MODEL.bill(date(2024, 6, 1)).rows)
    r = costs(sim)
    assert r.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(r.content)
    assert len(costs(sim).json()["data"]) == full


def test_bad_json_page(sim):
    sim.faults.add("bad-json:path=/srcm")
    r = requests.get(sim.url + "/srcm/v3/clusters", params={"environment": MODEL.environments[0].id},
                     auth=CLOUD_AUTH)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.content.startswith(b"<html>")


def test_skip_targets_a_later_request(sim):
    sim.faults.add("5xx:path=/billing,skip=1")
    first = costs(sim, page_size=10)
    assert first.status_code == 200
    assert requests.get(first.json()["metadata"]["next"], auth=CLOUD_AUTH).status_code == 503
    assert requests.get(first.json()["metadata"]["next"], auth=CLOUD_AUTH).status_code == 200


def test_duplicate_row_across_consecutive_pages(sim):
    sim.faults.add("duplicate-row")
    page1 = costs(sim, page_size=10).json()
    page2 = requests.get(page1["metadata"]["next"], auth=CLOUD_AUTH).json()
    assert page2["data"][0] == page1["data"][-1]
    rows = list(page1["data"]) + list(page2["data"])
    nxt = page2["metadata"].get("next")
    while nxt:
        page = requests.get(nxt, auth=CLOUD_AUTH).json()
        rows += page["data"]
        nxt = page["metadata"].get("next")
    assert len(rows) == len(MODEL.bill(date(2024, 6, 1)).rows) + 1


@pytest.mark.parametrize("status", [400, 410])
def test_page_token_expires(sim, status):
    sim.faults.add(f"token-expiry:after=0.2,status={status}")
    page1 = costs(sim, page_size=10).json()
    assert requests.get(page1["metadata"]["next"], auth=CLOUD_AUTH).status_code == 200  # fresh: fine
    page1 = costs(sim, page_size=10).json()
    time.sleep(0.3)
    r = requests.get(page1["metadata"]["next"], auth=CLOUD_AUTH)
    assert r.status_code == status
    (error,) = r.json()["errors"]
    assert error["status"] == str(status) and error["source"] == {"parameter": "page_token"}


def test_bad_rows(sim):
    sim.faults.add("bad-rows:day=2024-06-01")
    rows = costs(sim, end_date="2024-06-03").json()["data"]
    assert sum(1 for r in rows if "amount" not in r) == 1
    assert any(r["start_date"].endswith("-13-45") for r in rows)
    assert any(isinstance(r.get("amount"), str) for r in rows)
    day2 = [r for r in rows if r["start_date"] == "2024-06-02"]
    assert len(day2) == len(MODEL.bill(date(2024, 6, 2)).rows), "day= limits the fault to one day"


def test_unknown_lines_and_negative_amounts(sim):
    sim.faults.add("unknown-lines")
    sim.faults.add("negative-amounts")
    rows = costs(sim).json()["data"]
    assert any(r["product"] == "QUANTUM_STREAMS" and r["line_type"] == "QUBIT_HOURS" for r in rows)
    assert any(r["product"] == "KAFKA" and r["line_type"] == "KAFKA_HYPER_TIER" for r in rows)
    negatives = [r for r in rows if r["amount"] < 0 and r["line_type"] != "PROMO_CREDIT"]
    assert len(negatives) == 2 and all(r["product"] == "KAFKA" for r in negatives)


def test_restatement_changes_the_day_between_runs(sim):
    before = costs(sim).json()["data"]
    fault = sim.faults.add("restate:day=2024-06-01,variant=2")
    restated = costs(sim).json()["data"]
    assert restated == MODEL.bill(date(2024, 6, 1), variant=2).rows
    assert sum(r["amount"] for r in restated) != pytest.approx(sum(r["amount"] for r in before))
    sim.faults.remove(fault)
    assert costs(sim).json()["data"] == before


def test_control_endpoint(sim):
    r = requests.post(sim.url + "/_simulator/faults", json={"spec": "503:path=/iam"})
    assert r.status_code == 201 and r.json()["fault"]["params"] == {"status": 503}
    assert requests.get(sim.url + "/_simulator/faults").json()["faults"][0]["kind"] == "5xx"
    assert requests.get(sim.url + "/iam/v2/users", auth=CLOUD_AUTH).status_code == 503
    r = requests.post(sim.url + "/_simulator/faults", json={"spec": "meteor"})
    assert r.status_code == 400 and "unknown fault kind" in r.json()["error"]
    fid = requests.post(sim.url + "/_simulator/faults", json={"spec": "bad-rows"}).json()["fault"]["id"]
    assert requests.delete(f"{sim.url}/_simulator/faults/{fid}").json() == {"removed": 1}
    assert requests.delete(f"{sim.url}/_simulator/faults/{fid}").status_code == 404
    assert requests.get(sim.url + "/_simulator/health").json()["status"] == "ok"
    assert requests.delete(sim.url + "/_simulator/faults").status_code == 200


def test_faults_given_at_start():
    with start_simulator(port=0, clock=fixed_clock(), model=MODEL, faults=["5xx:path=/org,count=1"]) as sim:
        assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH).status_code == 503
        assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH).status_code == 200
