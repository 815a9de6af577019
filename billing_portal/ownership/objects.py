"""Identities that the Confluent objects themselves name: a connector's service account (or the owner of its API
key), a ksqlDB cluster's credential identity, and who holds API keys for which resource."""

from __future__ import annotations

import pandas as pd

from billing_portal.ownership.frames import CoreObjects, text, text_series

# Evidence values; billing_portal.allocation.vocabulary uses the same words as allocation reasons.
CONNECTOR_SERVICE_ACCOUNT = "connector_service_account"
CONNECTOR_API_KEY_OWNER = "connector_api_key_owner"
KSQLDB_CREDENTIAL_IDENTITY = "ksqldb_credential_identity"

OBJECT_OWNER_COLUMNS = ["resource_id", "principal_id", "evidence"]


def api_key_owners(objects: CoreObjects) -> dict[str, str]:
    """API key id → owner principal id."""
    keys = objects.api_keys
    key, owner = text_series(keys["key_id"]), text_series(keys["owner_id"])
    ok = key.notna() & owner.notna()
    return dict(zip(key[ok].tolist(), owner[ok].tolist(), strict=True))


def _connector_owner(auth_mode: str | None, sa: str | None, key: str | None,
                     key_owners: dict[str, str]) -> tuple[str, str] | None:
    key_owner = key_owners.get(key) if key and "*" not in key else None
    by_sa = (sa, CONNECTOR_SERVICE_ACCOUNT) if sa else None
    by_key = (key_owner, CONNECTOR_API_KEY_OWNER) if key_owner else None
    if (auth_mode or "").upper() == "KAFKA_API_KEY":
        return by_key or by_sa
    return by_sa or by_key


def object_owners(objects: CoreObjects) -> pd.DataFrame:
    """resource_id, principal_id, evidence — for every connector and ksqlDB cluster whose object names its identity.

    Connectors: `kafka.service.account.id` (auth mode SERVICE_ACCOUNT), or the owner of `kafka.api.key` through the
    API-keys list (auth mode KAFKA_API_KEY; a masked key cannot be resolved). ksqlDB: `credential_identity`.
    """
    key_owners = api_key_owners(objects)
    rows = []
    c = objects.connectors
    for cid, mode, sa, key in zip(c["connector_id"].tolist(), c["auth_mode"].tolist(),
                                  c["service_account_id"].tolist(), c["api_key"].tolist(), strict=True):
        cid = text(cid)
        hit = _connector_owner(text(mode), text(sa), text(key), key_owners) if cid else None
        if hit:
            rows.append((cid, hit[0], hit[1]))
    k = objects.ksqldb_clusters
    for kid, ident in zip(k["ksqldb_id"].tolist(), k["credential_identity_id"].tolist(), strict=True):
        kid, ident = text(kid), text(ident)
        if kid and ident:
            rows.append((kid, ident, KSQLDB_CREDENTIAL_IDENTITY))
    return pd.DataFrame(rows, columns=OBJECT_OWNER_COLUMNS).drop_duplicates("resource_id")


def key_holders(objects: CoreObjects) -> pd.DataFrame:
    """resource_id, principal_id: who holds at least one API key scoped to that resource (cluster, Schema
    Registry, …). Cloud keys (no resource) are left out."""
    keys = objects.api_keys
    resource, owner = text_series(keys["resource_id"]), text_series(keys["owner_id"])
    kind = text_series(keys["resource_kind"]).fillna("").str.lower()
    ok = resource.notna() & owner.notna() & (kind != "cloud") & (resource.fillna("").str.lower() != "cloud")
    frame = pd.DataFrame({"resource_id": resource[ok].to_numpy(dtype=object),
                          "principal_id": owner[ok].to_numpy(dtype=object)})
    return frame.drop_duplicates().reset_index(drop=True)
