"""What the Stream Governance catalog says about owners.

Evidence comes from three places on each catalog entity, strongest first: business metadata attributes (`owner`,
`team`, `business_unit`, `business_product`, `cost_center`, names configurable), tags following the conventions
(`team_<x>`, `bu_<x>`/`business_unit_<x>`, `cost_center_<x>`, `product_<x>`), and the entity's own `ownerEmail`/
`owner` attribute. Entities attach to a Kafka cluster only through a real qualified name: `lsrc-…:lkc-…` (the
`kafka_logical_cluster` entity itself) or `lsrc-…:lkc-…:<topic>`; a bare `lkc-…` or a schema (`lsrc-…:.:100001`)
never attaches to a cluster.

Two products: per-cluster attributes (cluster-level evidence first, then the majority over the cluster's topics) and
per-owner profiles (an owner named on an entity is taken to belong to the team/business unit tagged on that same
entity; majority over all the owner's entities) — how an owner's team is learnt without a mapping file.
"""

from __future__ import annotations

import re

import pandas as pd

from billing_portal.ownership.frames import CatalogData, as_dict, as_list, text
from billing_portal.ownership.mapping import ATTRIBUTES, BUSINESS_ATTRIBUTES, OwnershipMapping
from billing_portal.ownership.names import normalize_owner

_QUALIFIED = re.compile(r"^(lsrc-[A-Za-z0-9_-]+):(lkc-[A-Za-z0-9_-]+)(?::(.+))?$")

# Evidence priority within one entity (lower wins).
BUSINESS_METADATA, TAG, ENTITY_OWNER = 0, 1, 2
_EVIDENCE_COLUMNS = ["qualified_name", "attr", "value", "priority"]


def parse_qualified_name(qualified_name: str | None) -> tuple[str, str, str | None] | None:
    """`lsrc-1:lkc-2:orders` → ('lsrc-1', 'lkc-2', 'orders'); `lsrc-1:lkc-2` → ('lsrc-1', 'lkc-2', None);
    anything else (bare `lkc-2`, schemas `lsrc-1:.:100001`) → None."""
    if not qualified_name:
        return None
    m = _QUALIFIED.match(str(qualified_name).strip())
    if not m:
        return None
    return m.group(1), m.group(2), m.group(3)


