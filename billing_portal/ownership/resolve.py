"""Resolution of every principal and resource to owner, team, business unit, business product and cost center.

Precedence per attribute, first hit wins (docs/ALLOCATION.md, "Ownership"):

1. the mapping file entry for the principal / resource id                         source `mapping`
2. the catalog: business metadata, then tags, then `ownerEmail`/`owner`,
   cluster-level entity first, then the majority over the cluster's topics          source `catalog`
3. the object itself: a user's email is its owner; a connector / ksqlDB cluster
   takes the attributes of the identity it runs as                                   source `object`
4. names: `…-owner-<x>` at the end of a display name, `Owner: <email>` in a
   service account's description                                                      source `name`
5. the owner's profile: `owners:` in the mapping file (source `mapping`), else
   what the catalog teaches about that owner (source `catalog`)
6. `unknown`

`attribution_source` says where the owner came from (or, without an owner, the first attribute found). Every owner
offered by a tier is spelt one way first (`names.canonical_owner`): lower-cased, a bare name that is the local part
of one known email becomes that email, and an account id is never an owner (it stands for that principal's owner).
"""

from __future__ import annotations

import pandas as pd

from billing_portal.ownership.catalog import catalog_evidence, cluster_attributes, owner_profiles, profile_for
from billing_portal.ownership.frames import (
    PRINCIPAL_ATTRIBUTION_COLUMNS,
    RESOURCE_ATTRIBUTION_COLUMNS,
    CatalogData,
    CoreObjects,
    text,
)
from billing_portal.ownership.mapping import ATTRIBUTES, BUSINESS_ATTRIBUTES, OwnershipMapping
from billing_portal.ownership.names import (
    UNALLOCATED,
    canonical_owner,
    is_principal_id,
    normalize_owner,
    owner_directory,
    owner_from_description,
    owner_from_display_name,
    principal_type_of,
    resource_type_of,
)
from billing_portal.ownership.objects import api_key_owners, object_owners

UNKNOWN = "unknown"
SOURCES = ("mapping", "catalog", "object", "name", "synthetic", UNKNOWN)
_OWNER_KINDS = {"serviceaccount": "service_account", "user": "user", "identitypool": "identity_pool"}


class _Attribution:
    """Collects attributes tier by tier; the first value offered for an attribute wins. Owners are made canonical
    (`canonical_owner` with `directory` and `principal_owners`) before they are offered; an owner given as an
    account id is remembered as `owner_id` (the principal it designates) whether or not it yields an owner."""

    def __init__(self, directory: dict[str, str] | None = None,
                 principal_owners: dict[str, str | None] | None = None) -> None:
        self.values: dict[str, str | None] = dict.fromkeys(ATTRIBUTES)
        self.sources: dict[str, str | None] = dict.fromkeys(ATTRIBUTES)
        self.directory, self.principal_owners = directory, principal_owners
        self.owner_id: str | None = None

    def offer(self, attr: str, value: str | None, source: str) -> None:
        if attr == "owner" and value and source != "synthetic":
            raw = normalize_owner(value)
            if raw and is_principal_id(raw) and self.owner_id is None and self.values["owner"] is None:
                self.owner_id = raw
            value = canonical_owner(value, self.directory, self.principal_owners)
        if value and value != UNKNOWN and self.values[attr] is None:
            self.values[attr] = value
            self.sources[attr] = source

    def offer_all(self, values: object, source: str, attrs=ATTRIBUTES) -> None:
        if values is None:
            return
        for a in attrs:
            v = values.get(a) if isinstance(values, dict) else getattr(values, a, None)
            self.offer(a, v, source)

    def offer_owner_profile(self, mapping: OwnershipMapping, profiles: dict) -> None:
        owner = self.values["owner"]
        if owner:
            self.offer_all(mapping.owner_attributes(owner), "mapping", BUSINESS_ATTRIBUTES)
            self.offer_all(profile_for(profiles, owner), "catalog", BUSINESS_ATTRIBUTES)

    @property
    def source(self) -> str:
        for a in ATTRIBUTES:
            if self.sources[a]:
                return self.sources[a]
        return UNKNOWN

    def row(self) -> dict[str, str]:
        out = {a: (v or UNKNOWN) for a, v in self.values.items()}
        out["attribution_source"] = self.source
        return out


