"""The simulator's live flavour answers as the live APIs do where they depart from the spec (CONFLUENT_API.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from billing_portal.confluent.retry import rate_limit_remaining, rate_limit_reset
from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, MovableClock, sr_credentials, walk_list

MODEL = build_model(42, "small")
NOW = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)


def metrics_query(sim, cluster: str, auth=CLOUD_AUTH, group_by=("metric.principal_id",)):
    body = {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
            "filter": {"field": "resource.kafka.id", "op": "EQ", "value": cluster},
            "group_by": list(group_by), "granularity": "PT1H", "intervals": ["2026-10-18T00:00:00Z/P1D"],
            "limit": 1000}
    return requests.post(sim.url + "/v2/metrics/cloud/query", json=body, auth=auth, timeout=30)


def test_metrics_answer_like_live():
    cluster = next(c for c in MODEL.kafka_clusters if not c.idle)
    with start_simulator(clock=MovableClock(NOW), model=MODEL) as sim:
        r = metrics_query(sim, cluster.id)
        typed = metrics_query(sim, cluster.id, group_by=("metric.principal_id", "metric.type")).json()["data"]
    doc = r.json()
    assert "meta" not in doc, "a last page may carry no meta at all"
    assert all(len(row["timestamp"]) == 20 and row["timestamp"].endswith(":00Z") for row in doc["data"])
    assert any(row["value"] == 0 for row in doc["data"]), "zero-valued points for hours without activity"
    assert {row["metric.type"] for row in typed} == {"Produce"}
    # two rate-limit sets in one header: the smaller remaining binds
    assert "," in r.headers["rateLimit-remaining"]
    assert rate_limit_remaining(r.headers) == min(float(x) for x in r.headers["rateLimit-remaining"].split(","))
    assert rate_limit_reset(r.headers) is not None


def test_a_key_denied_an_environment_gets_403s_there_only():
    denied = MODEL.environments[1].id
    inside = next(c for c in MODEL.kafka_clusters if c.env_id == denied)
    outside = next(c for c in MODEL.kafka_clusters if c.env_id != denied and not c.idle)
    auth = ("K2", "S2")
    with start_simulator(clock=MovableClock(NOW), model=MODEL, restricted_keys=(f"K2:S2:{denied}",)) as sim:
        assert requests.get(sim.url + "/cmk/v2/clusters", params={"environment": denied}, auth=auth,
                            timeout=30).status_code == 403
        assert requests.get(sim.url + "/cmk/v2/clusters", params={"environment": outside.env_id}, auth=auth,
                            timeout=30).status_code == 200
        conn = requests.get(f"{sim.url}/connect/v1/environments/{denied}/clusters/{inside.id}/connectors",
                            auth=auth, timeout=30)
        assert conn.status_code == 403
        r = metrics_query(sim, inside.id, auth=auth)
        assert r.status_code == 403
        assert r.json()["errors"][0]["detail"] == "Query must filter by at least one of your authorized resources"
        assert metrics_query(sim, outside.id, auth=auth).status_code == 200


def test_one_registry_per_environment_with_its_own_key_and_identity_pools():
    with start_simulator(clock=MovableClock(NOW), model=MODEL) as sim:
        session = requests.Session()
        srs = [sr for e in MODEL.environments for page in walk_list(
            session, sim.url + "/srcm/v3/clusters", {"environment": e.id}) for sr in page["data"]]
        assert len({sr["spec"]["catalog_http_endpoint"] for sr in srs}) == len(MODEL.environments)
        assert all(sr["spec"]["catalog_http_endpoint"] != sr["spec"]["http_endpoint"] for sr in srs)
        first, second = srs[0], srs[1]
        url = second["spec"]["catalog_http_endpoint"] + "/catalog/v1/search/basic"
        ok = requests.get(url, params={"type": "kafka_topic", "limit": 1000}, auth=sr_credentials(second["id"]),
                          timeout=30)
        assert ok.status_code == 200
        entities = ok.json()["entities"]
        assert len(entities) <= 500 and {e["attributes"]["qualifiedName"].split(":")[0] for e in entities} == {
            second["id"]}
        assert all("classifications" in e and "classificationNames" in e for e in entities)
        assert requests.get(url, params={"type": "kafka_topic"}, auth=sr_credentials(first["id"]),
                            timeout=30).status_code == 401, "another registry's key is refused"
        essentials = next(sr for sr in srs if sr["spec"]["package"] == "ESSENTIALS")
        defs = requests.get(essentials["spec"]["catalog_http_endpoint"] + "/catalog/v1/types/businessmetadatadefs",
                            auth=sr_credentials(essentials["id"]), timeout=30).json()
        assert defs == [], "no business metadata on an ESSENTIALS registry"
        providers = [p for page in walk_list(session, sim.url + "/iam/v2/identity-providers") for p in page["data"]]
        pools = [p for prov in providers for page in walk_list(
            session, f"{sim.url}/iam/v2/identity-providers/{prov['id']}/identity-pools") for p in page["data"]]
        assert {p["id"] for p in pools} == {p.id for p in MODEL.identity_pools}
        assert any("Owner:" in p["description"] for p in pools)
        org = requests.get(sim.url + "/org/v2/organizations", auth=CLOUD_AUTH, timeout=30).json()["data"][0]
        assert org["metadata"]["created_at"] > "2024-04-16", "an eCKU-billed org"
