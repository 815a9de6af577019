"""What allocation takes and gives: `DayInputs` (one org, one day) and `AllocationResult` (the facts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import pyarrow as pa

from billing_portal.model.collected import PRINCIPAL_USAGE_HOURLY
from billing_portal.model.tables import HOURLY_COST_FACTS
from billing_portal.ownership.frames import CatalogData, CoreObjects

# the facts frame: the table's columns with amounts as int64 units, no write-time fact_no (model/tables.py)
FACT_COLUMNS: tuple[str, ...] = HOURLY_COST_FACTS.frame_columns

# the usage frame: principal_usage_hourly without the day (model/collected.py)
USAGE_COLUMNS: tuple[str, ...] = tuple(c for c in PRINCIPAL_USAGE_HOURLY.names() if c != "usage_date")


@dataclass
class DayInputs:
    """One day of one organization.

    - `lines`: the billing_costs frame of the day (with `amount_units` int64; `amount` Decimal is used if it is missing).
    - `usage`: principal_usage_hourly (`hour` tz-aware UTC, `cluster_id`, `principal_id`, `request_bytes`,
      `response_bytes`); hours outside the day are ignored.
    - `objects`: the day's snapshot of Confluent objects.
    - `principals`, `resources`: the attribution frames from `billing_portal.ownership.resolve_attribution`; None →
      resolved here from `objects` and `usage` alone (no mapping file, no catalog).
    - `usage_sources`: per Kafka cluster, where its usage of the day comes from: `metrics_api` (captured while the
      Metrics API had it), `prometheus` (the usage history), `missing` (not captured, still recoverable) or
      `expired` (never captured, and the Metrics API no longer has it). A cluster not named counts as
      `metrics_api` when it has usage rows.
    - `flink_usage`: flink_statement_usage_hourly (`hour`, `cluster_id` = the compute pool, `statement_name`,
      `cfus`); `flink_statements`: the statements valid that day (`env_id`, `statement_name`, `compute_pool_id`,
      `principal_id`); `flink_usage_sources`: per compute pool, like `usage_sources`.
    - `schema_owners`: the day's schemas and their owners (`billing_portal.ownership.schemas.resolve_schemas`: `sr_id`,
      `payer`, owner attributes); read by `split: schema_owners` of Stream Governance lines.
    """

    usage_date: dt.date
    org_id: str | None
    lines: pd.DataFrame
    usage: pd.DataFrame | None = None
    objects: CoreObjects = field(default_factory=CoreObjects)
    principals: pd.DataFrame | None = None
    resources: pd.DataFrame | None = None
    usage_sources: dict[str, str] = field(default_factory=dict)
    flink_usage: pd.DataFrame | None = None
    flink_statements: pd.DataFrame | None = None
    flink_usage_sources: dict[str, str] = field(default_factory=dict)
    schema_owners: pd.DataFrame | None = None


@dataclass
class AllocationResult:
    """`table`: one row per (bill line, hour, principal) with the columns FACT_COLUMNS in that order, strings
    dictionary-encoded, amounts as `amount_units` int64 (1e-8 USD), ordered by hour; `facts`: the same rows as a pandas
    frame (built on first use). `stats`: counts and totals for materialization metadata."""

    table: pa.Table
    stats: dict = field(default_factory=dict)

    @cached_property
    def facts(self) -> pd.DataFrame:
        from billing_portal.allocation.facts import facts_frame

        return facts_frame(self.table)


__all__ = ["FACT_COLUMNS", "USAGE_COLUMNS", "AllocationResult", "CatalogData", "CoreObjects", "DayInputs"]
