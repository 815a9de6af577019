"""The billing costs endpoint over HTTP: validations, pagination, flavors, billing lag, determinism."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, FIXED_NOW, fixed_clock, walk_list

COSTS = "/billing/v1/costs"
MODEL = build_model(42, "small")


@pytest.fixture(scope="module")
def sim():
    # bills published at once here (the 72 h lag has its own test)
    with start_simulator(port=0, clock=fixed_clock(), model=MODEL, billing_lag_hours=0) as handle:
        yield handle


def get(sim, **params):
    return requests.get(sim.url + COSTS, params=params, auth=CLOUD_AUTH)


@pytest.mark.parametrize("params, detail", [
    ({"end_date": "2024-06-02"}, "start_date is required"),
    ({"start_date": "2024-06-01"}, "end_date is required"),
    ({"start_date": "2024/06/01", "end_date": "2024-06-02"}, "YYYY-MM-DD"),
    ({"start_date": "2024-06-31", "end_date": "2024-07-02"}, "YYYY-MM-DD"),
    ({"start_date": "2024-06-02", "end_date": "2024-06-02"}, "start date must be before end date"),
    ({"start_date": "2024-05-01", "end_date": "2024-06-02"}, "end date and start date are too far apart"),
    ({"start_date": "2023-06-01", "end_date": "2023-06-05"}, "start date is too far in the past"),
    ({"start_date": "2024-06-01", "end_date": "2024-06-02", "page_size": 10001}, "page_size"),
    ({"start_date": "2024-06-01", "end_date": "2024-06-02", "page_token": "x"}, "invalid page token"),
])
def test_validation_errors(sim, params, detail):
    r = get(sim, **params)
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["status"] == "400" and detail in error["detail"]


def test_a_31_day_window_is_allowed(sim):
    r = get(sim, start_date="2024-05-01", end_date="2024-06-01", page_size=10000)
    assert r.status_code == 200
    days = {row["start_date"] for row in r.json()["data"]}
    assert len(days) == 31


def test_pages_follow_next_and_reproduce_the_bill(sim):
    pages = list(walk_list(requests.Session(), sim.url + COSTS,
                           {"start_date": "2024-06-01", "end_date": "2024-06-04", "page_size": 17}))
    rows = [r for p in pages for r in p["data"]]
    expected = [r for d in (1, 2, 3) for r in MODEL.bill(date(2024, 6, d)).rows]
    assert rows == expected
    assert all(len(p["data"]) == 17 for p in pages[:-1])
    for p in pages[:-1]:
        q = parse_qs(urlparse(p["metadata"]["next"]).query)
        assert q["start_date"] == ["2024-06-01"] and q["end_date"] == ["2024-06-04"] and q["page_token"]
        assert p["metadata"]["next"].startswith(sim.url + COSTS + "?")
    assert pages[-1]["metadata"] == {}  # live: empty metadata on the last page
    assert {p["api_version"] for p in pages} == {"v1"} and {p["kind"] for p in pages} == {"CostList"}


def test_default_page_size_is_5000():
    with start_simulator(port=0, scale="medium", clock=fixed_clock(), billing_lag_hours=0) as sim:
        days = [date(2024, 5, 15 + i) if i < 17 else date(2024, 6, i - 16) for i in range(31)]
        total = sum(len(sim.model.bill(d).rows) for d in days)
        assert total > 5000
        first = get(sim, start_date="2024-05-15", end_date="2024-06-15").json()
        assert len(first["data"]) == 5000
        second = requests.get(first["metadata"]["next"], auth=CLOUD_AUTH).json()
        assert len(second["data"]) == total - 5000 and "next" not in second["metadata"]


def test_spec_flavor_envelope():
    with start_simulator(port=0, clock=fixed_clock(), flavor="spec", model=MODEL, billing_lag_hours=0) as sim:
        body = get(sim, start_date="2024-06-01", end_date="2024-06-02", page_size=10).json()
        assert body["api_version"] == "billing/v1"
        assert body["metadata"]["total_size"] == len(MODEL.bill(date(2024, 6, 1), flavor="spec").rows)
        assert body["metadata"]["first"].startswith(sim.url) and "next" in body["metadata"]
        assert all(r["api_version"] == "billing/v1" for r in body["data"])


def test_billing_lag_hides_recent_days_but_not_metrics():
    now = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
    with start_simulator(port=0, clock=fixed_clock(now), billing_lag_hours=48, model=MODEL) as sim:
        rows = get(sim, start_date="2024-06-10", end_date="2024-06-16").json()["data"]
        # 06-12 ends 06-13 00:00, +48 h = 06-15 00:00 <= now; 06-13 ends +48 h = 06-16 00:00 > now
        assert sorted({r["start_date"] for r in rows}) == ["2024-06-10", "2024-06-11", "2024-06-12"]
        body = {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
                "filter": {"field": "resource.kafka.id", "op": "EQ", "value": MODEL.kafka_clusters[1].id},
                "granularity": "PT1H", "intervals": ["2024-06-14T00:00:00Z/P1D"]}
        data = requests.post(sim.url + "/v2/metrics/cloud/query", json=body, auth=CLOUD_AUTH).json()["data"]
        assert data, "metrics are available immediately"


def test_days_not_yet_ended_have_no_rows(sim):
    assert FIXED_NOW.date() == date(2024, 6, 15)
    rows = get(sim, start_date="2024-06-14", end_date="2024-06-20").json()["data"]
    assert {r["start_date"] for r in rows} == {"2024-06-14"}


def test_same_seed_gives_byte_identical_responses():
    bodies = []
    for _ in range(2):
        with start_simulator(port=0, seed=5, clock=fixed_clock(), public_url="http://sim.example",
                             billing_lag_hours=0) as sim:
            r = get(sim, start_date="2024-06-01", end_date="2024-06-03", page_size=40)
            nxt = requests.get(r.json()["metadata"]["next"].replace("http://sim.example", sim.url),
                               auth=CLOUD_AUTH)
            envs = requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH)
            bodies.append((r.content, nxt.content, envs.content))
    assert bodies[0] == bodies[1]
    assert b"http://sim.example/billing/v1/costs?" in bodies[0][0]
