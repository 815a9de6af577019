"""Basic auth, restricted keys, request ids and rate-limit headers over HTTP."""

import pytest
import requests

from billing_portal.simulator import start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, SR_AUTH, fixed_clock

LIVE_403 = {"errors": [{"status": "403", "code": "forbidden_access", "detail": "Forbidden Access", "source": {}}]}
COSTS = "/billing/v1/costs?start_date=2024-06-01&end_date=2024-06-02"
SEARCH = "/catalog/v1/search/basic?type=kafka_topic"


@pytest.fixture(scope="module")
def sim():
    with start_simulator(port=0, clock=fixed_clock(), restricted_keys=("RKEY:RSECRET:billing,metrics,catalog",),
                         api_rate_limit=5) as handle:
        yield handle


def metrics_body(sim):
    return {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
            "filter": {"field": "resource.kafka.id", "op": "EQ", "value": sim.model.kafka_clusters[1].id},
            "granularity": "PT1H", "intervals": ["2024-06-01T00:00:00Z/P1D"]}


@pytest.mark.parametrize("auth", [None, ("SIMKEY", "wrong"), SR_AUTH])
def test_401_on_api_paths(sim, auth):
    r = requests.get(sim.url + "/org/v2/environments", auth=auth)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Basic error="invalid_key"')
    (error,) = r.json()["errors"]
    assert error["status"] == "401" and error["id"] == r.headers["X-Request-Id"]


def test_401_on_telemetry(sim):
    r = requests.post(sim.url + "/v2/metrics/cloud/query", json=metrics_body(sim), auth=("nope", "nope"))
    assert r.status_code == 401 and r.json()["errors"][0]["status"] == "401"
    assert 'error="invalid_key"' in r.headers["WWW-Authenticate"]


@pytest.mark.parametrize("auth", [None, CLOUD_AUTH])
def test_catalog_needs_the_schema_registry_key(sim, auth):
    r = requests.get(sim.url + SEARCH, auth=auth)
    assert r.status_code == 401
    assert r.json() == {"error_code": 401, "message": "Unauthorized"}
    assert r.headers["WWW-Authenticate"].startswith('Basic error="invalid_key"')
    assert requests.get(sim.url + SEARCH, auth=SR_AUTH).status_code == 200


def test_malformed_authorization_header(sim):
    r = requests.get(sim.url + "/org/v2/environments", headers={"Authorization": "Basic %%%"})
    assert r.status_code == 401


def test_restricted_key_gets_the_live_403_on_its_missing_roles(sim):
    rk = ("RKEY", "RSECRET")
    r = requests.get(sim.url + COSTS, auth=rk)
    assert r.status_code == 403 and r.json() == LIVE_403
    r = requests.post(sim.url + "/v2/metrics/cloud/query", json=metrics_body(sim), auth=rk)
    assert r.status_code == 403 and r.json() == LIVE_403
    r = requests.get(sim.url + SEARCH, auth=rk)
    assert r.status_code == 403 and r.json()["error_code"] == 40301
    assert requests.get(sim.url + "/org/v2/environments", auth=rk).status_code == 200


def test_every_response_has_a_request_id(sim):
    responses = [requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH),
                 requests.get(sim.url + "/nope", auth=CLOUD_AUTH),
                 requests.get(sim.url + "/org/v2/environments"),
                 requests.get(sim.url + SEARCH, auth=SR_AUTH),
                 requests.get(sim.url + "/_simulator/health")]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert len(set(ids)) == len(ids) and all(len(i) == 36 for i in ids)


def test_rate_limit_headers_by_api(sim):
    r = requests.post(sim.url + "/v2/metrics/cloud/query", json=metrics_body(sim), auth=CLOUD_AUTH)
    assert r.status_code == 200
    assert {"rateLimit-limit", "rateLimit-remaining", "rateLimit-reset"} <= set(r.headers)
    assert "X-RateLimit-Limit" not in r.headers
    # live: a global and an endpoint-scope set in each header ("60, 60")
    assert all(0 < int(x) <= 60 for x in r.headers["rateLimit-reset"].split(","))


def test_enforced_api_rate_limit_answers_429_with_retry_after():
    with start_simulator(port=0, clock=fixed_clock(), api_rate_limit=3) as sim:
        statuses, remaining = [], []
        for _ in range(5):
            r = requests.get(sim.url + "/iam/v2/users", auth=CLOUD_AUTH)
            statuses.append(r.status_code)
            remaining.append(int(r.headers["X-RateLimit-Remaining"]))
        assert statuses == [200, 200, 200, 429, 429]
        assert remaining == [2, 1, 0, 0, 0]
        assert r.headers["X-RateLimit-Limit"] == "3"
        assert 0 < int(r.headers["Retry-After"]) <= 60
        assert r.json()["errors"][0]["status"] == "429"
