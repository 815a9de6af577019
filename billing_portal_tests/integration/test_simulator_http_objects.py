"""Core objects and connectors over HTTP: list envelopes, pagination by full next URLs, object metadata."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from billing_portal.simulator import start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, fixed_clock, walk_list

CRN = re.compile(r"^crn://confluent\.cloud/organization=[0-9a-f-]{36}(/[a-z-]+=[A-Za-z0-9-]+)*$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(scope="module")
def sim():
    with start_simulator(port=0, seed=42, scale="small", clock=fixed_clock()) as handle:
        yield handle


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def collect(http, sim, path, **params):
    pages = list(walk_list(http, sim.url + path, params))
    return pages, [obj for page in pages for obj in page["data"]]


@pytest.mark.parametrize("path, kind, api_version, attr", [
    ("/org/v2/environments", "EnvironmentList", "org/v2", "environments"),
    ("/iam/v2/service-accounts", "ServiceAccountList", "iam/v2", "service_accounts"),
    ("/iam/v2/users", "UserList", "iam/v2", "users"),
    ("/iam/v2/api-keys", "ApiKeyList", "iam/v2", "api_keys"),
])
def test_org_wide_lists_page_through_everything(sim, http, path, kind, api_version, attr):
    pages, objects = collect(http, sim, path, page_size=7)
    view = sim.model.at(sim.state.clock())  # the lists as of the simulator's clock (churn objects alive then)
    expected = [o.id for o in getattr(view, attr, None) or getattr(sim.model, attr)]
    assert [o["id"] for o in objects] == expected
    assert len(pages) == -(-len(expected) // 7)
    for page in pages:
        assert page["kind"] == kind and page["api_version"] == api_version
        assert page["metadata"]["total_size"] == len(expected)
        assert page["metadata"]["first"].startswith(sim.url + path)
    assert all("next" in p["metadata"] for p in pages[:-1]) and "next" not in pages[-1]["metadata"]


def test_next_is_a_full_url_keeping_other_parameters(sim, http):
    env = max(sim.model.environments, key=lambda e: len(sim.model.clusters_of(e.id))).id
    first = http.get(sim.url + "/cmk/v2/clusters", params={"environment": env, "page_size": 1},
                     auth=CLOUD_AUTH).json()
    nxt = urlparse(first["metadata"]["next"])
    assert f"{nxt.scheme}://{nxt.netloc}" == sim.url
    query = parse_qs(nxt.query)
    assert query["environment"] == [env] and query["page_size"] == ["1"] and query["page_token"]


@pytest.mark.parametrize("path, attr, env_attr", [
    ("/cmk/v2/clusters", "kafka_clusters", "env_id"),
    ("/ksqldbcm/v2/clusters", "ksqldb_clusters", "env_id"),
    ("/fcpm/v2/compute-pools", "flink_pools", "env_id"),
    ("/srcm/v3/clusters", "schema_registries", "env_id"),
])
def test_per_environment_lists(sim, http, path, attr, env_attr):
    seen = []
    for env in sim.model.environments:
        _, objects = collect(http, sim, path, environment=env.id, page_size=2)
        assert all(o["spec"]["environment"]["id"] == env.id for o in objects)
        seen += [o["id"] for o in objects]
    assert sorted(seen) == sorted(o.id for o in getattr(sim.model, attr))


@pytest.mark.parametrize("path", ["/cmk/v2/clusters", "/ksqldbcm/v2/clusters", "/fcpm/v2/compute-pools",
                                  "/srcm/v3/clusters"])
def test_environment_is_required(sim, http, path):
    r = http.get(sim.url + path, auth=CLOUD_AUTH)
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["status"] == "400" and error["source"] == {"parameter": "environment"}
    assert error["id"] == r.headers["X-Request-Id"]


def test_every_object_has_metadata(sim, http):
    env = sim.model.environments[0].id
    for path, params in [("/org/v2/organizations", {}), ("/org/v2/environments", {}),
                         ("/cmk/v2/clusters", {"environment": env}), ("/iam/v2/service-accounts", {}),
                         ("/iam/v2/users", {}), ("/iam/v2/api-keys", {}), ("/srcm/v3/clusters", {"environment": env})]:
        for obj in collect(http, sim, path, page_size=100, **params)[1]:
            meta = obj["metadata"]
            assert meta["self"].startswith(sim.url), meta
            assert CRN.match(meta["resource_name"]), meta["resource_name"]
            assert RFC3339.match(meta["created_at"]) and RFC3339.match(meta["updated_at"])


def test_cluster_shapes(sim, http):
    by_id = {c.id: c for c in sim.model.kafka_clusters}
    for env in sim.model.environments:
        for obj in collect(http, sim, "/cmk/v2/clusters", environment=env.id)[1]:
            truth = by_id[obj["id"]]
            assert obj["spec"]["display_name"] == truth.display_name
            assert obj["spec"]["config"]["kind"] == truth.kind
            if truth.kind == "Dedicated":
                assert obj["spec"]["config"]["cku"] == truth.cku == obj["status"]["cku"]
            else:
                assert "cku" not in obj["spec"]["config"]


def test_schema_registry_endpoints_point_at_the_simulator(sim, http):
    env = sim.model.environments[0].id
    (sr,) = collect(http, sim, "/srcm/v3/clusters", environment=env)[1]
    # each registry at its own path of the simulator; its catalog at another one, as live (the two differ)
    assert sr["spec"]["http_endpoint"] == f"{sim.url}/sr/{sr['id']}"
    assert sr["spec"]["catalog_http_endpoint"] == f"{sim.url}/catalog-sr/{sr['id']}"


def test_api_key_filters_and_shapes(sim, http):
    owner = sim.model.api_keys[0].owner_id
    keys = collect(http, sim, "/iam/v2/api-keys", **{"spec.owner": owner})[1]
    assert keys and all(k["spec"]["owner"]["id"] == owner for k in keys)
    assert len(keys) == sum(1 for k in sim.model.api_keys if k.owner_id == owner)
    kinds = {k["spec"]["resource"]["kind"] for k in collect(http, sim, "/iam/v2/api-keys", page_size=100)[1]}
    assert kinds == {"Cluster", "Cloud", "SchemaRegistry"}


def test_page_size_and_token_validation(sim, http):
    r = http.get(sim.url + "/iam/v2/users", params={"page_size": 101}, auth=CLOUD_AUTH)
    assert r.status_code == 400 and r.json()["errors"][0]["source"] == {"parameter": "page_size"}
    r = http.get(sim.url + "/iam/v2/users", params={"page_token": "garbage"}, auth=CLOUD_AUTH)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_page_token"
    token = parse_qs(urlparse(http.get(sim.url + "/iam/v2/users", params={"page_size": 2}, auth=CLOUD_AUTH)
                              .json()["metadata"]["next"]).query)["page_token"][0]
    r = http.get(sim.url + "/iam/v2/service-accounts", params={"page_token": token}, auth=CLOUD_AUTH)
    assert r.status_code == 400, "a token belongs to its own query"


def test_single_get_and_unknown_paths(sim, http):
    env = sim.model.environments[0]
    r = http.get(f"{sim.url}/org/v2/environments/{env.id}", auth=CLOUD_AUTH)
    assert r.status_code == 200 and r.json()["display_name"] == env.display_name
    r = http.get(f"{sim.url}/org/v2/environments/env-nope", auth=CLOUD_AUTH)
    assert r.status_code == 404 and r.json()["errors"][0]["status"] == "404"
    r = http.get(f"{sim.url}/nothing/v9/here", auth=CLOUD_AUTH)
    assert r.status_code == 404 and r.json()["errors"][0]["status"] == "404" and r.headers["X-Request-Id"]
    r = http.post(f"{sim.url}/org/v2/environments", auth=CLOUD_AUTH)
    assert r.status_code == 405 and r.json()["errors"][0]["status"] == "405"


# ---- connectors ------------------------------------------------------------------------------------------------
def connectors_url(sim, connector):
    return f"{sim.url}/connect/v1/environments/{connector.env_id}/clusters/{connector.cluster_id}/connectors"


def test_connectors_expand_map(sim, http):
    view = sim.model.at(sim.state.clock())
    keys = {k.id for k in view.api_keys}
    seen_modes = set()
    for cluster_id in sorted({c.cluster_id for c in view.connectors}):
        conn = next(c for c in view.connectors if c.cluster_id == cluster_id)
        body = http.get(connectors_url(sim, conn), params={"expand": "info,status,id"}, auth=CLOUD_AUTH).json()
        expected = {c.name: c for c in view.connectors if c.cluster_id == cluster_id}
        assert set(body) == set(expected)
        for name, doc in body.items():
            assert set(doc) == {"info", "status", "id"}
            assert doc["id"] == {"id": expected[name].id, "id_type": "ID"}
            config = doc["info"]["config"]
            assert config["kafka.api.secret"] == "****************"
            if config["kafka.auth.mode"] == "SERVICE_ACCOUNT":
                assert config["kafka.service.account.id"] == expected[name].principal_id
                seen_modes.add("SERVICE_ACCOUNT")
            elif config["kafka.api.key"] == "****************":
                seen_modes.add("MASKED")
            else:
                assert config["kafka.api.key"] in keys
                seen_modes.add("KAFKA_API_KEY")
            assert doc["status"]["connector"]["state"] in ("RUNNING", "PAUSED")
            assert len(doc["status"]["tasks"]) == int(config["tasks.max"])
    assert seen_modes == {"SERVICE_ACCOUNT", "MASKED", "KAFKA_API_KEY"}


def test_connectors_without_expand_and_errors(sim, http):
    view = sim.model.at(sim.state.clock())
    conn = sim.model.connectors[0]
    names = http.get(connectors_url(sim, conn), auth=CLOUD_AUTH).json()
    assert names == sorted(c.name for c in view.connectors if c.cluster_id == conn.cluster_id)
    only_id = http.get(connectors_url(sim, conn), params={"expand": "id"}, auth=CLOUD_AUTH).json()
    assert all(set(v) == {"id"} for v in only_id.values())
    idle = next(c for c in sim.model.kafka_clusters if not any(x.cluster_id == c.id for x in view.connectors))
    r = http.get(f"{sim.url}/connect/v1/environments/{idle.env_id}/clusters/{idle.id}/connectors",
                 params={"expand": "info"}, auth=CLOUD_AUTH)
    assert r.status_code == 200 and r.json() == {}
    r = http.get(f"{sim.url}/connect/v1/environments/env-x/clusters/{conn.cluster_id}/connectors", auth=CLOUD_AUTH)
    assert r.status_code == 404 and r.json()["errors"][0]["status"] == "404"
