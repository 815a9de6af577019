"""ObjectsClient against fixture org/iam/cmk/srcm/ksqldbcm/fcpm/connect endpoints written from the reference."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from billing_portal.confluent.objects import ENV_LISTS, ORG_LISTS, TABLES, ObjectsClient
from billing_portal.errors import ConfluentAuthError
from billing_portal_tests.confluent_fixtures import (
    FixtureServer,
    Recorded,
    Reply,
    confluent_error,
    envelope_handler,
    http_for,
    load,
    warehouse_columns,
)


def serve_objects(server: FixtureServer, objects: dict, connectors: dict[str, dict | None], page_size: int = 2):
    for name, path in ORG_LISTS.items():
        server.route("GET", path, envelope_handler(objects[name], base_url=server.url, path=path,
                                                   page_size=page_size))
    for name, path in ENV_LISTS.items():
        def handler(req: Recorded, name=name, path=path) -> Reply:
            env = req.param("environment")
            if not env:
                return confluent_error(400, "environment is required", "invalid_filter")
            if env not in objects[name]:
                return confluent_error(404, "Not Found", "not_found")  # product not enabled there
            return envelope_handler(objects[name][env], base_url=server.url, path=path, page_size=page_size)(req)
        server.route("GET", path, handler)
    for (env, cluster), body in connectors.items():
        path = f"/connect/v1/environments/{env}/clusters/{cluster}/connectors"
        if body is None:
            server.replies("GET", path, confluent_error(404, "Not Found"))
        else:
            server.json("GET", path, body)


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


@pytest.fixture
def snapshot(server):
    serve_objects(server, load("objects.json"), {("env-a1", "lkc-m80307"): load("connectors.json"),
                                                 ("env-a1", "lkc-std001"): {},
                                                 ("env-b2", "lkc-dev001"): None})
    return ObjectsClient(http_for(server), max_workers=4).fetch_snapshot(dt.date(2024, 5, 1))


def test_every_frame_has_exactly_the_warehouse_columns(snapshot):
    for name in TABLES:
        frame = getattr(snapshot, name)
        assert list(frame.columns) == [c for c in warehouse_columns(name)
                                       if c not in ("snapshot_date", "before_first_observation")], name
    assert list(snapshot.quarantine.columns) == [c for c in warehouse_columns("quarantine_rows")
                                                 if c != "collected_at"]


def test_org_wide_lists_across_pages(snapshot, server):
    assert snapshot.organizations["org_id"].tolist() == ["9a3e0c6f-1111-4e2b-9d5f-0f6c2a1b3c4d"]
    envs = snapshot.environments.set_index("env_id")
    assert envs.index.tolist() == ["env-a1", "env-b2", "env-c3"]
    assert envs.loc["env-a1", "stream_governance_package"] == "ADVANCED"
    assert envs.loc["env-a1", "created_at"] == dt.datetime(2023, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    assert str(snapshot.environments["created_at"].dtype).endswith("UTC]")
    assert len(server.calls("/org/v2/environments")) == 2  # page size 2 in the fixture → 2 pages
    assert snapshot.service_accounts.set_index("principal_id").loc["sa-xxx", "description"] == "Owner: bob@acme.com"
    assert snapshot.users.iloc[0][["principal_id", "email", "full_name"]].tolist() == ["u-123", "alice@acme.com",
                                                                                       "Alice A"]
    keys = snapshot.api_keys.set_index("key_id")
    assert keys.loc["ABCDEFGH12345678", ["owner_id", "owner_kind", "resource_id", "resource_kind"]].tolist() == [
        "sa-yyy", "ServiceAccount", "lkc-m80307", "Cluster"]


def test_environment_scoped_lists_iterate_every_environment(snapshot, server):
    for path in ENV_LISTS.values():
        envs = sorted(c.param("environment") for c in server.calls(path) if c.param("page_token") is None)
        assert envs == ["env-a1", "env-b2", "env-c3"], path
    clusters = snapshot.kafka_clusters.set_index("cluster_id")
    assert clusters.index.tolist() == ["lkc-dev001", "lkc-m80307", "lkc-std001"]
    assert clusters.loc["lkc-m80307", ["env_id", "cluster_kind", "availability", "cloud", "region", "cku",
                                       "phase"]].tolist() == ["env-a1", "Dedicated", "MULTI_ZONE", "AWS",
                                                              "us-east-1", 2, "PROVISIONED"]
    assert str(snapshot.kafka_clusters["cku"].dtype) == "Int64"
    assert snapshot.kafka_clusters["cku"].isna().sum() == 2
    k = snapshot.ksqldb_clusters.iloc[0]
    assert [k["ksqldb_id"], k["kafka_cluster_id"], k["credential_identity_id"], k["csu"]] == [
        "lksqlc-1", "lkc-m80307", "sa-yyy", 4]
    f = snapshot.flink_compute_pools.iloc[0]
    assert [f["pool_id"], f["cloud"], f["region"], f["max_cfu"], f["env_id"]] == ["lfcp-1", "AWS", "us-east-1", 10,
                                                                                  "env-a1"]
    sr = snapshot.schema_registries.iloc[0]
    assert sr["sr_id"] == "lsrc-8wrx70" and sr["catalog_http_endpoint"].startswith("https://psrc-")


def test_connectors_are_parsed_from_the_map(snapshot, server):
    conns = snapshot.connectors.set_index("connector_id")
    assert conns.index.tolist() == ["lcc-abc123", "lcc-def456"]
    pg = conns.loc["lcc-abc123"]
    assert [pg["connector_name"], pg["env_id"], pg["cluster_id"], pg["connector_type"], pg["connector_class"],
            pg["auth_mode"], pg["service_account_id"], pg["tasks_max"], pg["state"]] == [
        "pg-sink", "env-a1", "lkc-m80307", "sink", "PostgresSink", "SERVICE_ACCOUNT", "sa-xxx", 1, "RUNNING"]
    s3 = conns.loc["lcc-def456"]
    assert [s3["auth_mode"], s3["api_key"], s3["tasks_max"], s3["state"]] == ["KAFKA_API_KEY", "ABCDEFGH12345678",
                                                                              4, "PAUSED"]
    raw = json.loads(pg["raw"])
    assert raw["info"]["config"]["connection.password"] == "****"
    assert "hunter2" not in snapshot.connectors["raw"].str.cat()
    call = server.calls("/connect/v1/environments/env-a1/clusters/lkc-m80307/connectors")[0]
    assert call.param("expand") == "info,status,id"
    # lkc-dev001 answered 404 → no connectors, not an error
    assert len(server.calls("/connect/v1/environments/env-b2/clusters/lkc-dev001/connectors")) == 1


def test_raw_keeps_each_object(snapshot):
    objects = load("objects.json")
    assert json.loads(snapshot.environments.set_index("env_id").loc["env-a1", "raw"]) == objects["environments"][0]
    assert snapshot.quarantine.empty and snapshot.stats["kafka_clusters"] == 3


def test_objects_without_id_and_conflicting_duplicates_are_quarantined(server):
    objects = load("objects.json")
    objects["service_accounts"] += [{"display_name": "no id"}, dict(objects["service_accounts"][0]),
                                    {**objects["service_accounts"][0], "display_name": "changed"}]
    serve_objects(server, objects, {})
    snap = ObjectsClient(http_for(server)).fetch_snapshot(dt.date(2024, 5, 1))
    assert snap.service_accounts["principal_id"].tolist() == ["sa-xxx", "sa-yyy"]
    reasons = sorted(snap.quarantine["reason"])
    assert reasons[0].startswith("duplicate_id: sa-xxx") and reasons[1].startswith("missing_id")
    assert set(snap.quarantine["usage_date"]) == {dt.date(2024, 5, 1)}
    assert snap.stats["duplicates"] == 1


def test_connectors_are_listed_concurrently_with_a_bounded_pool(server):
    objects = load("objects.json")
    objects["kafka_clusters"]["env-a1"] = [
        {"id": f"lkc-{i:03d}", "spec": {"environment": {"id": "env-a1"}}} for i in range(12)]
    serve_objects(server, objects, {}, page_size=99)
    active, peak, lock = [0], [0], threading.Lock()

    def slow(req):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        import time
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return Reply(200, {})

    for i in range(12):
        server.route("GET", f"/connect/v1/environments/env-a1/clusters/lkc-{i:03d}/connectors", slow)
    ObjectsClient(http_for(server), max_workers=3).fetch_snapshot()
    assert 2 <= peak[0] <= 3


def test_a_forbidden_list_names_the_role(server):
    serve_objects(server, load("objects.json"), {})
    server.replies("GET", "/iam/v2/api-keys", Reply(403, {"errors": [{"status": "403", "code": "forbidden_access",
                                                                       "detail": "Forbidden Access"}]}))
    with pytest.raises(ConfluentAuthError, match="OrganizationAdmin"):
        ObjectsClient(http_for(server)).fetch_snapshot()
