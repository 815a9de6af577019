"""History the Confluent APIs do not keep: observations of present-only state as versioned history, and the state
valid on a given day (see specs.py for the nature of each source)."""

from billing_portal.history.resolve import DayBasis, day_basis, read_day
from billing_portal.history.specs import (
    CATALOG_TABLES,
    FLINK_TABLES,
    HISTORY_SPECS,
    OBJECT_TABLES,
    SOURCE_NATURE,
    HistorySpec,
    SourceNature,
)
from billing_portal.history.store import Observation, TableChanges, previous_observation, record_observation

__all__ = ["CATALOG_TABLES", "FLINK_TABLES", "HISTORY_SPECS", "OBJECT_TABLES", "SOURCE_NATURE", "DayBasis", "HistorySpec",
           "Observation", "SourceNature", "TableChanges", "day_basis", "previous_observation", "read_day",
           "record_observation"]
