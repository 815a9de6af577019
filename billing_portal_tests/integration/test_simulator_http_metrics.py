"""The telemetry query API over HTTP: FLAT/GROUPED rows, group paging with identical bodies, validation."""

from datetime import date

import numpy as np
import pytest
import requests

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, fixed_clock

QUERY = "/v2/metrics/cloud/query"
DAY = date(2024, 6, 1)
MODEL = build_model(42, "small")


@pytest.fixture(scope="module")
def sim():
    # query semantics on a fixed past day, in the spec's shapes: metrics kept forever here, and the live flavour's
    # quirks (no meta, zero points, timestamps without milliseconds) have their own tests
    with start_simulator(port=0, clock=fixed_clock(), model=MODEL, metrics_retention_days=0,
                         flavor="spec") as handle:
        yield handle


def body(metric="request_bytes", clusters=(), group_by=("metric.principal_id",), limit=1000, **extra):
    filters = [{"field": "resource.kafka.id", "op": "EQ", "value": c} for c in clusters]
    flt = filters[0] if len(filters) == 1 else {"op": "OR", "filters": filters}
    return {"aggregations": [{"metric": f"io.confluent.kafka.server/{metric}"}], "filter": flt,
            "group_by": list(group_by), "granularity": "PT1H",
            "intervals": ["2024-06-01T00:00:00Z/2024-06-02T00:00:00Z"], "limit": limit, "format": "FLAT", **extra}


def fetch_all(sim, query):
    rows, pages, token = [], 0, None
    while True:
        url = sim.url + QUERY + (f"?page_token={token}" if token else "")
        r = requests.post(url, json=query, auth=CLOUD_AUTH)
        assert r.status_code == 200, r.text
        doc = r.json()
        rows += doc["data"]
        pages += 1
        assert doc["meta"]["pagination"]["page_size"] == query["limit"]
        token = doc["meta"]["pagination"].get("next_page_token")
        if not token:
            return rows, pages


def truth(model, field="request_bytes"):
    """{(cluster, principal, hour): bytes} for the day, active hours only."""
    u = model.usage(DAY)
    values = getattr(u, field)
    out = {}
    for pair, hour in zip(*np.nonzero(values), strict=True):
        c = model.kafka_clusters[model.usage_profile.cluster[pair]].id
        p = model.principal_ids[model.usage_profile.principal[pair]]
        out[(c, p, int(hour))] = int(values[pair, hour])
    return out


def busy_ids():
    return [c.id for c in MODEL.kafka_clusters if not c.idle]


def test_one_request_covers_many_clusters_and_matches_ground_truth(sim):
    for field in ("request_bytes", "response_bytes"):
        rows, pages = fetch_all(sim, body(field, busy_ids(), ["resource.kafka.id", "metric.principal_id"],
                                          limit=7))
        got = {(r["resource.kafka.id"], r["metric.principal_id"], int(r["timestamp"][11:13])): r["value"]
               for r in rows}
        assert len(got) == len(rows)
        assert got == truth(MODEL, field)
        assert pages > 1


def test_flat_row_shape_and_order(sim):
    rows, _ = fetch_all(sim, body(clusters=busy_ids()[:1]))
    assert rows
    for row in rows:
        assert row["timestamp"].endswith(":00:00.000Z")
        assert isinstance(row["value"], float)
        assert list(row)[0] == "timestamp" and list(row)[-1] == "value"
    by_principal = {}
    for row in rows:
        by_principal.setdefault(row["metric.principal_id"], []).append(row["timestamp"])
    for stamps in by_principal.values():
        assert stamps == sorted(stamps, reverse=True), "points within a group come newest first"
    assert list(by_principal) == sorted(by_principal), "groups come in label order, contiguously"


