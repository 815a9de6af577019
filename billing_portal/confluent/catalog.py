"""Stream Catalog (Stream Governance) on the Schema Registry endpoint: entities, tags, business metadata.

As in ../shared/CONFLUENT_API.md: Basic auth with a *Schema Registry* API key; errors use the envelope
`{"error_code": 404, "message": "Not Found"}`; 75 reads/s (the `ConfluentHttp` of family "catalog" paces requests
below that, see `HttpConfig.catalog_requests_per_second`).

- Entities: `GET /catalog/v1/search/basic?type=T&types=T&limit=500&offset=N` (both spellings of the type parameter,
  as live callers send), offset paging until a short page. A full page that brings nothing new means the server
  ignores `offset` → error rather than an endless crawl.
- Tags: inline in the search results, as live: `classifications[{typeName, attributes}]` (attributes kept as JSON
  text), else `classificationNames[]` (names without attributes). Only a server that inlines neither is asked
  `GET /catalog/v1/entity/type/{type}/name/{qualifiedName}/tags` per entity (a 404 → no tags).
- Business metadata (not in search results): `GET …/name/{qualifiedName}/businessmetadata` per entity (list of
  `{typeName, attributes}`; the Atlas map form `{typeName: {attributes}}` is accepted too; a 404 → none), only where
  it can exist: the registry's `GET /catalog/v1/types/businessmetadatadefs` say which entity types definitions apply
  to (`applicableEntityTypes`; `cf_entity` = all); none defined (an ESSENTIALS package) → no reads at all.
- `stats` counts every read (search pages, per-entity reads, definitions) for the asset metadata and the bench.
- Per-entity reads run concurrently on a bounded pool (`max_workers`).

Qualified names are parsed into `sr_id`, `cluster_id`, `topic`: `lsrc-x:lkc-y:orders` → (lsrc-x, lkc-y, orders);
`lsrc-x:lkc-y` (logical cluster) → (lsrc-x, lkc-y, None); `lsrc-x:.:100001` (schema in the default context) →
(lsrc-x, None, None). Kafka topic names cannot contain ':', so everything after the cluster is the topic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.normalize import canonical_json, json_text, text_or_none, typed_frame
from billing_portal.errors import ConfluentApiError
from billing_portal.model.observed import CATALOG_TABLES

log = logging.getLogger(__name__)

SEARCH_PATH = "/catalog/v1/search/basic"
BM_DEFS_PATH = "/catalog/v1/types/businessmetadatadefs"
ANY_ENTITY = "cf_entity"  # the supertype of every Confluent entity: business metadata may go anywhere
SEARCH_LIMIT = 500
# the frames' columns: the catalog tables' attributes (billing_portal/model/observed.py)
ENTITY_COLUMNS, TAG_COLUMNS, BM_COLUMNS = (list(t.attribute_names) for t in CATALOG_TABLES)


def parse_qualified_name(qualified_name: str, entity_type: str | None = None) -> tuple[str | None, str | None,
                                                                                        str | None]:
    """(sr_id, cluster_id, topic) from a catalog qualified name; parts that are not there are None."""
    parts = (qualified_name or "").split(":")
    sr_id = cluster_id = topic = None
    i = 0
    if parts and parts[0].startswith("lsrc-"):
        sr_id, i = parts[0], 1
    if i < len(parts) and parts[i].startswith("lkc-"):
        cluster_id = parts[i]
        rest = ":".join(parts[i + 1:])
        if rest and (entity_type in (None, "kafka_topic")):
            topic = rest
    return sr_id, cluster_id, topic


@dataclass
class CatalogSnapshot:
    """Frames matching catalog_entities / catalog_tags / catalog_business_metadata (without `snapshot_date`)."""

    entities: pd.DataFrame
    tags: pd.DataFrame
    business_metadata: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def pg_text_array(values: Sequence[Any]) -> str:
    """A PostgreSQL `text[]` literal (`{"PII","cost_center_42"}`): the warehouse COPYs frames as CSV, which has no
    list type, and PostgreSQL parses this literal into the array column."""
    items = []
    for v in values:
        text = str(v).replace("\\", "\\\\").replace('"', '\\"')
        items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"


def _attributes_text(value: Any) -> str | None:
    return canonical_json(value) if value is not None else None


class CatalogClient:
    """Reads the Stream Catalog with a Schema Registry key (DataSteward or ResourceOwner on the SR cluster)."""

    def __init__(self, http: ConfluentHttp, *, max_workers: int = 8, page_limit: int = SEARCH_LIMIT):
        if not 1 <= page_limit <= SEARCH_LIMIT:
            raise ValueError(f"catalog page_limit must be between 1 and {SEARCH_LIMIT}, got {page_limit}")
        self.http = http
        self.max_workers = max(1, int(max_workers))
        self.page_limit = int(page_limit)
        self.reads = 0  # search pages and definition reads made (per-entity reads are counted in the stats)

    def __repr__(self) -> str:
        return f"CatalogClient({self.http!r}, max_workers={self.max_workers})"

    def search(self, entity_type: str) -> list[dict]:
        """Every entity of one type (offset/limit paging until a short page)."""
        out: list[dict] = []
        seen: set[str] = set()
        offset = 0
        while True:
            params = {"type": entity_type, "types": entity_type, "limit": self.page_limit, "offset": offset}
            doc = self.http.get(SEARCH_PATH, params, not_found_empty=True, api="catalog")
            self.reads += 1
            if doc is not None and not isinstance(doc, dict):
                raise ConfluentApiError(f"unexpected response from {SEARCH_PATH}: expected a JSON object",
                                        url=SEARCH_PATH)
            entities = [e for e in ((doc or {}).get("entities") or []) if isinstance(e, dict)]
            keys = [canonical_json(e.get("guid") or e.get("attributes", {}).get("qualifiedName") or e)
                    for e in entities]
            new = [e for e, k in zip(entities, keys, strict=True) if k not in seen]
            if len(entities) >= self.page_limit and not new:
                raise ConfluentApiError(f"catalog search for {entity_type} returned the same entities again at "
                                        f"offset {offset}: the server ignores offset paging", url=SEARCH_PATH)
            seen.update(keys)
            out.extend(new)
            if len(entities) < self.page_limit:
                return out
            offset += len(entities)

    def _entity_list(self, entity_type: str, qualified_name: str, what: str) -> Any:
        path = (f"/catalog/v1/entity/type/{quote(entity_type, safe='')}/name/{quote(qualified_name, safe=':')}"
                f"/{what}")
        return self.http.get(path, not_found_empty=True, api="catalog")

    def entity_tags(self, entity_type: str, qualified_name: str) -> list[dict]:
        doc = self._entity_list(entity_type, qualified_name, "tags")
        return [t for t in doc if isinstance(t, dict)] if isinstance(doc, list) else []

    def entity_business_metadata(self, entity_type: str, qualified_name: str) -> list[dict]:
        doc = self._entity_list(entity_type, qualified_name, "businessmetadata")
        if isinstance(doc, list):
            return [b for b in doc if isinstance(b, dict)]
        if isinstance(doc, dict):  # Atlas map form: {typeName: {attr: value}}
            return [{"typeName": k, "attributes": v} for k, v in doc.items()]
        return []

    def business_metadata_types(self) -> set[str] | None:
        """Entity types business metadata may be attached to, from the registry's definitions: an empty set when
        the registry defines none (an ESSENTIALS package has no business metadata), None when unknown (the
        definitions could not be read: read business metadata everywhere)."""
        try:
            defs = self.http.get(BM_DEFS_PATH, not_found_empty=True, api="catalog")
        except ConfluentApiError as exc:
            log.warning("catalog: business-metadata definitions unreadable (%s): reading it for every entity", exc)
            return None
        self.reads += 1
        if not isinstance(defs, list):  # no definitions endpoint (404) or an unexpected answer: unknown
            return None
        types: set[str] = set()
        for d in defs:
            for attr in (d.get("attributeDefs") or []) if isinstance(d, dict) else []:
                raw = ((attr or {}).get("options") or {}).get("applicableEntityTypes")
                try:
                    values = json.loads(raw) if isinstance(raw, str) else raw
                except ValueError:
                    values = None
                if not isinstance(values, list):
                    values = [ANY_ENTITY]  # unreadable: assume it may apply anywhere
                types.update(str(v) for v in values if v)
            if isinstance(d, dict) and not d.get("attributeDefs"):
                types.add(ANY_ENTITY)
        return types

    def fetch_snapshot(self, types: Sequence[str] = ("kafka_logical_cluster", "kafka_topic", "sr_schema")) -> CatalogSnapshot:
        """Every entity of `types` with its tags (inline in the search results) and business metadata (one read per
        entity, only where the registry's definitions allow it)."""
        entities: list[dict] = []
        tags_rows: list[dict] = []
        stats: dict[str, Any] = {"search_pages": 0, "tag_reads": 0, "bm_reads": 0, "bm_defs_reads": 0,
                                 "entities_without_name": 0, "tags_inline": 0}
        pages_before = self.reads
        need_tag_reads: list[dict] = []
        for entity_type in types:
            for e in self.search(entity_type):
                attrs = e.get("attributes") if isinstance(e.get("attributes"), dict) else {}
                qn = text_or_none(attrs.get("qualifiedName"))
                if qn is None:
                    stats["entities_without_name"] += 1
                    log.warning("catalog: %s entity without qualifiedName skipped (guid %s)", entity_type,
                                e.get("guid"))
                    continue
                etype = text_or_none(e.get("typeName")) or entity_type
                sr_id, cluster_id, topic = parse_qualified_name(qn, etype)
                names = e.get("classificationNames")
                ent = {
                    "sr_id": sr_id, "entity_type": etype, "qualified_name": qn, "cluster_id": cluster_id,
                    "topic": topic, "name": text_or_none(attrs.get("name")) or text_or_none(e.get("displayText")),
                    "owner": text_or_none(attrs.get("owner")), "owner_email": text_or_none(attrs.get("ownerEmail")),
                    "classification_names": pg_text_array(names) if isinstance(names, list) else None,
                    "raw": json_text(e),
                }
                entities.append(ent)
                key = {k: ent[k] for k in ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic")}
                classifications = e.get("classifications")
                if isinstance(classifications, list):  # tags inline, with their attributes
                    for t in classifications:
                        name = text_or_none(t.get("typeName")) if isinstance(t, dict) else None
                        if name:
                            tags_rows.append({**key, "tag": name, "attributes": _attributes_text(t.get("attributes"))})
                            stats["tags_inline"] += 1
                elif isinstance(names, list):  # names only: the tags, without attributes
                    for name in (text_or_none(n) for n in names):
                        if name:
                            tags_rows.append({**key, "tag": name, "attributes": None})
                            stats["tags_inline"] += 1
                else:  # an old server that does not inline tags: read them per entity
                    need_tag_reads.append(ent)
        stats["search_pages"] = self.reads - pages_before
        bm_types = self.business_metadata_types()
        stats["bm_defs_reads"] = 1

        def wants_bm(ent: dict) -> bool:
            return bm_types is None or ANY_ENTITY in bm_types or ent["entity_type"] in bm_types

        bm_targets = [e for e in entities if wants_bm(e)]

        def read_tags(ent: dict) -> list[dict]:
            return self.entity_tags(ent["entity_type"], ent["qualified_name"])

        def read_bm(ent: dict) -> list[dict]:
            return self.entity_business_metadata(ent["entity_type"], ent["qualified_name"])

        bm_rows: list[dict] = []
        with ThreadPoolExecutor(max_workers=max(1, self.max_workers), thread_name_prefix="ccloud-catalog") as pool:
            tag_results = list(pool.map(read_tags, need_tag_reads))
            bm_results = list(pool.map(read_bm, bm_targets))
        for ent, tags in zip(need_tag_reads, tag_results, strict=True):
            key = {k: ent[k] for k in ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic")}
            stats["tag_reads"] += 1
            for t in tags:
                name = text_or_none(t.get("typeName"))
                if name:
                    tags_rows.append({**key, "tag": name, "attributes": _attributes_text(t.get("attributes"))})
        for ent, bms in zip(bm_targets, bm_results, strict=True):
            key = {k: ent[k] for k in ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic")}
            stats["bm_reads"] += 1
            for b in bms:
                name = text_or_none(b.get("typeName"))
                if name:
                    bm_rows.append({**key, "bm_type": name, "attributes": _attributes_text(b.get("attributes"))})
        stats.update(entities=len(entities), tags=len(tags_rows), business_metadata=len(bm_rows))
        stats["reads"] = stats["search_pages"] + stats["tag_reads"] + stats["bm_reads"] + stats["bm_defs_reads"]
        log.info("catalog: %d entities, %d tags, %d business metadata in %d reads", len(entities), len(tags_rows),
                 len(bm_rows), stats["reads"])
        return CatalogSnapshot(
            entities=typed_frame(entities, ENTITY_COLUMNS),
            tags=typed_frame(tags_rows, TAG_COLUMNS),
            business_metadata=typed_frame(bm_rows, BM_COLUMNS),
            stats=stats,
        )
