"""What ids and names say on their own: the type of a principal or resource from its id prefix, and the owner that
naming conventions spell out (`…-owner-<x>` in display names, `Owner: <email>` in service-account descriptions)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

UNALLOCATED = "UNALLOCATED"

PRINCIPAL_PREFIXES = (("sa-", "service_account"), ("u-", "user"), ("pool-", "identity_pool"))
RESOURCE_PREFIXES = (
    ("lkc-", "kafka_cluster"),
    ("lcc-", "connector"),
    ("clcc-", "connector"),  # custom connectors
    ("lksqlc-", "ksqldb_cluster"),
    ("lfcp-", "flink_compute_pool"),
    ("lsrc-", "schema_registry"),
    ("env-", "environment"),
)

# `payments-prod-owner-alice` → alice. The owner is what follows the last `-owner-` up to the end of the name.
_OWNER_SUFFIX = re.compile(r"^.*-owner-([A-Za-z0-9._%+@-]+?)\s*$", re.IGNORECASE | re.DOTALL)
# `Ingest job. Owner: alice@company.com` → alice@company.com
_OWNER_FIELD = re.compile(r"\bowner\s*[:=]\s*([A-Za-z0-9._%+@-]+)", re.IGNORECASE)


def principal_type_of(principal_id: str | None) -> str:
    """`service_account` | `user` | `identity_pool` | `unallocated` | `unknown`, from the id alone."""
    if not principal_id:
        return "unknown"
    if principal_id == UNALLOCATED:
        return "unallocated"
    for prefix, kind in PRINCIPAL_PREFIXES:
        if principal_id.startswith(prefix):
            return kind
    return "unknown"


def resource_type_of(resource_id: str | None) -> str | None:
    """`kafka_cluster` | `connector` | `ksqldb_cluster` | `flink_compute_pool` | `schema_registry` | `environment`
    | `unknown`; None when there is no resource."""
    if not resource_id:
        return None
    for prefix, kind in RESOURCE_PREFIXES:
        if resource_id.startswith(prefix):
            return kind
    return "unknown"


_PRINCIPAL_ID = re.compile(r"^(sa|u|pool)-[A-Za-z0-9]+$")


def is_principal_id(value: str | None) -> bool:
    """True for a well-formed principal id (`sa-…`, `u-…`, `pool-…`), e.g. an owner written as a principal."""
    return bool(value) and bool(_PRINCIPAL_ID.match(value))


def normalize_owner(owner: str | None) -> str | None:
    """Owners compare case-insensitively: stripped, lower-cased, trailing punctuation removed; '' → None. An account
    id (`sa-…`, `u-…`, `pool-…`) is kept as written (ids are case-sensitive): `canonical_owner` resolves it."""
    if owner is None:
        return None
    o = str(owner).strip().strip(".,;:")
    if is_principal_id(o):
        return o
    return o.lower() or None


def owner_directory(emails: Iterable[str | None]) -> dict[str, str]:
    """{local part: email} for every known email whose local part no other known email shares (normalized):
    `rupert@company.com` teaches that the owner `rupert` is that address; with `rupert@a.com` and `rupert@b.com`
    both known, `rupert` stays a bare name."""
    by_local: dict[str, set[str]] = {}
    for e in emails:
        o = normalize_owner(e)
        if o and "@" in o and not is_principal_id(o):
            local = o.split("@", 1)[0]
            if local:
                by_local.setdefault(local, set()).add(o)
    return {local: next(iter(found)) for local, found in by_local.items() if len(found) == 1}


def canonical_owner(owner: str | None, directory: Mapping[str, str] | None = None,
                    principal_owners: Mapping[str, str | None] | None = None) -> str | None:
    """The one spelling of an owner (docs/ALLOCATION.md, "Owners are people, spelt one way"):

    - stripped and lower-cased (`normalize_owner`); empty, `unknown` → None;
    - an account id (`sa-…`, `u-…`, `pool-…`) is never an owner name: it stands for that principal's owner
      (`principal_owners[id]`, itself canonical), or None when that is not known;
    - a bare name that is the local part of exactly one known email (`directory`, see `owner_directory`) is that
      email: `Rupert` and `rupert@company.com` are one owner."""
    o = normalize_owner(owner)
    if o is None or o == "unknown":
        return None
    if is_principal_id(o):
        found = (principal_owners or {}).get(o)
        return found if found and not is_principal_id(found) and found != "unknown" else None
    if "@" not in o and directory:
        return directory.get(o, o)
    return o


def owner_from_display_name(name: str | None) -> str | None:
    """The `<x>` of a display name ending in `-owner-<x>` (environments, clusters, connectors, pools, …)."""
    if not name:
        return None
    m = _OWNER_SUFFIX.search(str(name))
    return normalize_owner(m.group(1)) if m else None


def owner_from_description(description: str | None) -> str | None:
    """The `<email>` of a description containing `Owner: <email>` (service accounts)."""
    if not description:
        return None
    m = _OWNER_FIELD.search(str(description))
    return normalize_owner(m.group(1)) if m else None