def test_extra_principal_name_key_for_users(sim):
    cluster = next(c for c in busy_ids()
                   if any(MODEL.principal_ids[p].startswith("u-")
                          for p in MODEL.usage_profile.principal[MODEL.pairs_of_cluster(c)]))
    rows, _ = fetch_all(sim, body(clusters=[cluster]))
    users = [r for r in rows if r["metric.principal_id"].startswith("u-")]
    assert users and all(r["principal_name"] == MODEL.user_by_id[r["metric.principal_id"]].full_name
                         for r in users)
    assert all("principal_name" not in r for r in rows if not r["metric.principal_id"].startswith("u-"))


def test_principal_kinds_in_metrics(sim):
    rows, _ = fetch_all(sim, body(clusters=busy_ids()))
    principals = {r["metric.principal_id"] for r in rows}
    assert any(p.startswith("sa-") for p in principals)
    assert any(p.startswith("u-") for p in principals)
    assert any(p.startswith("pool-") for p in principals)
    assert MODEL.deleted_service_account_id in principals


def test_limit_caps_groups_not_rows(sim):
    query = body(clusters=busy_ids()[:1], limit=2)
    doc = requests.post(sim.url + QUERY, json=query, auth=CLOUD_AUTH).json()
    assert len({r["metric.principal_id"] for r in doc["data"]}) == 2
    assert len(doc["data"]) > 2


def test_page_token_requires_the_identical_body(sim):
    query = body(clusters=busy_ids()[:1], limit=2)
    token = requests.post(sim.url + QUERY, json=query, auth=CLOUD_AUTH).json()["meta"]["pagination"][
        "next_page_token"]
    other = dict(query, granularity="P1D")
    r = requests.post(f"{sim.url}{QUERY}?page_token={token}", json=other, auth=CLOUD_AUTH)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_page_token"


def test_grouped_format(sim):
    query = body(clusters=busy_ids()[:1], format="GROUPED")
    doc = requests.post(sim.url + QUERY, json=query, auth=CLOUD_AUTH).json()
    flat, _ = fetch_all(sim, body(clusters=busy_ids()[:1]))
    assert sum(len(g["points"]) for g in doc["data"]) == len(flat)
    assert all(set(g) - {"principal_name"} == {"metric.principal_id", "points"} for g in doc["data"])


def test_topic_metrics(sim):
    cluster = busy_ids()[0]
    rows, _ = fetch_all(sim, body("received_bytes", [cluster], ["metric.topic"]))
    topics = {t.name for t in MODEL.topics if t.cluster_id == cluster}
    assert {r["metric.topic"] for r in rows} <= topics
    assert sum(r["value"] for r in rows) == MODEL.usage(DAY).cluster_request_total[MODEL.cluster_index[cluster]]
    rows, _ = fetch_all(sim, body("retained_bytes", [cluster], ["metric.topic"]))
    assert {r["metric.topic"] for r in rows} == topics


@pytest.mark.parametrize("change, parameter", [
    ({"filter": None}, "filter"),
    ({"filter": {"field": "metric.principal_id", "op": "EQ", "value": "sa-x"}}, "filter"),
    ({"limit": 1001}, "limit"),
    ({"granularity": "PT1M"}, "granularity"),
    ({"group_by": ["metric.topic"]}, "group_by"),
])
def test_validation_400s(sim, change, parameter):
    query = body(clusters=busy_ids()[:1]) | change
    r = requests.post(sim.url + QUERY, json=query, auth=CLOUD_AUTH)
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["status"] == "400" and error["source"] == {"parameter": parameter}


def test_bad_body_and_dataset(sim):
    r = requests.post(sim.url + QUERY, data=b"{not json", auth=CLOUD_AUTH,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = requests.post(sim.url + "/v2/metrics/health-plus/query", json=body(clusters=busy_ids()[:1]),
                      auth=CLOUD_AUTH)
    assert r.status_code == 404


def test_idle_cluster_has_no_data(sim):
    idle = next(c.id for c in MODEL.kafka_clusters if c.idle)
    doc = requests.post(sim.url + QUERY, json=body(clusters=[idle]), auth=CLOUD_AUTH).json()
    assert doc == {"data": [], "meta": {"pagination": {"page_size": 1000}}}
