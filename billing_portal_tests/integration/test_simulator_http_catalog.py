"""The Stream Catalog over HTTP: each environment's Schema Registry at its own catalog endpoint with its own key
(the root /catalog/v1 is the first environment's registry, with the simulator's single SR key)."""

import pytest
import requests

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.catalog import build_catalog
from billing_portal.simulator.testing import SR_AUTH, fixed_clock, sr_credentials

MODEL = build_model(42, "small")


@pytest.fixture(scope="module")
def sim():
    with start_simulator(port=0, clock=fixed_clock(), model=MODEL) as handle:
        yield handle


def base(sim, sr_id: str) -> str:
    return f"{sim.url}/catalog-sr/{sr_id}"


def search_one(sim, sr_id: str, **params):
    r = requests.get(base(sim, sr_id) + "/catalog/v1/search/basic", params=params, auth=sr_credentials(sr_id))
    assert r.status_code == 200, r.text
    return r.json()


def search(sim, **params):
    """Every registry's answer, entities concatenated (each registry holds its environment's entities only)."""
    docs = [search_one(sim, sr.id, **params) for sr in MODEL.schema_registries]
    out = dict(docs[0])
    entities = [e for d in docs for e in d.get("entities", [])]
    if entities or any("entities" in d for d in docs):
        out["entities"] = entities
    return out


def registry_of(topic):
    return MODEL.schema_registry_by_env[MODEL.cluster_by_id[topic.cluster_id].env_id]


def qualified(topic):
    cluster = MODEL.cluster_by_id[topic.cluster_id]
    return f"{MODEL.schema_registry_by_env[cluster.env_id].id}:{cluster.id}:{topic.name}"


def test_offset_paging_returns_every_topic_once(sim):
    names = []
    for sr in MODEL.schema_registries:
        offset = 0
        while True:
            doc = search_one(sim, sr.id, type="kafka_topic", limit=10, offset=offset)
            assert doc["searchParameters"]["limit"] == 10 and doc["searchParameters"]["offset"] == offset
            page = doc.get("entities", [])
            names += [e["attributes"]["qualifiedName"] for e in page]
            assert all(n.startswith(sr.id + ":") for n in names[-len(page):]) if page else True
            if len(page) < 10:
                break
            offset += 10
    assert sorted(names) == sorted(qualified(t) for t in MODEL.topics)
    assert len(set(names)) == len(names)


def test_topic_entity_shape(sim):
    entities = search(sim, type="kafka_topic", limit=500)["entities"]
    by_qn = {qualified(t): t for t in MODEL.topics}
    for e in entities:
        topic = by_qn[e["attributes"]["qualifiedName"]]
        assert e["typeName"] == "kafka_topic" and e["status"] == "ACTIVE" and e["guid"]
        assert e["attributes"]["name"] == topic.name == e["displayText"]
        assert e["attributes"]["owner"] == topic.owner
        assert e["attributes"].get("ownerEmail") == topic.owner_email
        assert e["classificationNames"] == list(topic.tags)


def test_types_parameter_and_logical_clusters(sim):
    doc = search(sim, types="kafka_logical_cluster", limit=500)
    qns = {e["attributes"]["qualifiedName"] for e in doc["entities"]}
    assert qns == {f"{MODEL.schema_registry_by_env[c.env_id].id}:{c.id}" for c in MODEL.kafka_clusters}
    assert {e["typeName"] for e in search(sim, limit=500)["entities"]} == {"kafka_topic", "kafka_logical_cluster",
                                                                            "sr_schema"}


def test_empty_search_has_no_entities_key_live(sim):
    doc = search(sim, type="kafka_connector")
    assert "entities" not in doc and doc["searchParameters"]["typeName"] == "kafka_connector"


def test_schema_entities_in_each_registry_with_owner_tags(sim):
    """Schemas are sr_schema entities named lsrc-…:.:<id> in their environment's registry; most carry a team tag."""
    catalog = build_catalog(MODEL)
    seen = 0
    for sr in MODEL.schema_registries:
        want = {e.qualified_name: e for e in catalog.of(sr.id) if e.type_name == "sr_schema"}
        got = search_one(sim, sr.id, type="sr_schema", limit=500).get("entities", [])
        assert {e["attributes"]["qualifiedName"] for e in got} == set(want)
        for e in got:
            qn = e["attributes"]["qualifiedName"]
            assert qn.startswith(f"{sr.id}:.:") and e["typeName"] == "sr_schema"
            assert e["classificationNames"] == list(want[qn].tags)
        seen += len(got)
    tagged = [e for e in catalog.entities if e.type_name == "sr_schema" and e.tags]
    assert seen and 0 < len(tagged) < seen


