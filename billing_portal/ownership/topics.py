"""Who owns each topic (the topic view): per (cluster, topic) of the day, the topic's own catalog business metadata,
then its catalog tags, then its catalog owner attributes (`catalog_evidence`), then the mapping file's topic rules
(first matching glob or regex), then `unknown`. Owners known to the mapping file's `owners:` fill in the business
attributes they do not state. `attribution_source` says where the topic's attributes came from (catalog, mapping,
unknown)."""

from __future__ import annotations

import pandas as pd

from billing_portal.ownership.catalog import catalog_evidence
from billing_portal.ownership.frames import CatalogData
from billing_portal.ownership.mapping import ATTRIBUTES, OwnershipMapping
from billing_portal.ownership.names import canonical_owner, owner_directory

TOPIC_ATTRIBUTION_COLUMNS = ("cluster_id", "topic", *ATTRIBUTES, "attribution_source")


def resolve_topics(topics: pd.DataFrame, catalog: CatalogData, mapping: OwnershipMapping,
                   emails: list[str] | None = None) -> pd.DataFrame:
    """`topics`: (cluster_id, topic) pairs of the day. Returns TOPIC_ATTRIBUTION_COLUMNS, one row per pair. Owners
    are canonical (`canonical_owner`) over the emails of the mapping, the catalog and `emails` (e.g. users')."""
    pairs = topics[["cluster_id", "topic"]].dropna().drop_duplicates().astype(str)
    evidence = catalog_evidence(catalog, mapping)
    known = list(emails or []) + list(mapping.owners)
    known += [a.owner for a in (*mapping.principals.values(), *mapping.resources.values()) if a.owner]
    known += [r.owner for r in mapping.topics if r.owner]
    if len(evidence):
        known += evidence.loc[evidence["attr"] == "owner", "value"].tolist()
    directory = owner_directory(known)
    best: dict[tuple[str, str], dict[str, str]] = {}
    if len(evidence):
        ev = evidence.sort_values("priority", kind="stable")
        for qn, attr, value in ev[["qualified_name", "attr", "value"]].itertuples(index=False):
            parts = str(qn).split(":", 2)
            if len(parts) == 3:  # lsrc-…:lkc-…:topic
                best.setdefault((parts[1], parts[2]), {}).setdefault(attr, value)
    rows = []
    for cluster, topic in pairs.itertuples(index=False):
        values = dict(best.get((cluster, topic), {}))
        source = "catalog" if values else "unknown"
        rule = next((r for r in mapping.topics if r.matches(cluster, topic)), None)
        if rule is not None:
            for a in ATTRIBUTES:
                if getattr(rule, a) and a not in values:
                    values[a] = getattr(rule, a)
                    source = "catalog" if source == "catalog" else "mapping"
        owner = canonical_owner(values.get("owner"), directory)
        known = mapping.owner_attributes(owner)
        if known is not None:
            for a in ATTRIBUTES[1:]:
                values.setdefault(a, getattr(known, a))
        rows.append({"cluster_id": cluster, "topic": topic, **{a: values.get(a) for a in ATTRIBUTES},
                     "owner": owner, "attribution_source": source})
    return pd.DataFrame(rows, columns=list(TOPIC_ATTRIBUTION_COLUMNS))