def _principal_universe(objects: CoreObjects, usage: pd.DataFrame | None) -> dict[str, tuple[str, str | None]]:
    """principal id → (principal_type, display_name) for every principal the day knows of."""
    out: dict[str, tuple[str, str | None]] = {}
    sa = objects.service_accounts
    for pid, name in zip(sa["principal_id"].tolist(), sa["display_name"].tolist(), strict=True):
        if text(pid):
            out[text(pid)] = ("service_account", text(name))
    us = objects.users
    for pid, email, full in zip(us["principal_id"].tolist(), us["email"].tolist(), us["full_name"].tolist(),
                                strict=True):
        if text(pid):
            out[text(pid)] = ("user", text(full) or text(email))
    ip = objects.identity_pools
    for pid, name in zip(ip["pool_id"].tolist(), ip["display_name"].tolist(), strict=True):
        if text(pid):
            out[text(pid)] = ("identity_pool", text(name))
    keys = objects.api_keys
    for owner, kind in zip(keys["owner_id"].tolist(), keys["owner_kind"].tolist(), strict=True):
        o = text(owner)
        if o and o not in out:
            k = _OWNER_KINDS.get((text(kind) or "").lower().replace("_", ""), principal_type_of(o))
            out[o] = (k, None)
    for pid in object_owners(objects)["principal_id"].tolist():
        out.setdefault(pid, (principal_type_of(pid), None))
    if usage is not None and len(usage) and "principal_id" in usage:
        key_owner = api_key_owners(objects)
        for pid in pd.unique(usage["principal_id"].dropna().astype(str)):
            pid = key_owner.get(pid, pid)  # a metric keyed by API key counts for the key's owner
            out.setdefault(pid, (principal_type_of(pid), None))
    out[UNALLOCATED] = ("unallocated", "Unallocated cost")
    return out


def known_emails(objects: CoreObjects, mapping: OwnershipMapping, evidence: pd.DataFrame | None = None) -> list[str]:
    """Every email the day knows: users' emails, the owners the mapping file names (`owners:` keys, principals' and
    resources' `owner`), and the owners the catalog states. `owner_directory` of these makes bare names canonical."""
    out = [text(e) for e in objects.users["email"].tolist()]
    out += list(mapping.owners)
    out += [a.owner for a in (*mapping.principals.values(), *mapping.resources.values()) if a.owner]
    if evidence is not None and len(evidence):
        out += evidence.loc[evidence["attr"] == "owner", "value"].tolist()
    return [e for e in out if e and "@" in e]


def resolve_principals(objects: CoreObjects, mapping: OwnershipMapping, profiles: dict,
                       usage: pd.DataFrame | None = None, directory: dict[str, str] | None = None) -> pd.DataFrame:
    """The principal attribution frame (columns of table principal_attribution without usage_date). `directory`:
    `owner_directory` of the day's known emails (default: those of `objects` and `mapping`)."""
    universe = _principal_universe(objects, usage)
    directory = directory if directory is not None else owner_directory(known_emails(objects, mapping))
    emails = {text(p): normalize_owner(text(e)) for p, e in
              zip(objects.users["principal_id"].tolist(), objects.users["email"].tolist(), strict=True) if text(p)}
    sa = objects.service_accounts
    sa_owner = {text(p): owner_from_description(text(d)) or owner_from_display_name(text(n))
                for p, d, n in zip(sa["principal_id"].tolist(), sa["description"].tolist(),
                                   sa["display_name"].tolist(), strict=True) if text(p)}
    # identity pools follow the same conventions as service accounts (`Owner: …` in the description, -owner-<x>)
    ip = objects.identity_pools
    sa_owner.update({text(p): owner_from_description(text(d)) or owner_from_display_name(text(n))
                     for p, d, n in zip(ip["pool_id"].tolist(), ip["description"].tolist(),
                                        ip["display_name"].tolist(), strict=True) if text(p)})
    rows = []
    for pid, (ptype, display) in universe.items():
        a = _Attribution(directory, emails)
        a.offer_all(mapping.principals.get(pid), "mapping")
        if pid == UNALLOCATED:
            for attr in ATTRIBUTES:
                a.offer(attr, "unallocated", "synthetic")
        a.offer("owner", emails.get(pid), "object")
        a.offer("owner", sa_owner.get(pid), "name")
        a.offer_owner_profile(mapping, profiles)
        rows.append({"principal_id": pid, "principal_type": ptype, "display_name": display, **a.row()})
    frame = pd.DataFrame(rows, columns=list(PRINCIPAL_ATTRIBUTION_COLUMNS))
    return frame.sort_values("principal_id", kind="stable").reset_index(drop=True)