def test_tags_and_business_metadata(sim):
    tagged = next(t for t in MODEL.topics if t.tags)
    sr = registry_of(tagged).id
    r = requests.get(f"{base(sim, sr)}/catalog/v1/entity/type/kafka_topic/name/{qualified(tagged)}/tags",
                     auth=sr_credentials(sr))
    assert [t["typeName"] for t in r.json()] == list(tagged.tags)
    assert all(t["entityName"] == qualified(tagged) and t["entityType"] == "kafka_topic" for t in r.json())
    # business metadata exists only on ADVANCED registries
    with_bm = next(t for t in MODEL.topics if t.business_metadata and registry_of(t).package == "ADVANCED")
    sr = registry_of(with_bm).id
    r = requests.get(f"{base(sim, sr)}/catalog/v1/entity/type/kafka_topic/name/{qualified(with_bm)}"
                     "/businessmetadata", auth=sr_credentials(sr))
    (bm,) = r.json()
    assert bm["typeName"] == "cost_allocation" and bm["attributes"] == with_bm.business_metadata
    essentials = next(t for t in MODEL.topics if t.business_metadata and registry_of(t).package != "ADVANCED")
    sr = registry_of(essentials).id
    r = requests.get(f"{base(sim, sr)}/catalog/v1/entity/type/kafka_topic/name/{qualified(essentials)}"
                     "/businessmetadata", auth=sr_credentials(sr))
    assert r.json() == []
    cluster_id, info = next((k, v) for k, v in MODEL.cluster_catalog.items() if v.business_metadata
                            and MODEL.schema_registry_by_env[MODEL.cluster_by_id[k].env_id].package == "ADVANCED")
    cluster = MODEL.cluster_by_id[cluster_id]
    sr = MODEL.schema_registry_by_env[cluster.env_id].id
    r = requests.get(f"{base(sim, sr)}/catalog/v1/entity/type/kafka_logical_cluster/name/{sr}:{cluster_id}"
                     "/businessmetadata", auth=sr_credentials(sr))
    assert r.json()[0]["attributes"] == info.business_metadata
    # another registry's entity is not in this registry's catalog
    other = next(s for s in MODEL.schema_registries if s.id != sr)
    r = requests.get(f"{base(sim, other.id)}/catalog/v1/entity/type/kafka_logical_cluster/name/{sr}:{cluster_id}"
                     "/businessmetadata", auth=sr_credentials(other.id))
    assert r.status_code == 404


def test_bare_cluster_id_returns_nothing_and_unknown_names_404(sim):
    lkc = MODEL.kafka_clusters[0].id
    for kind in ("tags", "businessmetadata"):
        r = requests.get(f"{sim.url}/catalog/v1/entity/type/kafka_logical_cluster/name/{lkc}/{kind}", auth=SR_AUTH)
        assert r.status_code == 200 and r.json() == []
    r = requests.get(f"{sim.url}/catalog/v1/entity/type/kafka_topic/name/lsrc-x:lkc-y:nope/tags", auth=SR_AUTH)
    assert r.status_code == 404
    assert set(r.json()) == {"error_code", "message"} and r.json()["error_code"] == 4040
    r = requests.get(f"{sim.url}/catalog/v1/nothing", auth=SR_AUTH)
    assert r.status_code == 404 and r.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}


def test_type_definitions(sim):
    tagdefs = requests.get(sim.url + "/catalog/v1/types/tagdefs", auth=SR_AUTH).json()
    names = {d["name"] for d in tagdefs}
    assert names >= {t for topic in MODEL.topics for t in topic.tags} and "PII" in names
    advanced = next(s for s in MODEL.schema_registries if s.package == "ADVANCED")
    (bm,) = requests.get(base(sim, advanced.id) + "/catalog/v1/types/businessmetadatadefs",
                         auth=sr_credentials(advanced.id)).json()
    assert bm["name"] == "cost_allocation"
    assert {a["name"] for a in bm["attributeDefs"]} == {"business_unit", "cost_center", "team", "owner",
                                                        "business_product"}


def test_limit_validation(sim):
    r = requests.get(sim.url + "/catalog/v1/search/basic", params={"limit": "lots"}, auth=SR_AUTH)
    assert r.status_code == 400 and r.json()["error_code"] == 400
