"""The deterministic org generator: determinism, scale figures, and the edge cases the pipeline must meet."""

import re
from datetime import date

import numpy as np
import orjson
import pytest

from billing_portal.simulator import build_model, estimate_day
from billing_portal.simulator.model import MASKED_KEY
from billing_portal.simulator.scales import SCALES

DAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def small():
    return build_model(42, "small")


def test_same_seed_same_org_usage_and_bill():
    a, b = build_model(7, "small"), build_model(7, "small")
    assert [c.__dict__ for c in a.kafka_clusters] == [c.__dict__ for c in b.kafka_clusters]
    assert [k.__dict__ for k in a.api_keys] == [k.__dict__ for k in b.api_keys]
    assert a.principal_ids == b.principal_ids
    ua, ub = a.usage(DAY), b.usage(DAY)
    assert np.array_equal(ua.request_bytes, ub.request_bytes)
    assert np.array_equal(ua.topic_retained, ub.topic_retained)
    assert orjson.dumps(a.bill(DAY).rows) == orjson.dumps(b.bill(DAY).rows)


def test_different_seed_or_day_differs():
    a, b = build_model(1, "small"), build_model(2, "small")
    assert {c.id for c in a.kafka_clusters}.isdisjoint({c.id for c in b.kafka_clusters})
    ua, ub = a.usage(DAY), a.usage(date(2024, 6, 2))
    assert not np.array_equal(ua.request_bytes, ub.request_bytes)


def test_small_scale_figures(small):
    assert 3 <= len(small.environments) <= 4
    assert 6 <= len(small.kafka_clusters) <= 8
    assert 25 <= len(small.service_accounts) + len(small.users) + len(small.identity_pools) <= 40
    assert {c.kind for c in small.kafka_clusters} == {"Basic", "Standard", "Enterprise", "Dedicated"}
    assert all((c.cku or 0) >= 1 for c in small.kafka_clusters if c.kind == "Dedicated")
    assert all(c.cku is None for c in small.kafka_clusters if c.kind != "Dedicated")
    assert len(small.connectors) >= 3 and len(small.ksqldb_clusters) >= 1 and len(small.flink_pools) >= 1
    assert len(small.schema_registries) == len(small.environments)


def test_medium_scale_meets_minimums():
    m = build_model(42, "medium")
    assert len(m.kafka_clusters) >= 30
    assert len(m.principal_ids) >= 400
    assert estimate_day(m, DAY).total >= 100_000


def test_large_scale_meets_minimums():
    m = build_model(42, "large")
    assert len(m.kafka_clusters) >= 200
    assert len(m.principal_ids) >= 2000
    assert m.connectors and m.ksqldb_clusters and m.flink_pools
    est = estimate_day(m, DAY)
    assert est.total >= 1_000_000
    busy = len(m.kafka_clusters) - m.scale.idle_clusters
    assert est.active_pair_hours / (busy * 24) >= 40  # active principals per cluster-hour


def test_owner_hints_present_and_absent(small):
    envs = [e.display_name for e in small.environments]
    assert any("-owner-" in n for n in envs) and any("-owner-" not in n for n in envs)
    assert all(e.display_name == f"env-{e.display_name.split('-')[1]}-owner-{e.owner_hint}"
               for e in small.environments if e.owner_hint)
    clusters = [c.display_name for c in small.kafka_clusters]
    assert any(n.startswith("kafka-") and "-owner-" in n for n in clusters)
    assert any("-owner-" not in n for n in clusters)
    descriptions = [s.description for s in small.service_accounts]
    assert any(d.startswith("Owner: ") and d.endswith("@company.com") for d in descriptions)
    assert any(not d.startswith("Owner: ") for d in descriptions)
    assert {e.sg_package for e in small.environments} == {"ESSENTIALS", "ADVANCED"}
    assert any("-owner-" in f.display_name for f in small.flink_pools)