def _resource_universe(objects: CoreObjects, mapping: OwnershipMapping,
                       catalog_clusters: dict) -> dict[str, dict[str, str | None]]:
    """resource id → {resource_type, env_id, cluster_id, display_name}."""
    out: dict[str, dict[str, str | None]] = {}

    def add(rid, rtype, env, cluster, name):
        rid = text(rid)
        if rid:
            out[rid] = {"resource_type": rtype, "env_id": text(env), "cluster_id": text(cluster),
                        "display_name": text(name)}

    o = objects
    for r in o.environments[["env_id", "display_name"]].itertuples(index=False):
        add(r.env_id, "environment", r.env_id, None, r.display_name)
    for r in o.kafka_clusters[["cluster_id", "env_id", "display_name"]].itertuples(index=False):
        add(r.cluster_id, "kafka_cluster", r.env_id, r.cluster_id, r.display_name)
    for r in o.connectors[["connector_id", "env_id", "cluster_id", "connector_name"]].itertuples(index=False):
        add(r.connector_id, "connector", r.env_id, r.cluster_id, r.connector_name)
    for r in o.ksqldb_clusters[["ksqldb_id", "env_id", "kafka_cluster_id", "display_name"]].itertuples(index=False):
        add(r.ksqldb_id, "ksqldb_cluster", r.env_id, r.kafka_cluster_id, r.display_name)
    for r in o.flink_compute_pools[["pool_id", "env_id", "display_name"]].itertuples(index=False):
        add(r.pool_id, "flink_compute_pool", r.env_id, None, r.display_name)
    for r in o.schema_registries[["sr_id", "env_id", "display_name"]].itertuples(index=False):
        add(r.sr_id, "schema_registry", r.env_id, None, r.display_name)
    # Resources known only to the mapping file or the catalog (e.g. deleted but still billed) are kept too.
    for rid in list(mapping.resources) + list(catalog_clusters):
        if rid not in out:
            rtype = resource_type_of(rid)
            add(rid, rtype, rid if rtype == "environment" else None, rid if rtype == "kafka_cluster" else None, None)
    return out


def _owner_principal(owner: str | None, known: set[str], by_email: dict[str, str]) -> str | None:
    """The principal an owner string designates: a principal id, or the user with that email."""
    if not owner:
        return None
    if owner in known or is_principal_id(owner):
        return owner
    return by_email.get(owner)


def resolve_resources(objects: CoreObjects, mapping: OwnershipMapping, catalog_clusters: dict, profiles: dict,
                      principals: pd.DataFrame, directory: dict[str, str] | None = None) -> pd.DataFrame:
    """The resource attribution frame (columns of table resource_attribution without usage_date)."""
    p_attrs = principals.set_index("principal_id")[list(ATTRIBUTES)].to_dict("index")
    directory = directory if directory is not None else owner_directory(known_emails(objects, mapping))
    principal_owners = {pid: a["owner"] for pid, a in p_attrs.items() if a["owner"] not in (None, UNKNOWN)}
    known = set(principals["principal_id"])
    by_email = {normalize_owner(text(e)): text(p) for p, e in
                zip(objects.users["principal_id"].tolist(), objects.users["email"].tolist(), strict=True)
                if text(e) and text(p)}
    owners = object_owners(objects).set_index("resource_id")["principal_id"].to_dict()
    rows = []
    for rid, info in _resource_universe(objects, mapping, catalog_clusters).items():
        a = _Attribution(directory, principal_owners)
        explicit = mapping.resources.get(rid)
        a.offer_all(explicit, "mapping")
        if info["resource_type"] == "kafka_cluster":
            a.offer_all(catalog_clusters.get(rid), "catalog")
        runs_as = owners.get(rid)
        if runs_as:
            # the identity it runs as: that identity's owner (never the identity id itself) and business attributes
            pa_ = p_attrs.get(runs_as, {})
            a.offer("owner", pa_.get("owner"), "object")
            a.offer_all(pa_, "object", BUSINESS_ATTRIBUTES)
        a.offer("owner", owner_from_display_name(info["display_name"]), "name")
        a.offer_owner_profile(mapping, profiles)
        owner_principal = (explicit.principal_id if explicit and explicit.principal_id else None) or runs_as \
            or a.owner_id or _owner_principal(a.values["owner"], known, by_email)
        rows.append({"resource_id": rid, **info, **a.row(), "owner_principal_id": owner_principal})
    frame = pd.DataFrame(rows, columns=list(RESOURCE_ATTRIBUTION_COLUMNS))
    return frame.sort_values("resource_id", kind="stable").reset_index(drop=True)


def resolve_attribution(objects: CoreObjects, catalog: CatalogData | None, mapping: OwnershipMapping | None,
                        usage: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(principals, resources): the attribution frames of a day, columns of tables principal_attribution and
    resource_attribution without `usage_date`. Principals: every service account, user, API-key owner, identity
    seen in usage or named by an object, and the synthetic `UNALLOCATED`. Resources: every environment, cluster,
    connector, ksqlDB cluster, Flink pool and Schema Registry, plus ids named only by the mapping or the catalog."""
    catalog = catalog if catalog is not None else CatalogData()
    mapping = mapping if mapping is not None else OwnershipMapping()
    evidence = catalog_evidence(catalog, mapping)
    profiles = owner_profiles(evidence)
    clusters = cluster_attributes(evidence)
    directory = owner_directory(known_emails(objects, mapping, evidence))
    principals = resolve_principals(objects, mapping, profiles, usage, directory)
    resources = resolve_resources(objects, mapping, clusters, profiles, principals, directory)
    return principals, resources
