"""Reading a day's inputs back from the warehouse for ownership and allocation."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from billing_portal.history.specs import CATALOG_TABLES, OBJECT_TABLES
from billing_portal.model.collected import PRINCIPAL_USAGE_HOURLY
from billing_portal.money import to_units
from billing_portal.resources import WarehouseResource

# principal usage as the allocation reads it: the table's columns but the day (billing_portal/model/collected.py)
USAGE_SCHEMA = PRINCIPAL_USAGE_HOURLY.arrow_schema(*(c for c in PRINCIPAL_USAGE_HOURLY.names() if c != "usage_date"))


def read_objects(warehouse: WarehouseResource, day: dt.date) -> dict[str, pd.DataFrame]:
    """The objects valid on `day`, from their history (never re-collected; see billing_portal/history/)."""
    from billing_portal.history import day_basis, read_day

    with warehouse.connect() as conn:
        basis = day_basis(conn, "objects", day)
        return {t: read_day(conn, t, day, basis) for t in OBJECT_TABLES}


def read_catalog(warehouse: WarehouseResource, day: dt.date) -> dict[str, pd.DataFrame]:
    """The catalog entities, tags and business metadata valid on `day`, from their history."""
    from billing_portal.history import day_basis, read_day

    with warehouse.connect() as conn:
        basis = day_basis(conn, "catalog", day)
        return {t: read_day(conn, t, day, basis) for t in CATALOG_TABLES}


def read_usage_sources(warehouse: WarehouseResource, day: dt.date, clusters, now: dt.datetime,
                       retention_days: int, metric_set: str = "principal") -> dict[str, str]:
    """Per Kafka cluster (or compute pool, metric set `flink`) of the day: where its usage comes from
    (`UsageSource`: metrics_api, prometheus, missing — not captured but still recoverable — or expired)."""
    from billing_portal.defs.usage.assets import METRIC_SETS, stored_captures
    from billing_portal.defs.usage.capture import day_state, source_of

    ms = next(m for m in METRIC_SETS.values() if m.name == metric_set)
    stored = stored_captures(warehouse, day, ms)
    state = day_state(day, now, retention_days)
    return {c: str(source_of(c, stored, state)) for c in sorted(set(clusters) | set(stored))}


def read_active_principals(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    """The principals with usage on `day` (column `principal_id`): all that ownership needs of the usage."""
    return warehouse.read_frame("SELECT DISTINCT principal_id FROM principal_usage_hourly WHERE usage_date = %s"
                                " ORDER BY 1", (day,))


def read_usage(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    table = warehouse.read_arrow(
        "SELECT hour, cluster_id, principal_id, request_bytes, response_bytes FROM principal_usage_hourly"
        " WHERE usage_date = %s ORDER BY hour, cluster_id, principal_id", (day,), schema=USAGE_SCHEMA)
    frame = table.to_pandas()
    if frame.empty:
        frame = pd.DataFrame({f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in USAGE_SCHEMA})
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame


def read_flink(warehouse: WarehouseResource, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(statement usage, statements valid on `day`): CFUs per hour, pool and statement, and who runs each
    statement (from the statements' history: deleted ones keep their principal)."""
    from billing_portal.history import day_basis, read_day

    usage = warehouse.read_frame("SELECT hour, cluster_id, statement_name, cfus FROM flink_statement_usage_hourly"
                                 " WHERE usage_date = %s ORDER BY hour, cluster_id, statement_name", (day,))
    with warehouse.connect() as conn:
        statements = read_day(conn, "flink_statements", day, day_basis(conn, "flink", day))
    return usage, statements[["env_id", "statement_name", "compute_pool_id", "principal_id"]]


def read_lines(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    """The day's bill as collected (published with the facts allocated from it, see billing/publish.py)."""
    lines = warehouse.read_frame("SELECT * FROM billing_costs_collected WHERE usage_date = %s ORDER BY line_no",
                                 (day,))
    lines["amount_units"] = pd.Series([to_units(a) for a in lines["amount"]], index=lines.index, dtype="int64")
    lines["line_no"] = lines["line_no"].astype("int64")
    return lines


def read_schema_owners(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    """The day's schemas and their owners (schema_attribution; `payer` None for an unowned schema), in key order."""
    frame = warehouse.read_frame("SELECT * FROM schema_attribution WHERE usage_date = %s"
                                 " ORDER BY sr_id, qualified_name", (day,))
    return frame.drop(columns=["usage_date"], errors="ignore")


def read_attribution(warehouse: WarehouseResource, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    # ordered: the allocation's code space (and so the rounding's tie order) must not depend on where rows sit
    principals = warehouse.read_frame("SELECT * FROM principal_attribution WHERE usage_date = %s"
                                      " ORDER BY principal_id", (day,))
    resources = warehouse.read_frame("SELECT * FROM resource_attribution WHERE usage_date = %s"
                                     " ORDER BY resource_id", (day,))
    return (principals.drop(columns=["usage_date"], errors="ignore"),
            resources.drop(columns=["usage_date"], errors="ignore"))
