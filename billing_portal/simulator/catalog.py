"""Stream Catalog documents built from the model: entities, their tags and business metadata, and the type defs.

Qualified names are Confluent's: topic ``lsrc-…:lkc-…:<topic>``, logical cluster ``lsrc-…:lkc-…`` (the Schema
Registry of the cluster's environment). Tags ``team_<team>``, ``cost_center_<n>`` and ``PII``; business metadata
``cost_allocation`` with ``business_unit``, ``cost_center``, ``team``, ``owner``, ``business_product`` — only in
environments with the ADVANCED Stream Governance package (business metadata is an Advanced feature: an ESSENTIALS
registry has no business-metadata definitions and no values).

Schemas (``sr_schema``, qualified name ``lsrc-…:.:<id>``: the default context) exist for a share of the topics (their
value schema, subject ``<topic>-value``); most carry an owner tag ``team_<team>`` (the topic's team when it has one),
some a ``cost_center_<n>`` tag, the rest none — what ``split: schema_owners`` splits Stream Governance lines by.

Each environment's Schema Registry serves its own catalog (``Catalog.of(sr_id)``), as live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing_portal.simulator import names
from billing_portal.simulator.ids import IdFactory
from billing_portal.simulator.model import S_SCHEMAS, OrgModel, stream

TOPIC_TYPE = "kafka_topic"
CLUSTER_TYPE = "kafka_logical_cluster"
SCHEMA_TYPE = "sr_schema"
SCHEMA_SHARE = 0.4          # topics with a registered value schema
SCHEMA_OWNER_SHARE = 0.7    # schemas tagged with an owner team
BM_NAME = "cost_allocation"
BM_ATTRIBUTES = ("business_unit", "cost_center", "team", "owner", "business_product")


@dataclass
class CatalogEntity:
    type_name: str
    qualified_name: str
    guid: str
    display_text: str
    attributes: dict[str, Any]
    tags: tuple[str, ...]
    business_metadata: dict[str, str] | None
    sr_id: str
    cluster_id: str = field(default="")

    def search_doc(self) -> dict[str, Any]:
        return {
            "typeName": self.type_name,
            "attributes": self.attributes,
            "guid": self.guid,
            "status": "ACTIVE",
            "displayText": self.display_text,
            "classificationNames": list(self.tags),
            "classifications": [self.tag_doc(t) for t in self.tags],
            "meaningNames": [],
            "meanings": [],
            "isIncomplete": False,
            "labels": [],
        }

    def tag_doc(self, tag: str) -> dict[str, Any]:
        return {"typeName": tag, "attributes": {}, "entityGuid": self.guid, "entityStatus": "ACTIVE",
                "propagate": False, "removePropagationsOnEntityDelete": False, "entityType": self.type_name,
                "entityName": self.qualified_name}


@dataclass
class Catalog:
    entities: list[CatalogEntity]
    by_name: dict[tuple[str, str], CatalogEntity]
    tag_names: list[str]

    def of(self, sr_id: str) -> list[CatalogEntity]:
        """The entities one Schema Registry's catalog holds."""
        return [e for e in self.entities if e.sr_id == sr_id]


