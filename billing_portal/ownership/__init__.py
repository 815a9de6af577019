"""Ownership: who owns each principal and resource (owner, team, business unit, business product, cost center).

Precedence: the mapping file → Stream Governance business metadata and tags → names → `unknown`; see
docs/ALLOCATION.md. Pure functions over frames: no I/O except reading the mapping file in `load_mapping`.
"""

from billing_portal.ownership.frames import CatalogData, CoreObjects
from billing_portal.ownership.mapping import (
    Attributes,
    BusinessMetadataAttributes,
    OwnerAttributes,
    OwnershipMapping,
    ResourceAttributes,
    TagConventions,
    load_mapping,
)
from billing_portal.ownership.names import UNALLOCATED
from billing_portal.ownership.resolve import UNKNOWN, resolve_attribution

__all__ = [
    "UNALLOCATED",
    "UNKNOWN",
    "Attributes",
    "BusinessMetadataAttributes",
    "CatalogData",
    "CoreObjects",
    "OwnerAttributes",
    "OwnershipMapping",
    "ResourceAttributes",
    "TagConventions",
    "load_mapping",
    "resolve_attribution",
]
