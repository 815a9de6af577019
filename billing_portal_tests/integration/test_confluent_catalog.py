"""CatalogClient against a fixture Stream Catalog: offset paging, tags (inline in search results as live: with their
attributes in `classifications`, or names only in `classificationNames`; read per entity only when neither is
there), business metadata, 404s, pacing."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import unquote

import pytest

from billing_portal.confluent.catalog import CatalogClient
from billing_portal.errors import ConfluentApiError
from billing_portal_tests.confluent_fixtures import FixtureServer, Recorded, Reply, http_for, load, warehouse_columns

SEARCH = "/catalog/v1/search/basic"
NOT_FOUND = Reply(404, {"error_code": 404, "message": "Not Found"})


class FakeCatalog:
    """Search with offset/limit (short last page), per-entity tags/businessmetadata, the catalog error envelope."""

    def __init__(self, server: FixtureServer, entities: dict[str, list[dict]], tags: dict, bms: dict,
                 delay: float = 0.0):
        self.entities, self.tags, self.bms, self.delay = entities, tags, bms, delay
        self.lock = threading.Lock()
        self.active = self.peak = 0
        server.route("GET", SEARCH, self.search)
        self.server = server
        for items in entities.values():
            for e in items:
                qn = e["attributes"]["qualifiedName"]
                for what, source in (("tags", tags), ("businessmetadata", bms)):
                    path = f"/catalog/v1/entity/type/{e['typeName']}/name/{qn}/{what}"
                    server.route("GET", path, self._entity(source, qn))

    def search(self, req: Recorded) -> Reply:
        etype = req.param("type")
        limit, offset = int(req.param("limit")), int(req.param("offset"))
        items = self.entities.get(etype, [])
        return Reply(200, {"searchParameters": {"typeName": etype, "limit": limit, "offset": offset},
                           "entities": items[offset:offset + limit]})

    def _entity(self, source: dict, qn: str):
        def handler(req: Recorded) -> Reply:
            with self.lock:
                self.active += 1
                self.peak = max(self.peak, self.active)
            try:
                if self.delay:
                    time.sleep(self.delay)
                return Reply(200, source[qn]) if qn in source else NOT_FOUND
            finally:
                with self.lock:
                    self.active -= 1
        return handler


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


def _reference_catalog(server) -> FakeCatalog:
    data = load("catalog.json")
    return FakeCatalog(server, {"kafka_logical_cluster": data["kafka_logical_cluster"],
                                "kafka_topic": data["kafka_topic"]}, data["tags"], data["businessmetadata"])


def test_frames_match_the_warehouse_tables(server):
    _reference_catalog(server)
    snap = CatalogClient(http_for(server, "catalog")).fetch_snapshot()
    for frame, table in ((snap.entities, "catalog_entities"), (snap.tags, "catalog_tags"),
                         (snap.business_metadata, "catalog_business_metadata")):
        assert list(frame.columns) == [c for c in warehouse_columns(table) if c != "snapshot_date"]


def test_entities_tags_and_business_metadata_from_the_reference(server):
    _reference_catalog(server)
    snap = CatalogClient(http_for(server, "catalog")).fetch_snapshot()
    ents = snap.entities.set_index("qualified_name")
    assert ents.index.tolist() == ["lsrc-8wrx70:lkc-m80307", "lsrc-8wrx70:lkc-m80307:orders",
                                   "lsrc-8wrx70:lkc-m80307:clicks", "lsrc-8wrx70:lkc-m80307:gone"]
    orders = ents.loc["lsrc-8wrx70:lkc-m80307:orders"]
    assert [orders["sr_id"], orders["entity_type"], orders["cluster_id"], orders["topic"], orders["name"],
            orders["owner"], orders["owner_email"], orders["classification_names"]] == [
        "lsrc-8wrx70", "kafka_topic", "lkc-m80307", "orders", "orders", "team-a", "a@x.com",
        '{"PII","cost_center_42"}']
    cluster = ents.loc["lsrc-8wrx70:lkc-m80307"]
    assert cluster["cluster_id"] == "lkc-m80307" and cluster["entity_type"] == "kafka_logical_cluster"
    assert ents["topic"].isna()["lsrc-8wrx70:lkc-m80307"]
    assert json.loads(orders["raw"])["guid"] == "g-t1"

    tags = snap.tags
    assert sorted(zip(tags["qualified_name"], tags["tag"], strict=True)) == [
        ("lsrc-8wrx70:lkc-m80307", "team_payments"), ("lsrc-8wrx70:lkc-m80307:orders", "PII"),
        ("lsrc-8wrx70:lkc-m80307:orders", "cost_center_42")]
    assert tags[tags["tag"] == "team_payments"]["attributes"].isna().all()  # a name only: no attributes
    cc = tags[tags["tag"] == "cost_center_42"].iloc[0]
    assert json.loads(cc["attributes"]) == {"cost_center": "CC-42"}
    assert cc["topic"] == "orders" and cc["cluster_id"] == "lkc-m80307" and cc["sr_id"] == "lsrc-8wrx70"

    bm = snap.business_metadata.iloc[0]
    assert len(snap.business_metadata) == 1
    assert [bm["qualified_name"], bm["bm_type"]] == ["lsrc-8wrx70:lkc-m80307:orders", "cost_allocation"]
    assert json.loads(bm["attributes"]) == {"business_unit": "payments", "cost_center": "CC-42"}


def test_404_tags_mean_no_tags_and_empty_classifications_skip_the_read(server):
    _reference_catalog(server)
    snap = CatalogClient(http_for(server, "catalog")).fetch_snapshot()
    paths = [unquote(r.path) for r in server.requests]
    assert "/catalog/v1/entity/type/kafka_topic/name/lsrc-8wrx70:lkc-m80307:gone/tags" in paths  # 404 → none
    assert "/catalog/v1/entity/type/kafka_topic/name/lsrc-8wrx70:lkc-m80307:clicks/tags" not in paths
    assert "/catalog/v1/entity/type/kafka_topic/name/lsrc-8wrx70:lkc-m80307:orders/tags" not in paths  # inline
    assert "/catalog/v1/entity/type/kafka_topic/name/lsrc-8wrx70:lkc-m80307:clicks/businessmetadata" in paths
    assert "gone" not in set(snap.tags["topic"])
    assert snap.stats["tag_reads"] == 1 and snap.stats["tags_inline"] == 3
    assert snap.stats["reads"] == snap.stats["search_pages"] + 1 + snap.stats["bm_reads"] + 1


def test_search_pages_by_offset_until_a_short_page(server):
    topics = [{"typeName": "kafka_topic", "guid": f"g-{i}", "attributes": {
        "qualifiedName": f"lsrc-1:lkc-1:t{i:04d}", "name": f"t{i:04d}"}, "classificationNames": []}
              for i in range(1200)]
    FakeCatalog(server, {"kafka_topic": topics}, {}, {})
    found = CatalogClient(http_for(server, "catalog")).search("kafka_topic")
    searches = server.calls(SEARCH)
    assert [(c.param("offset"), c.param("limit"), c.param("type"), c.param("types")) for c in searches] == [
        ("0", "500", "kafka_topic", "kafka_topic"), ("500", "500", "kafka_topic", "kafka_topic"),
        ("1000", "500", "kafka_topic", "kafka_topic")]
    assert [e["guid"] for e in found] == [f"g-{i}" for i in range(1200)]


def test_exactly_full_last_page_needs_one_more_empty_page(server):
    topics = [{"typeName": "kafka_topic", "attributes": {"qualifiedName": f"lsrc-1:lkc-1:t{i}"}} for i in range(4)]
    FakeCatalog(server, {"kafka_topic": topics}, {}, {})
    assert len(CatalogClient(http_for(server, "catalog"), page_limit=2).search("kafka_topic")) == 4
    assert [c.param("offset") for c in server.calls(SEARCH)] == ["0", "2", "4"]


def test_a_server_ignoring_offset_is_an_error_not_a_loop(server):
    page = {"entities": [{"guid": f"g{i}", "attributes": {"qualifiedName": f"q{i}"}} for i in range(2)]}
    server.json("GET", SEARCH, page)
    with pytest.raises(ConfluentApiError, match="ignores offset"):
        CatalogClient(http_for(server, "catalog"), page_limit=2).search("kafka_topic")


def test_business_metadata_in_the_atlas_map_form(server):
    ent = {"typeName": "kafka_topic", "attributes": {"qualifiedName": "lsrc-1:lkc-1:orders"}}
    FakeCatalog(server, {"kafka_topic": [ent]}, {}, {"lsrc-1:lkc-1:orders": {"cost_allocation": {"team": "t"}}})
    snap = CatalogClient(http_for(server, "catalog")).fetch_snapshot(types=("kafka_topic",))
    assert snap.business_metadata[["bm_type", "attributes"]].values.tolist() == [["cost_allocation",
                                                                                 '{"team":"t"}']]


def test_per_entity_reads_are_concurrent_bounded_and_paced(server):
    topics = [{"typeName": "kafka_topic", "attributes": {"qualifiedName": f"lsrc-1:lkc-1:t{i}"}} for i in range(20)]
    fake = FakeCatalog(server, {"kafka_topic": topics}, {}, {}, delay=0.02)
    client = CatalogClient(http_for(server, "catalog", catalog_requests_per_second=100.0), max_workers=4)
    t0 = time.monotonic()
    client.fetch_snapshot(types=("kafka_topic",))
    elapsed = time.monotonic() - t0
    reads = [r for r in server.requests if r.path not in (SEARCH, "/catalog/v1/types/businessmetadatadefs")]
    assert len(reads) == 40
    assert 2 <= fake.peak <= 4
    assert elapsed >= 40 / 100.0 * 0.9  # 42 requests at ≤ 100/s
    starts = sorted(r.at for r in server.requests)
    assert starts[-1] - starts[0] >= (len(starts) - 1) / 100.0 * 0.9  # arrivals spread at the paced rate


def test_default_pacing_stays_under_75_reads_per_second():
    from billing_portal.confluent.http import HttpConfig
    assert HttpConfig().catalog_requests_per_second < 75
