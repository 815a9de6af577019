"""Who owns each schema (for `split: schema_owners` of Stream Governance lines): per `sr_schema` entity of the
day's catalog (qualified name `lsrc-…:<context>:<id>`), the schema's own business metadata, then its tags
(`team_<x>`, `cost_center_<x>`, … — the same conventions as topics), then its owner attributes. Owners known to the
mapping file's `owners:` fill in the business attributes they do not state. A schema with none of these is
unowned: its share of a line stays with the registry's key holders.

Each owned schema gets a `payer`: the synthetic principal that carries its owner's attributes in the principal
view — `team:<team>`, else `owner:<owner>`, else `business_product:<x>`, … (schemas of one team pay as one)."""

from __future__ import annotations

import pandas as pd

from billing_portal.ownership.catalog import catalog_evidence
from billing_portal.ownership.frames import CatalogData, text
from billing_portal.ownership.mapping import ATTRIBUTES, OwnershipMapping
from billing_portal.ownership.names import normalize_owner

SCHEMA_TYPE = "sr_schema"
SCHEMA_ATTRIBUTION_COLUMNS = ("sr_id", "qualified_name", "payer", *ATTRIBUTES, "attribution_source")
# the attribute that names the payer, in order of preference
_PAYER_ORDER = ("team", "owner", "business_product", "business_unit", "cost_center")


def payer_of(values: dict[str, str | None]) -> str | None:
    """The synthetic principal an owned schema pays as: `team:payments`, else `owner:…`, …; None when unowned."""
    for attr in _PAYER_ORDER:
        if values.get(attr):
            return f"{attr}:{values[attr]}"
    return None


def resolve_schemas(catalog: CatalogData, mapping: OwnershipMapping) -> pd.DataFrame:
    """One row per schema entity of the day (SCHEMA_ATTRIBUTION_COLUMNS); `payer` None for an unowned schema."""
    ent = catalog.entities
    schemas = ent[ent["entity_type"] == SCHEMA_TYPE] if len(ent) else ent
    evidence = catalog_evidence(catalog, mapping) if len(schemas) else pd.DataFrame()
    best: dict[str, dict[str, str]] = {}
    if len(evidence):
        wanted = set(schemas["qualified_name"].map(text))
        ev = evidence[evidence["qualified_name"].isin(wanted)].sort_values("priority", kind="stable")
        for qn, attr, value in ev[["qualified_name", "attr", "value"]].itertuples(index=False):
            best.setdefault(qn, {}).setdefault(attr, value)
    rows = []
    for sr_id, qn in sorted({(text(s), text(q)) for s, q in zip(schemas["sr_id"].tolist(),
                                                                 schemas["qualified_name"].tolist(), strict=True)
                             if text(q)}, key=lambda x: (x[0] or "", x[1])):
        sr = sr_id or qn.split(":", 1)[0]
        values = dict(best.get(qn, {}))
        owner = normalize_owner(values.get("owner"))
        known = mapping.owner_attributes(owner)
        if known is not None:
            for a in ATTRIBUTES[1:]:
                if getattr(known, a):
                    values.setdefault(a, getattr(known, a))
        values["owner"] = owner
        payer = payer_of(values)
        rows.append({"sr_id": sr, "qualified_name": qn, "payer": payer, **{a: values.get(a) for a in ATTRIBUTES},
                     "attribution_source": "catalog" if payer else "unknown"})
    return pd.DataFrame(rows, columns=list(SCHEMA_ATTRIBUTION_COLUMNS))