def test_principals_with_and_without_keys(small):
    with_traffic = small.principals_with_traffic()
    key_owners = {k.owner_id for k in small.api_keys}
    pools = {p.id for p in small.identity_pools}
    assert pools & with_traffic, "identity pools appear as principals in metrics"
    assert not pools & key_owners
    assert with_traffic - key_owners - pools, "some service accounts have traffic but no key"
    assert key_owners - with_traffic, "some key owners never produce traffic"
    listed = {s.id for s in small.service_accounts} | {u.id for u in small.users} | pools
    assert small.deleted_service_account_id in with_traffic
    assert small.deleted_service_account_id not in listed


def test_api_key_kinds(small):
    assert {k.resource_kind for k in small.api_keys} == {"Cluster", "Cloud", "SchemaRegistry"}
    assert {k.owner_kind for k in small.api_keys} == {"ServiceAccount", "User"}
    sr_ids = {s.id for s in small.schema_registries}
    assert all(k.resource_id in sr_ids for k in small.api_keys if k.resource_kind == "SchemaRegistry")
    assert len({k.id for k in small.api_keys}) == len(small.api_keys)
    assert all(re.fullmatch(r"[A-Z0-9]{16}", k.id) for k in small.api_keys)


def test_connectors_cover_every_auth_mode(small):
    keys = {k.id: k for k in small.api_keys}
    by_mode = {}
    for c in small.connectors:
        mode = "MASKED" if c.api_key_shown == MASKED_KEY and c.auth_mode == "KAFKA_API_KEY" else c.auth_mode
        by_mode.setdefault(mode, []).append(c)
    assert set(by_mode) == {"SERVICE_ACCOUNT", "KAFKA_API_KEY", "MASKED"}
    for c in by_mode["SERVICE_ACCOUNT"]:
        assert c.service_account_id == c.principal_id
    for c in by_mode["KAFKA_API_KEY"]:
        assert keys[c.api_key_shown].owner_id == c.principal_id
        assert keys[c.api_key_shown].resource_id == c.cluster_id
    traffic = {(small.kafka_clusters[ci].id, small.principal_ids[pi])
               for ci, pi in zip(small.usage_profile.cluster, small.usage_profile.principal, strict=True)}
    for c in small.connectors:
        assert (c.cluster_id, c.principal_id) in traffic
    for k in small.ksqldb_clusters:
        assert (k.kafka_cluster_id, k.credential_identity) in traffic


def test_idle_clusters_have_no_traffic(small):
    idle = [small.cluster_index[c.id] for c in small.kafka_clusters if c.idle]
    assert idle
    usage = small.usage(DAY)
    for ci in idle:
        assert usage.cluster_request_total[ci] == 0 and usage.cluster_response_total[ci] == 0
        assert usage.cluster_retained_hour_sum[ci] > 0  # still stores data


def test_catalog_annotations(small):
    tags = {t for topic in small.topics for t in topic.tags}
    assert "PII" in tags
    assert any(t.startswith("team_") for t in tags) and any(t.startswith("cost_center_") for t in tags)
    bm_keys = {"business_unit", "cost_center", "team", "owner", "business_product"}
    assert any(t.business_metadata and set(t.business_metadata) == bm_keys for t in small.topics)
    assert any(i.business_metadata and set(i.business_metadata) == bm_keys for i in small.cluster_catalog.values())
    assert any(i.tags for i in small.cluster_catalog.values())
    per_cluster = {}
    for t in small.topics:
        per_cluster.setdefault(t.cluster_id, set()).add(t.name)
    assert set(per_cluster) == {c.id for c in small.kafka_clusters}
    assert sum(len(v) for v in per_cluster.values()) == len(small.topics)  # names unique within a cluster


def test_usage_frame_matches_arrays(small):
    frame = small.usage_frame(DAY)
    usage = small.usage(DAY)
    assert int(frame["request_bytes"].sum()) == int(usage.request_bytes.sum())
    assert int(frame["response_bytes"].sum()) == int(usage.response_bytes.sum())
    assert frame["hour"].dt.hour.nunique() == 24


def test_scales_are_named():
    assert set(SCALES) == {"small", "medium", "large"}
    with pytest.raises(ValueError, match="unknown scale"):
        build_model(1, "huge")
