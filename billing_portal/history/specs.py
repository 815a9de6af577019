"""What each source is, and how the present-only ones are kept as history.

Confluent's APIs are three kinds of source (docs/ALLOCATION.md, "Sources and their history"):

- **billing** — restatable history: a year back, published up to 72 h after the day, may change afterwards. Every run
  may re-read it; a changed day is re-allocated.
- **metrics** — short-retention history: the Metrics API answers for about `METRICS_RETENTION_DAYS` (7) days only.
  Usage is captured while it exists (`usage_capture`) and never replaced by a later, emptier answer.
- **objects**, **catalog** and **flink** (statements) — present-only state: no history endpoint exists, deleted objects vanish. Each
  collection is an observation; versions with validity intervals are kept per key (`<table>_history`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SourceNature(StrEnum):
    RESTATABLE_HISTORY = "restatable_history"
    SHORT_RETENTION_HISTORY = "short_retention_history"
    PRESENT_ONLY_STATE = "present_only_state"


SOURCE_NATURE: dict[str, SourceNature] = {
    "billing": SourceNature.RESTATABLE_HISTORY,
    "metrics": SourceNature.SHORT_RETENTION_HISTORY,
    "objects": SourceNature.PRESENT_ONLY_STATE,
    "catalog": SourceNature.PRESENT_ONLY_STATE,
    "flink": SourceNature.PRESENT_ONLY_STATE,  # Flink statements (regional Flink SQL API, its own key)
}


@dataclass(frozen=True)
class HistorySpec:
    """A present-only table kept as versions: `keys` identify one object / entity; `scope` is the column that says
    which part of the org a row belongs to (an environment, a registry), so that a scope that could not be observed
    never closes the versions it holds."""

    table: str
    source: str  # objects | catalog
    keys: tuple[str, ...]
    scope: str | None = None

    @property
    def history_table(self) -> str:
        return f"{self.table}_history"


HISTORY_SPECS: dict[str, HistorySpec] = {s.table: s for s in (
    HistorySpec("organizations", "objects", ("org_id",)),
    HistorySpec("environments", "objects", ("env_id",), "env_id"),
    HistorySpec("kafka_clusters", "objects", ("cluster_id",), "env_id"),
    HistorySpec("service_accounts", "objects", ("principal_id",)),
    HistorySpec("users", "objects", ("principal_id",)),
    HistorySpec("api_keys", "objects", ("key_id",)),
    HistorySpec("connectors", "objects", ("connector_id",), "env_id"),
    HistorySpec("ksqldb_clusters", "objects", ("ksqldb_id",), "env_id"),
    HistorySpec("flink_compute_pools", "objects", ("pool_id",), "env_id"),
    HistorySpec("schema_registries", "objects", ("sr_id",), "env_id"),
    HistorySpec("identity_pools", "objects", ("pool_id",), "provider_id"),
    HistorySpec("catalog_entities", "catalog", ("entity_type", "qualified_name"), "sr_id"),
    HistorySpec("catalog_tags", "catalog", ("entity_type", "qualified_name", "tag"), "sr_id"),
    HistorySpec("catalog_business_metadata", "catalog", ("entity_type", "qualified_name", "bm_type"), "sr_id"),
    HistorySpec("flink_statements", "flink", ("env_id", "statement_name"), "scope"),
)}

OBJECT_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "objects")
CATALOG_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "catalog")
FLINK_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "flink")

# Columns of a history table that are bookkeeping, not the object's attributes.
BOOKKEEPING = ("version_id", "valid_from", "valid_to", "observed_first", "observed_last", "version_hash")
# Columns of a derived per-day table that the history does not have.
DERIVED_ONLY = ("snapshot_date", "before_first_observation")
