"""Present-only state: what the Confluent APIs describe only as it is now (objects, the Stream Catalog, Flink
statements), kept by the portal as versioned history (`<table>_history`) and derived per day (`<table>`).

Derived from here, never listed again: the core-object asset specs and their descriptions, the deps of the assets
that read them, the history specs (keys and scope per table, billing_portal/history/specs.py), the collected frames'
columns (confluent/objects.py, confluent/catalog.py, confluent/flink.py), and the per-day and history tables' columns
checked against the migrations.
"""

from __future__ import annotations

from billing_portal.model.schema import Column, ObservedTable

_T, _I, _J, _TS = "text", "integer", "jsonb", "timestamp with time zone"


def _cols(*spec: str | tuple) -> tuple[Column, ...]:
    """Attribute columns: a bare name is nullable text; (name, type) or (name, type, nullable) say otherwise."""
    out = []
    for s in spec:
        name, sql_type, nullable = (s, _T, True) if isinstance(s, str) else (*s, True)[:3]
        out.append(Column(name, sql_type, "attribute", nullable))
    return tuple(out)


_RAW = ("raw", _J, False)


def _object(name: str, description: str, keys: tuple[str, ...], scope: str | None, *attributes) -> ObservedTable:
    return ObservedTable(name=name, kind="object", source="objects", description=description, keys=keys, scope=scope,
                         attributes=_cols(*attributes))


OBJECT_TABLES: tuple[ObservedTable, ...] = (
    _object("organizations", "Organizations the Cloud API key can see (org/v2).", ("org_id",), None,
            ("org_id", _T, False), "display_name", _RAW),
    _object("environments", "Environments (org/v2) with their Stream Governance package.", ("env_id",), "env_id",
            ("env_id", _T, False), "display_name", "stream_governance_package", ("created_at", _TS), _RAW),
    _object("kafka_clusters", "Kafka clusters (cmk/v2) per environment.", ("cluster_id",), "env_id",
            ("cluster_id", _T, False), "env_id", "display_name", "cluster_kind", "availability", "cloud", "region",
            ("cku", _I), "phase", _RAW),
    _object("service_accounts", "Service accounts (iam/v2), with descriptions such as `Owner: bob@company.com`.",
            ("principal_id",), None, ("principal_id", _T, False), "display_name", "description", _RAW),
    _object("users", "Users (iam/v2).", ("principal_id",), None,
            ("principal_id", _T, False), "email", "full_name", _RAW),
    _object("api_keys", "API keys (iam/v2): owner principal and the resource each key is for.", ("key_id",), None,
            ("key_id", _T, False), "display_name", "description", "owner_id", "owner_kind", "resource_id",
            "resource_kind", _RAW),
    _object("connectors", "Managed connectors (connect/v1) with their service account or API key.",
            ("connector_id",), "env_id",
            ("connector_id", _T, False), ("connector_name", _T, False), "env_id", "cluster_id", "connector_type",
            "connector_class", "auth_mode", "service_account_id", "api_key", ("tasks_max", _I), "state", _RAW),
    _object("ksqldb_clusters", "ksqlDB clusters (ksqldbcm/v2) and their credential identity.", ("ksqldb_id",),
            "env_id", ("ksqldb_id", _T, False), "display_name", "env_id", "kafka_cluster_id",
            "credential_identity_id", ("csu", _I), _RAW),
    _object("flink_compute_pools", "Flink compute pools (fcpm/v2).", ("pool_id",), "env_id",
            ("pool_id", _T, False), "display_name", "env_id", "cloud", "region", ("max_cfu", _I), _RAW),
    _object("schema_registries", "Schema Registry clusters (srcm/v3) and their catalog endpoints.", ("sr_id",),
            "env_id", ("sr_id", _T, False), "display_name", "env_id", "http_endpoint", "catalog_http_endpoint", _RAW),
    _object("identity_pools", "OAuth and mTLS identity pools (iam/v2): `pool-…` principals with their descriptions.",
            ("pool_id",), "provider_id",
            ("pool_id", _T, False), "display_name", "description", "identity_claim", "filter", "principal", "state",
            "provider_id", _RAW),
)

_ENTITY = ("sr_id", ("entity_type", _T, False), ("qualified_name", _T, False), "cluster_id", "topic")


def _catalog(name: str, description: str, keys: tuple[str, ...], *attributes) -> ObservedTable:
    return ObservedTable(name=name, kind="catalog", source="catalog", asset="catalog_tags", description=description, keys=keys,
                         scope="sr_id", attributes=_cols(*_ENTITY, *attributes))


CATALOG_TABLES: tuple[ObservedTable, ...] = (
    _catalog("catalog_entities", "Stream Catalog entities (topics, clusters, schemas) of every environment's "
                                 "registry, with their owners.", ("entity_type", "qualified_name"),
             "name", "owner", "owner_email", ("classification_names", "ARRAY"), _RAW),
    _catalog("catalog_tags", "Tags on catalog entities (team_…, cost_center_…, PII, …).",
             ("entity_type", "qualified_name", "tag"), ("tag", _T, False), ("attributes", _J)),
    _catalog("catalog_business_metadata", "Business metadata on catalog entities (owner, team, business unit, "
                                          "cost center).", ("entity_type", "qualified_name", "bm_type"),
             ("bm_type", _T, False), ("attributes", _J)),
)

FLINK_STATEMENTS = ObservedTable(
    name="flink_statements", kind="flink", source="flink", keys=("env_id", "statement_name"), scope="scope",
    description="Flink SQL statements (regional Flink API) and the principal each one runs as.",
    attributes=_cols(("env_id", _T, False), ("statement_name", _T, False), "compute_pool_id", "principal_id",
                     "principal", "phase", ("stopped", "boolean"), "uid", ("scope", _T, False), _RAW))

OBSERVED_TABLES: tuple[ObservedTable, ...] = (*OBJECT_TABLES, *CATALOG_TABLES, FLINK_STATEMENTS)