def tag_attribute(tag: str | None, prefixes: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(attribute, value) of a tag following a convention, e.g. `team_payments` → ('team', 'payments')."""
    if not tag:
        return None
    low = tag.lower()
    for prefix, attr in prefixes:
        if low.startswith(prefix) and len(tag) > len(prefix):
            value = tag[len(prefix):].strip()
            return (attr, normalize_owner(value) if attr == "owner" else value) if value else None
    return None


def _value(attr: str, raw: object) -> str | None:
    v = text(raw)
    return normalize_owner(v) if (v and attr == "owner") else v


def catalog_evidence(catalog: CatalogData, mapping: OwnershipMapping) -> pd.DataFrame:
    """One row per (qualified_name, attribute, value) the catalog asserts, with its priority (lower is stronger)."""
    prefixes = mapping.tag_conventions.prefixes()
    bm_names = mapping.business_metadata_attributes.names()
    rows: list[tuple[str, str, str, int]] = []

    bm = catalog.business_metadata
    for qn, attrs in zip(bm["qualified_name"].tolist(), bm["attributes"].tolist(), strict=True):
        qn = text(qn)
        if not qn:
            continue
        for key, raw in as_dict(attrs).items():
            attr = bm_names.get(str(key).lower())
            v = _value(attr, raw) if attr else None
            if v:
                rows.append((qn, attr, v, BUSINESS_METADATA))

    tags = catalog.tags
    for qn, tag in zip(tags["qualified_name"].tolist(), tags["tag"].tolist(), strict=True):
        qn, hit = text(qn), tag_attribute(text(tag), prefixes)
        if qn and hit:
            rows.append((qn, hit[0], hit[1], TAG))

    ent = catalog.entities
    for qn, classes, owner, email in zip(ent["qualified_name"].tolist(), ent["classification_names"].tolist(),
                                         ent["owner"].tolist(), ent["owner_email"].tolist(), strict=True):
        qn = text(qn)
        if not qn:
            continue
        for tag in as_list(classes):
            hit = tag_attribute(text(tag), prefixes)
            if hit:
                rows.append((qn, hit[0], hit[1], TAG))
        who = normalize_owner(text(email) or text(owner))
        if who:
            rows.append((qn, "owner", who, ENTITY_OWNER))

    ev = pd.DataFrame(rows, columns=_EVIDENCE_COLUMNS)
    # The same fact stated twice on one entity (tag listed on the entity and in the tags table) counts once.
    return ev.sort_values("priority", kind="stable").drop_duplicates(["qualified_name", "attr", "value"])


def _majority(ev: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per (keys, attr): the strongest rank only, then the most frequent value (ties → alphabetical)."""
    if ev.empty:
        return pd.DataFrame(columns=[*keys, "attr", "value"])
    best = ev.groupby([*keys, "attr"])["rank"].transform("min")
    ev = ev[ev["rank"] == best]
    counts = ev.groupby([*keys, "attr", "value"]).size().reset_index(name="n")
    counts = counts.sort_values([*keys, "attr", "n", "value"], ascending=[*([True] * len(keys)), True, False, True])
    return counts.drop_duplicates([*keys, "attr"])[[*keys, "attr", "value"]]


def cluster_attributes(evidence: pd.DataFrame) -> dict[str, dict[str, str]]:
    """cluster id → {attribute: value} from the catalog: cluster-level entities first, then the majority over the
    cluster's topics."""
    if evidence.empty:
        return {}
    parsed = evidence["qualified_name"].map(parse_qualified_name)
    ev = evidence[parsed.notna()].copy()
    if ev.empty:
        return {}
    parsed = parsed[parsed.notna()]
    ev["cluster_id"] = [p[1] for p in parsed]
    ev["rank"] = [0 if p[2] is None else 10 for p in parsed] + ev["priority"].to_numpy()
    out: dict[str, dict[str, str]] = {}
    for cluster, attr, value in _majority(ev, ["cluster_id"]).itertuples(index=False):
        out.setdefault(cluster, {})[attr] = value
    return out


def owner_profiles(evidence: pd.DataFrame) -> dict[str, dict[str, str]]:
    """owner → {team, business_unit, business_product, cost_center} learnt from entities that name that owner
    and carry those attributes (any entity: topics, clusters, schemas). Majority over the owner's entities."""
    if evidence.empty:
        return {}
    ev = evidence.assign(rank=evidence["priority"])
    per_entity = _majority(ev, ["qualified_name"])
    owners = per_entity[per_entity["attr"] == "owner"][["qualified_name", "value"]].rename(columns={"value": "who"})
    facts = per_entity[per_entity["attr"].isin(BUSINESS_ATTRIBUTES)].merge(owners, on="qualified_name")
    if facts.empty:
        return {}
    facts = facts.assign(rank=0)[["who", "attr", "value", "rank"]]
    out: dict[str, dict[str, str]] = {}
    for who, attr, value in _majority(facts, ["who"]).itertuples(index=False):
        out.setdefault(who, {})[attr] = value
    return out


def profile_for(profiles: dict[str, dict[str, str]], owner: str | None) -> dict[str, str]:
    """A learnt profile for `owner`: exact match, else the local part of an email."""
    if not owner:
        return {}
    hit = profiles.get(owner)
    if hit is None and "@" in owner:
        hit = profiles.get(owner.split("@", 1)[0])
    return hit or {}


__all__ = ["ATTRIBUTES", "catalog_evidence", "cluster_attributes", "owner_profiles", "parse_qualified_name",
           "profile_for", "tag_attribute"]
