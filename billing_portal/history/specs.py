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

from enum import StrEnum

from billing_portal.model.observed import OBSERVED_TABLES
from billing_portal.model.schema import BEFORE_FIRST_OBSERVATION, HISTORY_BOOKKEEPING, SNAPSHOT_DATE, ObservedTable


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


# A present-only table kept as versions: the model's ObservedTable (billing_portal/model/observed.py) says which
# source it comes from, the `keys` that identify one object or entity, and the `scope` column that says which part of
# the org a row belongs to (an environment, a registry), so that a scope that could not be observed never closes the
# versions it holds.
HistorySpec = ObservedTable

HISTORY_SPECS: dict[str, HistorySpec] = {t.name: t for t in OBSERVED_TABLES}

OBJECT_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "objects")
CATALOG_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "catalog")
FLINK_TABLES: tuple[str, ...] = tuple(t for t, s in HISTORY_SPECS.items() if s.source == "flink")

# Columns of a history table that are bookkeeping, not the object's attributes.
BOOKKEEPING = tuple(c.name for c in HISTORY_BOOKKEEPING)
# Columns of a derived per-day table that the history does not have.
DERIVED_ONLY = (SNAPSHOT_DATE.name, BEFORE_FIRST_OBSERVATION.name)
