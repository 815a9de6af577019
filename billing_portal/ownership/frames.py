"""The input frames of ownership and allocation: one DataFrame per object table and per catalog table.

Columns are the warehouse columns (migration 0001) without `snapshot_date`. Frames may come with fewer columns (tests,
partial collections): missing columns are added as empty so the rules never have to check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

import pandas as pd

OBJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("org_id", "display_name", "raw"),
    "environments": ("env_id", "display_name", "stream_governance_package", "created_at", "raw"),
    "kafka_clusters": ("cluster_id", "env_id", "display_name", "cluster_kind", "availability", "cloud", "region",
                       "cku", "phase", "raw"),
    "service_accounts": ("principal_id", "display_name", "description", "raw"),
    "users": ("principal_id", "email", "full_name", "raw"),
    "api_keys": ("key_id", "display_name", "description", "owner_id", "owner_kind", "resource_id", "resource_kind",
                 "raw"),
    "connectors": ("connector_id", "connector_name", "env_id", "cluster_id", "connector_type", "connector_class",
                   "auth_mode", "service_account_id", "api_key", "tasks_max", "state", "raw"),
    "ksqldb_clusters": ("ksqldb_id", "display_name", "env_id", "kafka_cluster_id", "credential_identity_id", "csu",
                        "raw"),
    "flink_compute_pools": ("pool_id", "display_name", "env_id", "cloud", "region", "max_cfu", "raw"),
    "schema_registries": ("sr_id", "display_name", "env_id", "http_endpoint", "catalog_http_endpoint", "raw"),
    "identity_pools": ("pool_id", "display_name", "description", "identity_claim", "filter", "principal", "state",
                       "provider_id", "raw"),
}

CATALOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "entities": ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic", "name", "owner", "owner_email",
                 "classification_names", "raw"),
    "tags": ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic", "tag", "attributes"),
    "business_metadata": ("sr_id", "entity_type", "qualified_name", "cluster_id", "topic", "bm_type", "attributes"),
}

PRINCIPAL_ATTRIBUTION_COLUMNS = ("principal_id", "principal_type", "display_name", "owner", "team", "business_unit",
                                 "business_product", "cost_center", "attribution_source")
RESOURCE_ATTRIBUTION_COLUMNS = ("resource_id", "resource_type", "env_id", "cluster_id", "display_name", "owner",
                                "owner_principal_id", "team", "business_unit", "business_product", "cost_center",
                                "attribution_source")


def conform(frame: pd.DataFrame | None, columns: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with at least `columns` (missing ones added, all None); None → an empty frame with `columns`."""
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    frame = frame.copy()
    for c in missing:
        frame[c] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame


def _frames_post_init(obj, spec: dict[str, tuple[str, ...]]) -> None:
    for f in fields(obj):
        setattr(obj, f.name, conform(getattr(obj, f.name), spec[f.name]))


@dataclass
class CoreObjects:
    """A day's snapshot of the Confluent objects, one frame per object table."""

    organizations: pd.DataFrame | None = None
    environments: pd.DataFrame | None = None
    kafka_clusters: pd.DataFrame | None = None
    service_accounts: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    api_keys: pd.DataFrame | None = None
    connectors: pd.DataFrame | None = None
    ksqldb_clusters: pd.DataFrame | None = None
    flink_compute_pools: pd.DataFrame | None = None
    schema_registries: pd.DataFrame | None = None
    identity_pools: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        _frames_post_init(self, OBJECT_COLUMNS)


@dataclass
class CatalogData:
    """A day's Stream Governance catalog: entities, their tags and their business metadata
    (tables catalog_entities, catalog_tags, catalog_business_metadata)."""

    entities: pd.DataFrame | None = field(default=None)
    tags: pd.DataFrame | None = field(default=None)
    business_metadata: pd.DataFrame | None = field(default=None)

    def __post_init__(self) -> None:
        _frames_post_init(self, CATALOG_COLUMNS)


def text(value: object) -> str | None:
    """A cell as a stripped non-empty string, or None (NaN, None, '' all count as missing)."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    s = str(value).strip()
    return s or None


def text_series(series: pd.Series) -> pd.Series:
    """Vectorised `text`: a column as stripped non-empty strings (object dtype) or None."""
    out = series.astype("string").str.strip()
    out = out.where(out.notna() & (out != ""), None).astype(object)
    return out.where(out.notna(), None)


def as_dict(value: object) -> dict:
    """A jsonb cell (dict, JSON text or missing) as a dict."""
    if isinstance(value, dict):
        return value
    if isinstance(value, (str, bytes)):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def as_list(value: object) -> list[str]:
    """A text[] cell (list, numpy array, JSON text, '{a,b}' PostgreSQL text or missing) as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        v = value.strip()
        if v.startswith("["):
            try:
                return [str(x) for x in json.loads(v)]
            except ValueError:
                return []
        if v.startswith("{") and v.endswith("}"):
            return [x.strip().strip('"') for x in v[1:-1].split(",") if x.strip()]
        return [v] if v else []
    try:
        return [str(x) for x in value if x is not None]  # type: ignore[union-attr]
    except TypeError:
        return []
