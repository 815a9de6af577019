"""Contract (HTTP): the product's real clients against a server that answers the recorded live bodies.

`RecordedServer` (werkzeug, in this process) serves `live_shapes/` files byte for byte; `metadata.next` URLs are
rewritten to the server, or — in the `rebased` variants — left pointing at api.confluent.cloud, which the client
must rebase onto its configured base without ever sending the key elsewhere. What is exercised: list paging
(`pagination.py`), `ObjectsClient` (org/iam/cmk/ksqldbcm/fcpm/srcm/connect) end to end, error mapping (`http.py`: a
401 is one line naming the role, a 403 a clear error, a 404 on a list an empty list), identity providers and pools
through the list paginator, and the Stream Catalog client on recorded tag/business-metadata bindings and entity.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from billing_portal.confluent.catalog import CatalogClient
from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.objects import ObjectsClient
from billing_portal.confluent.pagination import collect_envelope
from billing_portal.errors import ConfluentApiError, ConfluentAuthError
from billing_portal_tests.confluent_fixtures import KEY, SECRET, fast_config
from billing_portal_tests.contract.recorded_server import RecordedServer
from billing_portal_tests.contract.shapes import (
    api_key_list,
    catalog_entity,
    recorded_api_keys,
    schema_registry_api_key,
    search_page,
    tag_bindings_of,
)

DAY = dt.date(2024, 5, 1)
PAGE_TOKEN = "dyJpZCI6InNhLTd5OXbyby"  # the token in the recorded `metadata.next` URLs
ENV = "env-1jrymj"


@pytest.fixture(params=["rewritten", "rebased"])
def server(request):
    with RecordedServer(rewrite_hosts=request.param == "rewritten") as s:
        yield s


@pytest.fixture
def local():
    with RecordedServer() as s:
        yield s


def http_for(server: RecordedServer, family: str = "cloud") -> ConfluentHttp:
    return ConfluentHttp(server.url, KEY, SECRET, fast_config(), family=family)


def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and text.strip() == text and text
    assert SECRET not in text
    return text


def everything_went_to(server: RecordedServer) -> None:
    host = server.url.split("://", 1)[1]
    assert server.requests and {r.host for r in server.requests} == {host}
    assert all(r.authorization and r.authorization.startswith("Basic ") for r in server.requests)


# --- paging ----------------------------------------------------------------------------------------------------
def test_kafka_clusters_across_two_recorded_pages(server):
    server.answer("/cmk/v2/clusters", "kafka/read_kafkas_page_1.json", query={"environment": ENV})
    server.answer("/cmk/v2/clusters", "kafka/read_kafkas_page_2.json",
                  query={"environment": ENV, "page_token": PAGE_TOKEN})
    items = ObjectsClient(http_for(server)).list("/cmk/v2/clusters", {"environment": ENV})
    assert [c["id"] for c in items] == ["lkc-19ynpv", "lkc-29ynpv"]
    first, second = server.hits("/cmk/v2/clusters")
    assert (first.param("environment"), first.param("page_size"), first.param("page_token")) == (ENV, "99", None)
    # page 2 is the recorded next URL (token and environment), with the page size the URL did not carry re-sent
    assert (second.param("environment"), second.param("page_token"), second.param("page_size")) == (
        ENV, PAGE_TOKEN, "99")
    everything_went_to(server)


def test_users_across_two_recorded_pages(server):
    server.answer("/iam/v2/users", "user/read_users_page_1.json")
    server.answer("/iam/v2/users", "user/read_users_page_2.json", query={"page_token": PAGE_TOKEN})
    users = ObjectsClient(http_for(server)).list("/iam/v2/users")
    assert [u["id"] for u in users] == ["u-1jjv21", "u-1jjv22", "u-1jjv23"]
    assert len(server.hits("/iam/v2/users")) == 2
    everything_went_to(server)


@pytest.mark.parametrize(("path", "query", "recorded", "ids"), [
    ("/org/v2/environments", {}, "environment/read_envs.json", ["env-ab123", "env-1jrymj"]),
    ("/org/v2/environments", {}, "apikey/read_list_envs_200.json", []),
    ("/iam/v2/service-accounts", {}, "service_account/read_sas.json", ["sa-1jjv26"]),
    ("/fcpm/v2/compute-pools", {"environment": ENV}, "compute_pool/read_compute_pools.json",
     ["lfcp-abc123", "lfcp-abc456"]),  # metadata.next is "": the last page
    ("/srcm/v3/clusters", {"environment": ENV}, "schema_registry_cluster/read_clusters.json", ["lsrc-755ogo"]),
    ("/srcm/v3/clusters", {"environment": ENV}, "schema_registry_cluster/read_zero_clusters.json", []),
    ("/ksqldbcm/v2/clusters", {"environment": ENV}, "ksql/ksql_clusters.json", ["dlz-f3a90de", "lksql-0000"]),
])
def test_single_page_lists_end_where_the_recording_ends(server, path, query, recorded, ids):
    server.answer(path, recorded, query=query)
    assert [o["id"] for o in ObjectsClient(http_for(server)).list(path, query or None)] == ids
    assert len(server.hits(path)) == 1


# --- a whole recorded org through ObjectsClient.fetch_snapshot --------------------------------------------------
def serve_recorded_org(server: RecordedServer) -> None:
    """Environments env-ab123 and env-1jrymj; every env-scoped product recorded in env-1jrymj, 404 (not enabled) or
    empty in env-ab123; two connectors; identity providers and pools. The organizations list is not recorded."""
    not_found = "environment/read_deleted_env.json"
    server.answer("/org/v2/environments", "environment/read_envs.json")
    server.answer("/iam/v2/service-accounts", "service_account/read_sas.json")
    server.answer("/iam/v2/users", "user/read_users_page_1.json")
    server.answer("/iam/v2/users", "user/read_users_page_2.json", query={"page_token": PAGE_TOKEN})
    server.answer("/iam/v2/api-keys", body=api_key_list([*recorded_api_keys(), schema_registry_api_key()]))
    server.answer("/cmk/v2/clusters", "kafka/read_kafkas_page_1.json", query={"environment": ENV})
    server.answer("/cmk/v2/clusters", "kafka/read_kafkas_page_2.json",
                  query={"environment": ENV, "page_token": PAGE_TOKEN})
    server.answer("/ksqldbcm/v2/clusters", "ksql/ksql_clusters.json", query={"environment": ENV})
    server.answer("/fcpm/v2/compute-pools", "compute_pool/read_compute_pools.json", query={"environment": ENV})
    server.answer("/srcm/v3/clusters", "schema_registry_cluster/read_clusters.json", query={"environment": ENV})
    server.answer("/srcm/v3/clusters", "schema_registry_cluster/read_zero_clusters.json",
                  query={"environment": "env-ab123"})
    for path in ("/cmk/v2/clusters", "/ksqldbcm/v2/clusters", "/fcpm/v2/compute-pools"):
        server.answer(path, not_found, status=404, query={"environment": "env-ab123"})
    base = f"/connect/v1/environments/{ENV}/clusters"
    server.answer(f"{base}/lkc-19ynpv/connectors", "connector/managed/read_created_connectors.json")
    server.answer(f"{base}/lkc-29ynpv/connectors", "connector/custom/read_created_connectors.json")
    server.answer("/iam/v2/identity-providers", "identity_provider/read_identity_providers.json")
    server.answer("/iam/v2/identity-providers/op-4EY/identity-pools", "identity_pool/read_identity_pools.json")
    server.answer("/iam/v2/identity-providers/op-zmg/identity-pools",
                  "identity_pool/read_deleted_identity_pool.json", status=404)


@pytest.fixture(scope="module")
def recorded_snapshot():
    with RecordedServer() as server:
        serve_recorded_org(server)
        snap = ObjectsClient(http_for(server), max_workers=2).fetch_snapshot(DAY)
        yield snap, server


def test_snapshot_of_the_recorded_org(recorded_snapshot):
    snap, server = recorded_snapshot
    assert snap.organizations.empty  # not recorded: the server answers 404, which a list treats as empty
    envs = snap.environments.set_index("env_id")
    assert envs.index.tolist() == ["env-1jrymj", "env-ab123"]
    assert envs.loc["env-ab123", "stream_governance_package"] == "ESSENTIALS"
    kafka = snap.kafka_clusters.set_index("cluster_id")
    assert kafka.index.tolist() == ["lkc-19ynpv", "lkc-29ynpv"]
    assert kafka["env_id"].tolist() == [ENV, ENV] and kafka["cluster_kind"].tolist() == ["Basic", "Basic"]
    assert kafka["cku"].isna().all()
    assert snap.service_accounts["principal_id"].tolist() == ["sa-1jjv26"]
    assert snap.users["principal_id"].tolist() == ["u-1jjv21", "u-1jjv22", "u-1jjv23"]
    assert snap.ksqldb_clusters[["ksqldb_id", "kafka_cluster_id", "credential_identity_id"]].values.tolist() == [
        ["dlz-f3a90de", "lkc-00000", "u-a83k9b"], ["lksql-0000", "lkc-19ynpv", "u-a83k9b"]]
    assert snap.flink_compute_pools[["pool_id", "env_id", "max_cfu"]].values.tolist() == [
        ["lfcp-abc123", "env-gz903", 5], ["lfcp-abc456", "env-gz903", 5]]
    sr = snap.schema_registries.iloc[0]
    assert (sr["sr_id"], sr["env_id"], sr["http_endpoint"], sr["catalog_http_endpoint"]) == (
        "lsrc-755ogo", ENV, "https://psrc-y1111.us-west-2.aws.confluent.cloud",
        "https://psrc-y1113.us-west-2.aws.confluent.cloud")
    assert len(snap.schema_registries) == 1
    everything_went_to(server)


def test_snapshot_connectors_map(recorded_snapshot):
    snap, server = recorded_snapshot
    c = snap.connectors.set_index("connector_id")
    assert c.index.tolist() == ["clcc-gkzo3r", "lcc-abc123"]
    assert c.loc["lcc-abc123", ["connector_name", "env_id", "cluster_id", "connector_class", "state"]].tolist() == [
        "test_connector", ENV, "lkc-19ynpv", "DatagenSourceInternal", "RUNNING"]
    assert pd.isna(c.loc["lcc-abc123", "auth_mode"]) and pd.isna(c.loc["lcc-abc123", "service_account_id"])
    assert c.loc["clcc-gkzo3r", ["cluster_id", "auth_mode", "connector_type"]].tolist() == [
        "lkc-29ynpv", "KAFKA_API_KEY", "source"]
    for raw in c["raw"]:
        config = json.loads(raw)["info"]["config"]
        assert config["kafka.api.secret"] == "****" and config["kafka.api.key"] == "****************"
    assert json.loads(c.loc["lcc-abc123", "raw"])["extensions"] == {}
    for env_cluster in ("lkc-19ynpv", "lkc-29ynpv"):
        (hit,) = server.hits(f"/connect/v1/environments/{ENV}/clusters/{env_cluster}/connectors")
        assert hit.param("expand") == "info,status,id"


def test_snapshot_api_keys_and_the_recorded_id_clash_quarantined(recorded_snapshot):
    snap, _ = recorded_snapshot
    keys = snap.api_keys.set_index("key_id")
    assert keys.loc["HRVR6K4VMXYD2LDZ", ["resource_id", "resource_kind"]].tolist() == ["cloud", "Cloud"]
    assert dict(zip(keys["resource_kind"], keys.index, strict=True)) == {
        "Cloud": "HRVR6K4VMXYD2LDZ", "Cluster": "7FJIYKQ4SGQDQ72H", "Region": "AK4NBR7MUYHVJMHW",
        "Global": "GLOBAL6K4VMXYD2LDZ", "SchemaRegistry": "SRKEY6K4VMXYD2LD"}
    assert set(keys["owner_id"]) == {"sa-12mgdv"}
    # the provider recorded its Cloud and Tableflow keys under one id: the second, different object is quarantined
    # with the reason, the run goes on
    (q,) = snap.quarantine.to_dict("records")
    assert q["source"] == "objects" and q["usage_date"] == DAY
    assert q["reason"] == "duplicate_id: HRVR6K4VMXYD2LDZ already seen with different content (api_keys)"
    assert json.loads(q["raw"])["spec"]["resource"]["kind"] == "Tableflow"
    assert snap.stats["quarantined"] == 1


def test_two_environments_each_with_its_registry(local):
    local.answer("/org/v2/environments", "schema_registry_cluster/read_envs_page_1.json")
    local.answer("/srcm/v3/clusters", "schema_registry_cluster/read_clusters_1jnw8z.json",
                 query={"environment": "env-1jnw8z"})
    local.answer("/srcm/v3/clusters", "schema_registry_cluster/read_clusters_7n1r31.json",
                 query={"environment": "env-7n1r31"})
    snap = ObjectsClient(http_for(local)).fetch_snapshot(DAY)  # everything else answers 404: empty
    assert snap.schema_registries[["sr_id", "env_id", "catalog_http_endpoint"]].values.tolist() == [
        ["lsrc-755ogo", "env-1jnw8z", "https://psrc-y1113.us-west-2.aws.confluent.cloud"],
        ["lsrc-756ogo", "env-7n1r31", "https://psrc-y1113.us-west-2.aws.confluent.cloud"]]
    assert snap.quarantine.empty
    assert {r.param("environment") for r in local.hits("/srcm/v3/clusters")} == {"env-1jnw8z", "env-7n1r31"}


def test_one_registry_recorded_in_two_environments_is_quarantined_not_fatal(local):
    local.answer("/org/v2/environments", "environment/read_envs.json")
    local.answer("/srcm/v3/clusters", "schema_registry_cluster/read_clusters.json", query={"environment": ENV})
    local.answer("/srcm/v3/clusters", "schema_registry_cluster/read_clusters_1jnw8z.json",
                 query={"environment": "env-ab123"})
    snap = ObjectsClient(http_for(local)).fetch_snapshot(DAY)
    (kept,) = snap.schema_registries.to_dict("records")
    (q,) = snap.quarantine.to_dict("records")
    assert kept["sr_id"] == "lsrc-755ogo"
    assert q["reason"] == "duplicate_id: lsrc-755ogo already seen with different content (schema_registries)"
    assert {kept["env_id"], json.loads(q["raw"])["spec"]["environment"]["id"]} == {ENV, "env-1jnw8z"}


# --- error envelopes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "query", "recorded", "content_type", "headers"), [
    ("/org/v2/environments", {}, "apikey/read_list_envs_401.json", "application/json", {}),
    ("/org/v2/environments", {}, "apikey/read_list_envs_401.json", "application/json",
     {"WWW-Authenticate": 'Basic error="invalid_key", error_description="The API key is invalid"'}),
    ("/ksqldbcm/v2/clusters", {"environment": ENV}, "ksql/401_Unathorized.json", "application/json", {}),
    ("/kafka/v3/clusters/lkc-3nyw6o/topics", {}, "apikey/read_list_topics_401.html", "text/html;charset=utf-8", {}),
])
def test_401_is_one_line_naming_the_key_and_the_role(local, path, query, recorded, content_type, headers):
    local.answer(path, recorded, status=401, query=query, content_type=content_type, headers=headers)
    with pytest.raises(ConfluentAuthError) as err:
        ObjectsClient(http_for(local)).list(path, query or None)
    text = one_line(err.value)
    assert err.value.status == 401
    assert "401" in text and path in text and "CCLOUD_API_KEY" in text and "CCLOUD_API_SECRET" in text
    assert "OrganizationAdmin" in text  # the role the key's owner needs
    assert len(local.hits(path)) == 1  # not retried


def test_401_on_the_catalog_names_the_schema_registry_key(local):
    local.answer("/catalog/v1/search/basic", "ksql/401_Unathorized.json", status=401)
    with pytest.raises(ConfluentAuthError) as err:
        CatalogClient(http_for(local, "catalog")).search("kafka_topic")
    text = one_line(err.value)
    assert "SCHEMA_REGISTRY_API_KEY" in text and "DataSteward" in text and "401" in text


@pytest.mark.parametrize(("path", "query", "recorded", "explanation"), [
    ("/ksqldbcm/v2/clusters", {"environment": ENV}, "ksql/403_forbidden.json", None),
    ("/cmk/v2/clusters", {"environment": ENV}, "kafka/read_deleted_kafka.json", None),
    ("/iam/v2/api-keys", {}, "apikey/read_deleted_cloud_api_key.json", None),
    ("/fcpm/v2/compute-pools", {"environment": "env-gz903"}, "compute_pool/read_deleted_compute_pool.json",
     "The compute pool lfcp-abc123 was not found."),
    ("/srcm/v3/clusters", {"environment": ENV}, "schema_registry_cluster/not_available.json",
     "This service is not available in Confluent Cloud for Government"),
])
def test_403_is_a_clear_error(local, path, query, recorded, explanation):
    local.answer(path, recorded, status=403, query=query)
    with pytest.raises(ConfluentAuthError) as err:
        ObjectsClient(http_for(local)).list(path, query or None)
    text = one_line(err.value)
    assert err.value.status == 403
    assert "403 Forbidden" in text and path in text and "CCLOUD_API_KEY" in text and "OrganizationAdmin" in text
    if explanation:  # the API's own reason is not lost behind the role hint
        assert explanation in text
    assert len(local.hits(path)) == 1


@pytest.mark.parametrize(("path", "recorded"), [
    ("/org/v2/environments", "environment/read_deleted_env.json"),
    ("/iam/v2/service-accounts", "service_account/read_deleted_sa.json"),
    ("/iam/v2/identity-providers/op-537/identity-pools", "identity_pool/read_deleted_identity_pool.json"),
    ("/iam/v2/identity-providers", "identity_provider/read_deleted_identity_provider.json"),
])
def test_404_on_a_list_is_an_empty_list(local, path, recorded):
    local.answer(path, recorded, status=404)
    assert ObjectsClient(http_for(local)).list(path) == []
    assert collect_envelope(http_for(local), path) == []


def test_404_on_a_connectors_map_is_no_connectors(local):
    path = f"/connect/v1/environments/{ENV}/clusters/lkc-gone/connectors"
    local.answer(path, "connector/managed/read_deleted_connector.json", status=404)
    assert ObjectsClient(http_for(local)).list_connectors(ENV, "lkc-gone") == {}


@pytest.mark.parametrize(("path", "recorded", "detail"), [
    ("/iam/v2/api-keys/GLOBAL6K4VMXYD2LDZ", "apikey/read_deleted_global_api_key.json",
     "The API Key (id=GLOBAL6K4VMXYD2LDZ) does not exist (api_key_not_found)"),
    ("/iam/v2/identity-providers/op-531", "identity_provider/read_deleted_identity_provider.json",
     "Identity Provider op-531 not found or disabled for Organization foo"),
])
def test_404_on_a_single_object_says_what_the_api_said(local, path, recorded, detail):
    local.answer(path, recorded, status=404)
    with pytest.raises(ConfluentApiError) as err:
        http_for(local).get(path)
    text = one_line(err.value)
    assert err.value.status == 404 and path in text and detail in text


def test_404_on_a_later_page_fails_instead_of_a_partial_list(local):
    local.answer("/iam/v2/users", "user/read_users_page_1.json")
    local.answer("/iam/v2/users", "service_account/read_deleted_sa.json", status=404,
                 query={"page_token": PAGE_TOKEN})
    with pytest.raises(ConfluentApiError) as err:
        ObjectsClient(http_for(local)).list("/iam/v2/users")
    assert err.value.status == 404 and "Service Account Not Found" in one_line(err.value)


def test_501_is_an_error_with_the_apis_detail_and_not_retried(local):
    local.answer("/ksqldbcm/v2/clusters", "ksql/501_internal_server_error.json", status=501,
                 query={"environment": ENV})
    with pytest.raises(ConfluentApiError) as err:
        ObjectsClient(http_for(local)).list("/ksqldbcm/v2/clusters", {"environment": ENV})
    text = one_line(err.value)
    assert err.value.status == 501 and "run out of gas" in text and "(out_of_gas)" in text
    assert not isinstance(err.value, ConfluentAuthError)
    assert len(local.hits("/ksqldbcm/v2/clusters")) == 1


# --- identity providers and pools ------------------------------------------------------------------------------
@pytest.fixture
def pools_server(local):
    local.answer("/iam/v2/identity-providers", "identity_provider/read_identity_providers.json")
    local.answer("/iam/v2/identity-providers/op-4EY/identity-pools", "identity_pool/read_identity_pools.json")
    local.answer("/iam/v2/identity-providers/op-zmg/identity-pools",
                 "identity_pool/read_deleted_identity_pool.json", status=404)
    local.answer("/iam/v2/certificate-authorities/op-abc123/identity-pools",
                 "certificate_pool/list_certificate_pools.json")
    return local


def collect_pools(server: RecordedServer) -> dict[str, list[dict]]:
    http = http_for(server)
    providers = collect_envelope(http, "/iam/v2/identity-providers", api="objects")
    pools = {p["id"]: collect_envelope(http, f"/iam/v2/identity-providers/{p['id']}/identity-pools",
                                       api="objects") for p in providers}
    pools["op-abc123"] = collect_envelope(http, "/iam/v2/certificate-authorities/op-abc123/identity-pools",
                                          api="objects")
    return pools


def test_identity_pools_listed_through_the_paginator(pools_server):
    pools = collect_pools(pools_server)
    assert {op: [p["id"] for p in items] for op, items in pools.items()} == {
        "op-4EY": ["pool-AzXR", "pool-Vk56"], "op-zmg": [], "op-abc123": ["pool-def456"]}
    assert [p["principal"] for p in pools["op-4EY"]] == ["pool-AzXR", "pool-Vk56"]
    # one request per list: metadata carries only `self` (on another host), which is never followed
    assert [len(pools_server.hits(p)) for p in ("/iam/v2/identity-providers",
                                                "/iam/v2/identity-providers/op-4EY/identity-pools")] == [1, 1]
    everything_went_to(pools_server)


def test_parse_identity_pool_on_pools_read_over_http(pools_server):
    from billing_portal.confluent import objects

    parse_identity_pool = getattr(objects, "parse_identity_pool", None)
    if parse_identity_pool is None:
        pytest.skip("billing_portal.confluent.objects.parse_identity_pool does not exist yet (identity-pool "
                    "collection, issue 12, is being added to ObjectsClient separately)")
    pools = collect_pools(pools_server)
    parsed = [parse_identity_pool(p) for p in pools["op-4EY"]]
    assert [(p["pool_id"], p["principal"], p["state"]) for p in parsed] == [
        ("pool-AzXR", "pool-AzXR", "ENABLED"), ("pool-Vk56", "pool-Vk56", "ENABLED")]
    assert [p["display_name"] for p in parsed] == ["My Identity Pool", "My Identity Pool 2"]
    (cert,) = [parse_identity_pool(p) for p in pools["op-abc123"]]
    assert cert["pool_id"] == "pool-def456" and cert["filter"] == "C=='Canada' && O=='Confluent'"


# --- Stream Catalog --------------------------------------------------------------------------------------------
def test_tag_bindings_of_a_schema(local):
    local.answer("/catalog/v1/entity/type/sr_schema/name/lsrc-8wrx70:.:100001/tags", "tag/read_tag_binding.json")
    tags = CatalogClient(http_for(local, "catalog")).entity_tags("sr_schema", "lsrc-8wrx70:.:100001")
    assert [t["typeName"] for t in tags] == ["tag3", "tag1", "tag1234567"]
    assert local.unmatched == []  # the client spelt the recorded qualified name into the path as the API does


@pytest.mark.parametrize(("entity_type", "qualified_name", "recorded"), [
    ("kafka_topic", "lsrc-8wrx70:lkc-m80307:topic_0", "business_metadata/read_created_business_metadata_binding.json"),
    ("sr_schema", "lsrc-nrndwv:.:100001", "business_metadata/read_created_business_metadata_binding_srschema.json"),
])
def test_business_metadata_bindings(local, entity_type, qualified_name, recorded):
    local.answer(f"/catalog/v1/entity/type/{entity_type}/name/{qualified_name}/businessmetadata", recorded)
    (bm,) = CatalogClient(http_for(local, "catalog")).entity_business_metadata(entity_type, qualified_name)
    assert bm["typeName"] == "bm" and bm["attributes"] == {"attr1": "value1", "attr2": "value2"}
    assert (bm["entityType"], bm["entityName"]) == (entity_type, qualified_name)


def test_catalog_404_in_its_own_envelope_is_nothing(local):
    qn = "lsrc-8wrx70:lkc-m80307:gone"
    local.answer(f"/catalog/v1/entity/type/kafka_topic/name/{qn}/businessmetadata",
                 "connector/managed/read_deleted_connector.json", status=404)  # {"error_code":404,"message":…}
    assert CatalogClient(http_for(local, "catalog")).entity_business_metadata("kafka_topic", qn) == []


def test_catalog_snapshot_of_the_recorded_full_entity(local):
    entity = catalog_entity()
    qn = entity["attributes"]["qualifiedName"]
    local.answer("/catalog/v1/search/basic", body=search_page([entity]))
    local.answer(f"/catalog/v1/entity/type/kafka_topic/name/{qn}/tags", body=tag_bindings_of(entity))
    snap = CatalogClient(http_for(local, "catalog")).fetch_snapshot(types=("kafka_topic",))
    (row,) = snap.entities.to_dict("records")
    assert {k: row[k] for k in ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic", "name", "owner",
                                "owner_email")} == {
        "sr_id": "lsrc-stgcq628np", "entity_type": "kafka_topic", "qualified_name": qn,
        "cluster_id": "lkc-stgczn2o3d", "topic": "kostya_table", "name": "kostya_table", "owner": "dev",
        "owner_email": "dev@gmail.com"}
    assert '"maxCompactionLagMs":9223372036854775807' in row["raw"]
    (tag,) = snap.tags.to_dict("records")
    assert (tag["qualified_name"], tag["tag"], json.loads(tag["attributes"])) == (
        qn, "MyTag", {"__color": "DEFAULT_COLOR"})
    assert snap.business_metadata.empty