def build_catalog(model: OrgModel) -> Catalog:
    cached = model.__dict__.get("_catalog")
    if cached is not None:
        return cached
    entities: list[CatalogEntity] = []
    for cluster in model.kafka_clusters:
        sr = model.schema_registry_by_env[cluster.env_id]
        info = model.cluster_catalog[cluster.id]
        qn = f"{sr.id}:{cluster.id}"
        entities.append(CatalogEntity(
            type_name=CLUSTER_TYPE, qualified_name=qn, guid=info.guid, display_text=cluster.display_name,
            attributes={"qualifiedName": qn, "name": cluster.id, "displayName": cluster.display_name},
            tags=info.tags, business_metadata=info.business_metadata if sr.package == "ADVANCED" else None,
            sr_id=sr.id, cluster_id=cluster.id))
    for topic in model.topics:
        cluster = model.cluster_by_id[topic.cluster_id]
        sr = model.schema_registry_by_env[cluster.env_id]
        qn = f"{sr.id}:{cluster.id}:{topic.name}"
        attributes: dict[str, Any] = {"owner": topic.owner, "createTime": topic.created_ms, "qualifiedName": qn,
                                      "name": topic.name}
        if topic.owner_email:
            attributes["ownerEmail"] = topic.owner_email
        entities.append(CatalogEntity(
            type_name=TOPIC_TYPE, qualified_name=qn, guid=topic.guid, display_text=topic.name,
            attributes=attributes, tags=topic.tags,
            business_metadata=topic.business_metadata if sr.package == "ADVANCED" else None, sr_id=sr.id,
            cluster_id=cluster.id))
    entities.extend(_schemas(model))
    entities.sort(key=lambda e: (e.type_name, e.qualified_name))
    tags = sorted({t for e in entities for t in e.tags} | {"PII"})
    catalog = Catalog(entities=entities, by_name={(e.type_name, e.qualified_name): e for e in entities},
                      tag_names=tags)
    model.__dict__["_catalog"] = catalog
    return catalog


def _schemas(model: OrgModel) -> list[CatalogEntity]:
    """Value schemas of a share of the topics, in each environment's registry (its own stream: the rest of the
    model does not move)."""
    rng = stream(model.seed, model.scale, S_SCHEMAS)
    ids = IdFactory(stream(model.seed, model.scale, S_SCHEMAS, 1))
    next_id: dict[str, int] = {}
    out: list[CatalogEntity] = []
    for topic in model.topics:
        if topic.name.startswith("_") or rng.random() >= SCHEMA_SHARE:
            continue
        sr = model.schema_registry_by_env[model.cluster_by_id[topic.cluster_id].env_id]
        sid = next_id.get(sr.id, 100001)
        next_id[sr.id] = sid + 1
        team = next((t[5:] for t in topic.tags if t.startswith("team_")), None)
        tags: list[str] = []
        if rng.random() < SCHEMA_OWNER_SHARE:
            tags.append(f"team_{team or names.TEAMS[int(rng.integers(len(names.TEAMS)))]}")
            if rng.random() < 0.3:
                tags.append(f"cost_center_{int(rng.integers(10, 100))}")
        qn = f"{sr.id}:.:{sid}"
        out.append(CatalogEntity(
            type_name=SCHEMA_TYPE, qualified_name=qn, guid=ids.guid(), display_text=str(sid),
            attributes={"qualifiedName": qn, "name": str(sid), "id": sid, "context": ".", "format": "AVRO",
                        "schemaType": "AVRO", "subject": f"{topic.name}-value", "createTime": topic.created_ms},
            tags=tuple(tags), business_metadata=None, sr_id=sr.id))
    return out


def tag_description(tag: str) -> str:
    if tag == "PII":
        return "Personally identifiable information"
    if tag.startswith("team_"):
        return f"Owned by team {tag[5:]}"
    if tag.startswith("cost_center_"):
        return f"Cost center {tag[12:]}"
    return tag


def tagdefs(catalog: Catalog) -> list[dict[str, Any]]:
    return [{"category": "CLASSIFICATION", "guid": f"tagdef-{i:04d}", "createdBy": "simulator",
             "name": tag, "description": tag_description(tag), "typeVersion": "1.0", "attributeDefs": [],
             "superTypes": [], "entityTypes": ["cf_entity"], "subTypes": []}
            for i, tag in enumerate(catalog.tag_names)]


def businessmetadatadefs() -> list[dict[str, Any]]:
    return [{"category": "BUSINESS_METADATA", "guid": "bmdef-0001", "createdBy": "simulator", "name": BM_NAME,
             "description": "Cost allocation attributes", "typeVersion": "1.0",
             "attributeDefs": [{"name": a, "typeName": "string", "isOptional": True, "cardinality": "SINGLE",
                                "valuesMinCount": 0, "valuesMaxCount": 1, "isUnique": False, "isIndexable": True,
                                "includeInNotification": False, "searchWeight": 5,
                                "options": {"applicableEntityTypes": '["cf_entity"]', "maxStrLength": "5000"}}
                               for a in BM_ATTRIBUTES]}]
