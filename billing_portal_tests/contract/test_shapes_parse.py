"""Contract (unit): the product's parsers on the recorded live bodies in `live_shapes/`, without HTTP or database.

Each recorded object goes through the TableSpec parse function the collector uses (`objects.TABLES[...].parse`)
and the frame builder (`normalize.typed_frame`); the assertions are on what the recording says — ids, owners,
resource kinds, endpoints — not only on "no exception". Over HTTP (paging, error mapping, the whole snapshot):
`test_wire_http.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from billing_portal.confluent.catalog import parse_qualified_name
from billing_portal.confluent.normalize import json_text, typed_frame
from billing_portal.confluent.objects import TABLES, scrub_config
from billing_portal_tests.contract.shapes import (
    LIVE_SHAPES,
    RECORDED_API_KEYS,
    SOURCE_FOLDER,
    SOURCE_REPOSITORY,
    all_shapes,
    catalog_entity,
    git_blob_id,
    readme_manifest,
    recorded_api_keys,
    schema_registry_api_key,
    shape,
    shape_bytes,
)

HERE = Path(__file__).parent


def parse(table: str, obj: dict, ctx: dict | None = None) -> dict:
    return TABLES[table].parse(obj, ctx or {})


def frame(table: str, objs: list[dict], ctx: dict | None = None) -> pd.DataFrame:
    spec = TABLES[table]
    rows = [{**parse(table, o, ctx), "raw": json_text(o)} for o in objs]
    return typed_frame(rows, spec.columns, nullable_ints=spec.nullable_ints, datetimes=spec.datetimes)


# --- provenance ----------------------------------------------------------------------------------------------
def test_every_body_is_a_verbatim_copy_listed_here():
    manifest = readme_manifest()
    assert sorted(manifest) == all_shapes(), "live_shapes/README.md must list exactly the files in live_shapes/"
    readme = (LIVE_SHAPES / "README.md").read_text()
    assert SOURCE_REPOSITORY in readme
    for rel, row in manifest.items():
        assert row["source"] == f"{SOURCE_FOLDER}/{rel}", rel  # sub-paths kept
        assert git_blob_id(shape_bytes(rel)) == row["blob"], f"{rel} differs from the recorded body"
    assert len({row["commit"] for row in manifest.values()}) == 1  # one snapshot of the source


def test_every_body_is_exercised_by_a_contract_test():
    sources = "\n".join(p.read_text() for p in HERE.glob("*.py"))
    unused = [rel for rel in all_shapes() if f'"{rel}"' not in sources]
    assert unused == [], f"copied but never used by a contract test: {unused}"


def test_every_json_body_is_json_and_the_html_one_is_html():
    for rel in all_shapes():
        if rel.endswith(".html"):
            assert b"HTTP ERROR 401" in shape_bytes(rel)
        else:
            json.loads(shape_bytes(rel))


# --- API keys of every kind ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "key_id", "resource_id", "display_name"), [
    ("Cloud", "HRVR6K4VMXYD2LDZ", "cloud", "CI Cloud API Key"),
    ("Cluster", "7FJIYKQ4SGQDQ72H", "lkc-zmmq63", "CI Kafka API Key"),
    ("Region", "AK4NBR7MUYHVJMHW", "aws.us-east-1", "CI Flink API Key"),
    ("Global", "GLOBAL6K4VMXYD2LDZ", "global", "CI Global API Key"),
    ("Tableflow", "HRVR6K4VMXYD2LDZ", "tableflow", "CI Tableflow API Key"),
])
def test_recorded_api_key_of_each_kind(kind, key_id, resource_id, display_name):
    row = parse("api_keys", shape(RECORDED_API_KEYS[kind]))
    assert row == {"key_id": key_id, "display_name": display_name, "description": row["description"],
                   "owner_id": "sa-12mgdv", "owner_kind": "ServiceAccount", "resource_id": resource_id,
                   "resource_kind": kind}
    assert row["description"]


@pytest.mark.parametrize("kind", ["SchemaRegistry", "Cluster"])
def test_schema_registry_api_key_derived_from_the_recorded_kafka_key(kind):
    row = parse("api_keys", schema_registry_api_key(kind))
    assert (row["key_id"], row["owner_id"], row["resource_id"], row["resource_kind"]) == \
        ("SRKEY6K4VMXYD2LD", "sa-12mgdv", "lsrc-755ogo", kind)


def test_api_keys_frame_keeps_every_kind_and_the_raw_object():
    keys = frame("api_keys", [*recorded_api_keys(), schema_registry_api_key()])
    assert keys["resource_kind"].tolist() == ["Cloud", "Cluster", "Region", "Global", "Tableflow", "SchemaRegistry"]
    flink = keys[keys["resource_kind"] == "Region"].iloc[0]
    # the Flink key's resource names its environment as a bare string; it is kept in raw
    assert json.loads(flink["raw"])["spec"]["resource"]["environment"] == "env-3732nw"
    assert "secret" not in keys.columns
    assert all('"secret":""' in raw for raw in keys["raw"])  # the recorded key carries an empty secret field


# --- Kafka clusters, environments, users, service accounts ----------------------------------------------------
@pytest.mark.parametrize(("rel", "kind", "availability", "cloud", "region"), [
    ("kafka/read_kafkas.json", "Basic", "SINGLE_ZONE", "GCP", "us-central1"),
    ("kafka/read_created_kafka_standard.json", "Standard", "MULTI_ZONE", "GCP", "us-central1"),
    ("enterprise_kafka/read_created_kafka.json", "Enterprise", "LOW", "AWS", "us-east-2"),
    ("freight_kafka/read_created_kafka.json", "Freight", "LOW", "AWS", "us-east-2"),
])
def test_kafka_cluster_kinds(rel, kind, availability, cloud, region):
    body = shape(rel)
    obj = body["data"][0] if "data" in body else body
    row = parse("kafka_clusters", obj, {"env_id": "env-from-the-request"})
    assert row == {"cluster_id": "lkc-19ynpv", "env_id": "env-1jrymj", "display_name": "TestCluster",
                   "cluster_kind": kind, "availability": availability, "cloud": cloud, "region": region,
                   "cku": None, "phase": "PROVISIONED"}  # eCKU clusters carry max_ecku, not cku


def test_kafka_cluster_list_pages_hold_one_cluster_each():
    ids = [parse("kafka_clusters", o)["cluster_id"] for rel in ("kafka/read_kafkas_page_1.json",
                                                                "kafka/read_kafkas_page_2.json")
           for o in shape(rel)["data"]]
    assert ids == ["lkc-19ynpv", "lkc-29ynpv"]
    assert shape("kafka/read_kafkas_page_1.json")["metadata"]["next"].startswith(
        "https://api.confluent.cloud/cmk/v2/clusters?page_token=")
    assert "next" not in shape("kafka/read_kafkas_page_2.json")["metadata"]


def test_environments_with_and_without_a_governance_package():
    envs = frame("environments", shape("environment/read_envs.json")["data"]).set_index("env_id")
    assert envs.index.tolist() == ["env-ab123", "env-1jrymj"]
    assert envs.loc["env-ab123", "stream_governance_package"] == "ESSENTIALS"
    assert pd.isna(envs.loc["env-1jrymj", "stream_governance_package"])
    assert envs.loc["env-1jrymj", "created_at"] == pd.Timestamp(dt.datetime(2022, 2, 18, 20, 18, 5, 449482,
                                                                             tzinfo=dt.UTC))
    assert shape("apikey/read_list_envs_200.json") == {"api_version": "org/v2", "data": [],
                                                       "kind": "EnvironmentList", "metadata": {}}


def test_users_and_service_accounts():
    users = [parse("users", o) for rel in ("user/read_users_page_1.json", "user/read_users_page_2.json")
             for o in shape(rel)["data"]]
    assert [(u["principal_id"], u["email"], u["full_name"]) for u in users] == [
        ("u-1jjv21", "test1@gmail.com", "Alex #1"), ("u-1jjv22", "test2@gmail.com", "Alex #2"),
        ("u-1jjv23", "test3@gmail.com", "Alex #3")]
    (sa,) = [parse("service_accounts", o) for o in shape("service_account/read_sas.json")["data"]]
    assert sa == {"principal_id": "sa-1jjv26", "display_name": "test_service_account_display_name",
                  "description": "The initial description of service account"}


# --- ksqlDB, Flink compute pools, Schema Registry ---------------------------------------------------------------
def test_ksqldb_clusters():
    rows = [parse("ksqldb_clusters", o, {"env_id": "env-1jrymj"}) for o in shape("ksql/ksql_clusters.json")["data"]]
    assert rows == [
        {"ksqldb_id": "dlz-f3a90de", "display_name": "ksqlDB_cluster_1", "env_id": "env-1jrymj",
         "kafka_cluster_id": "lkc-00000", "credential_identity_id": "u-a83k9b", "csu": 4},
        {"ksqldb_id": "lksql-0000", "display_name": "ksqlDB_cluster_0", "env_id": "env-1jrymj",
         "kafka_cluster_id": "lkc-19ynpv", "credential_identity_id": "u-a83k9b", "csu": 4},
    ]  # ids verbatim, whatever their prefix; kafka_cluster.environment ("string") is not read as the environment


def test_flink_compute_pools():
    rows = [parse("flink_compute_pools", o, {"env_id": "env-asked"})
            for o in shape("compute_pool/read_compute_pools.json")["data"]]
    assert rows == [
        {"pool_id": "lfcp-abc123", "display_name": "flink_compute_pool_0", "env_id": "env-gz903", "cloud": "AWS",
         "region": "us-east-2", "max_cfu": 5},
        {"pool_id": "lfcp-abc456", "display_name": "flink_compute_pool_1", "env_id": "env-gz903", "cloud": "AWS",
         "region": "us-east-2", "max_cfu": 5},
    ]  # the pool's own spec.environment wins over the environment the list was asked for


@pytest.mark.parametrize(("rel", "sr_id", "env_id", "catalog"), [
    ("schema_registry_cluster/read_clusters.json", "lsrc-755ogo", "env-1jrymj",
     "https://psrc-y1113.us-west-2.aws.confluent.cloud"),
    ("schema_registry_cluster/read_clusters_private.json", "lsrc-755ogo", "env-1jrymj",
     "https://psrc-y1113.us-west-2.aws.confluent.cloud"),
    ("schema_registry_cluster/read_clusters_1jnw8z.json", "lsrc-755ogo", "env-1jnw8z",
     "https://psrc-y1113.us-west-2.aws.confluent.cloud"),
    ("schema_registry_cluster/read_clusters_7n1r31.json", "lsrc-756ogo", "env-7n1r31",
     "https://psrc-y1113.us-west-2.aws.confluent.cloud"),
    ("schema_registry_cluster/read_provisioned_clusters.json", "lsrc-755ogo", "env-1jrymj", None),
])
def test_schema_registry_endpoints(rel, sr_id, env_id, catalog):
    (row,) = [parse("schema_registries", o) for o in shape(rel)["data"]]
    assert row == {"sr_id": sr_id, "display_name": "Stream Governance Package", "env_id": env_id,
                   "http_endpoint": "https://psrc-y1111.us-west-2.aws.confluent.cloud",
                   "catalog_http_endpoint": catalog}
    if catalog:
        assert row["catalog_http_endpoint"] != row["http_endpoint"]  # the catalog has its own host


def test_empty_schema_registry_list():
    body = shape("schema_registry_cluster/read_zero_clusters.json")
    assert body["data"] == [] and body["metadata"]["total_size"] == 0 and "next" not in body["metadata"]


# --- connectors map ------------------------------------------------------------------------------------------
def test_managed_connector_without_auth_mode():
    ((name, obj),) = shape("connector/managed/read_created_connectors.json").items()
    assert set(obj) == {"status", "info", "id", "extensions"}
    row = parse("connectors", obj, {"env_id": "env-1jrymj", "cluster_id": "lkc-19ynpv", "name": name})
    assert row == {"connector_id": "lcc-abc123", "connector_name": "test_connector", "env_id": "env-1jrymj",
                   "cluster_id": "lkc-19ynpv", "connector_type": "unknown",
                   "connector_class": "DatagenSourceInternal", "auth_mode": None, "service_account_id": None,
                   "api_key": "****************", "tasks_max": 1, "state": "RUNNING"}


def test_custom_connector_with_api_key_auth():
    ((name, obj),) = shape("connector/custom/read_created_connectors.json").items()
    row = parse("connectors", obj, {"env_id": "env-1jrymj", "cluster_id": "lkc-29ynpv", "name": name})
    assert (row["connector_id"], row["connector_name"], row["connector_type"], row["auth_mode"],
            row["api_key"], row["state"], row["tasks_max"]) == (
        "clcc-gkzo3r", "datagen-plugin-name_2", "source", "KAFKA_API_KEY", "****************", "RUNNING", 1)
    assert row["connector_class"] == "io.confluent.kafka.connect.datagen.DatagenConnector"


def test_connector_secrets_are_masked_in_raw_and_the_key_id_kept():
    for rel in ("connector/managed/read_created_connectors.json", "connector/custom/read_created_connectors.json"):
        for obj in shape(rel).values():
            config = scrub_config(obj["info"]["config"])
            assert config["kafka.api.secret"] == "****"
            assert config["kafka.api.key"] == obj["info"]["config"]["kafka.api.key"]
            assert config["connector.class"] == obj["info"]["config"]["connector.class"]


# --- identity providers and pools ----------------------------------------------------------------------------
def test_identity_provider_and_pool_envelopes():
    providers = shape("identity_provider/read_identity_providers.json")
    assert providers["kind"] == "IdentityProviderList" and "api_version" not in providers
    assert [(p["id"], p["display_name"], p["state"]) for p in providers["data"]] == [
        ("op-4EY", "My OIDC Provider", "ENABLED"), ("op-zmg", "My OIDC Provider 2", "ENABLED")]
    assert "identity_claim" not in providers["data"][1]  # optional on a provider
    pools = shape("identity_pool/read_identity_pools.json")
    assert pools["kind"] == "IdentityPoolList" and set(pools["metadata"]) == {"self"}
    # metadata.self names another host than api.confluent.cloud: never build URLs from it
    assert pools["metadata"]["self"].startswith("https://confluent.cloud/api/")
    assert [(p["id"], p["principal"], p["identity_claim"]) for p in pools["data"]] == [
        ("pool-AzXR", "pool-AzXR", "claims.sub"), ("pool-Vk56", "pool-Vk56", "claims.sub")]
    certs = shape("certificate_pool/list_certificate_pools.json")
    assert certs["kind"] == "CertificateIdentityPoolList"
    assert [(p["id"], p["external_identifier"]) for p in certs["data"]] == [("pool-def456", "UID")]


def _parse_identity_pool():
    from billing_portal.confluent import objects

    fn = getattr(objects, "parse_identity_pool", None)
    if fn is None:
        pytest.skip("billing_portal.confluent.objects.parse_identity_pool does not exist yet (identity-pool "
                    "collection, issue 12, is being added to ObjectsClient separately)")
    return fn


IDENTITY_POOL_KEYS = {"pool_id", "display_name", "description", "identity_claim", "filter", "principal", "state",
                      "provider_id"}


def test_parse_identity_pool_on_recorded_oauth_and_mtls_pools():
    parse_identity_pool = _parse_identity_pool()
    oauth = [parse_identity_pool(o) for o in shape("identity_pool/read_identity_pools.json")["data"]]
    assert all(set(p) == IDENTITY_POOL_KEYS for p in oauth)
    first = oauth[0]
    assert (first["pool_id"], first["display_name"], first["identity_claim"], first["principal"],
            first["state"]) == ("pool-AzXR", "My Identity Pool", "claims.sub", "pool-AzXR", "ENABLED")
    assert first["description"] == "Prod Access to Kafka clusters to Release Engineering"
    assert first["filter"] == 'claims.aud=="confluent" && claims.group!="invalid_group"'
    assert [p["pool_id"] for p in oauth] == ["pool-AzXR", "pool-Vk56"]
    (cert,) = [parse_identity_pool(o) for o in shape("certificate_pool/list_certificate_pools.json")["data"]]
    assert set(cert) == IDENTITY_POOL_KEYS
    assert (cert["pool_id"], cert["display_name"], cert["filter"]) == (
        "pool-def456", "my-certificate-pool", "C=='Canada' && O=='Confluent'")


# --- catalog ---------------------------------------------------------------------------------------------------
def test_catalog_names_in_recorded_bindings_and_entity():
    (bm,) = shape("business_metadata/read_created_business_metadata_binding.json")
    assert parse_qualified_name(bm["entityName"], bm["entityType"]) == ("lsrc-8wrx70", "lkc-m80307", "topic_0")
    assert bm["attributes"] == {"attr1": "value1", "attr2": "value2"}
    (schema_bm,) = shape("business_metadata/read_created_business_metadata_binding_srschema.json")
    assert parse_qualified_name(schema_bm["entityName"], schema_bm["entityType"]) == ("lsrc-nrndwv", None, None)
    tags = shape("tag/read_tag_binding.json")
    assert {parse_qualified_name(t["entityName"], t["entityType"]) for t in tags} == {("lsrc-8wrx70", None, None)}
    entity = catalog_entity()
    sr_id, cluster_id, topic = parse_qualified_name(entity["attributes"]["qualifiedName"], entity["typeName"])
    assert (sr_id, cluster_id, topic) == ("lsrc-stgcq628np", "lkc-stgczn2o3d", "kostya_table")
    assert entity["attributes"]["tenant"] == sr_id  # the catalog's own tenant field agrees with the parsed name


def test_catalog_entity_raw_keeps_64_bit_integers():
    raw = json_text(catalog_entity())
    assert re.search(r'"maxCompactionLagMs":9223372036854775807\b', raw)
