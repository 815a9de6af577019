"""Every table of the warehouse, as data: the one place their columns, types and roles are written down.

| module | tables |
|---|---|
| `facts.py` | `hourly_cost_facts` (principal view), `hourly_topic_facts` (topic view) |
| `rollups.py` | their rollups (`cost_daily`, `cost_hourly_team`, `cost_daily_business`, `cost_daily_principal`, `topic_cost_daily`, `topic_cost_daily_business`) and the month rollups of the small ones (`cost_monthly_business`, `cost_monthly_principal`, `topic_cost_monthly_business`) |
| `observed.py` | present-only state kept as history: core objects, the Stream Catalog, Flink statements |
| `collected.py` | the bill, usage, quarantined rows, observations and captures |
| `derived.py` | attribution, confidence and figures, the /metrics ledger, partition status |

The migrations create the tables; `billing_portal_tests/integration/test_model_tables.py` checks that every table
here is the migrated one (columns, order, types, nullability) and that every table a migration creates is here.
"""

from __future__ import annotations

from billing_portal.model.collected import COLLECTED_TABLES
from billing_portal.model.derived import DERIVED_TABLES
from billing_portal.model.facts import FACT_TABLES, HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS
from billing_portal.model.observed import CATALOG_TABLES, FLINK_STATEMENTS, OBJECT_TABLES, OBSERVED_TABLES
from billing_portal.model.rollups import (
    ROLLUP_TABLES,
    derived_rollups_of,
    month_rollup_of,
    readable_rollups_of,
    rollups_of,
)
from billing_portal.model.schema import Column, FactTable, ObservedTable, RollupTable, Table

TABLES: tuple[Table, ...] = (*FACT_TABLES, *ROLLUP_TABLES, *OBSERVED_TABLES, *(t.history for t in OBSERVED_TABLES),
                             *COLLECTED_TABLES, *DERIVED_TABLES)
TABLE: dict[str, Table] = {t.name: t for t in TABLES}
if len(TABLE) != len(TABLES):  # pragma: no cover - a table listed twice is a programming error
    raise ValueError("a table is listed twice in the model")


def table(name: str) -> Table:
    return TABLE[name]


def deps_reading(*tables: Table | str) -> list[str]:
    """The Dagster assets that write `tables` (in order, once each): the `deps` of an asset that reads them."""
    out: list[str] = []
    for t in tables:
        t = TABLE[t] if isinstance(t, str) else t
        if t.asset is None:
            raise ValueError(f"{t.name} is written by several assets: name the table the reader depends on")
        if t.asset not in out:
            out.append(t.asset)
    return out


__all__ = ["CATALOG_TABLES", "FACT_TABLES", "FLINK_STATEMENTS", "HOURLY_COST_FACTS", "HOURLY_TOPIC_FACTS",
           "OBJECT_TABLES", "OBSERVED_TABLES", "ROLLUP_TABLES", "TABLE", "TABLES", "Column", "FactTable",
           "ObservedTable", "RollupTable", "Table", "deps_reading", "derived_rollups_of", "month_rollup_of",
           "readable_rollups_of", "rollups_of", "table"]
