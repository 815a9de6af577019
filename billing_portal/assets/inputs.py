"""Reading a day's inputs back from the warehouse for ownership and allocation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
from psycopg import sql

from billing_portal.money import to_units
from billing_portal.resources import WarehouseResource

OBJECT_TABLES = ("organizations", "environments", "kafka_clusters", "service_accounts", "users", "api_keys",
                 "connectors", "ksqldb_clusters", "flink_compute_pools", "schema_registries")
CATALOG_TABLES = ("catalog_entities", "catalog_tags", "catalog_business_metadata")

USAGE_SCHEMA = pa.schema([
    ("hour", pa.timestamp("us", tz="UTC")),
    ("cluster_id", pa.string()),
    ("principal_id", pa.string()),
    ("request_bytes", pa.float64()),
    ("response_bytes", pa.float64()),
])


def snapshot_date_for(warehouse: WarehouseResource, table: str, day: dt.date) -> dt.date | None:
    """The snapshot to use for `day`: that day's, else the newest before it, else the oldest after it."""
    rows = warehouse.query(sql.SQL(
        "SELECT COALESCE((SELECT max(snapshot_date) FROM {t} WHERE snapshot_date <= %s),"
        " (SELECT min(snapshot_date) FROM {t} WHERE snapshot_date > %s))").format(t=sql.Identifier(table)),
        (day, day))
    return rows[0][0] if rows else None


def read_snapshot(warehouse: WarehouseResource, table: str, day: dt.date) -> pd.DataFrame:
    snap = snapshot_date_for(warehouse, table, day)
    frame = warehouse.read_frame(sql.SQL("SELECT * FROM {} WHERE snapshot_date = %s").format(sql.Identifier(table)),
                                 (snap,))
    return frame.drop(columns=["snapshot_date"], errors="ignore")


def read_objects(warehouse: WarehouseResource, day: dt.date) -> dict[str, pd.DataFrame]:
    return {t: read_snapshot(warehouse, t, day) for t in OBJECT_TABLES}


def read_catalog(warehouse: WarehouseResource, day: dt.date) -> dict[str, pd.DataFrame]:
    return {t: read_snapshot(warehouse, t, day) for t in CATALOG_TABLES}


def read_usage(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    table = warehouse.read_arrow(
        "SELECT hour, cluster_id, principal_id, request_bytes, response_bytes FROM principal_usage_hourly"
        " WHERE usage_date = %s", (day,), schema=USAGE_SCHEMA)
    frame = table.to_pandas()
    if frame.empty:
        frame = pd.DataFrame({f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in USAGE_SCHEMA})
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame


def read_lines(warehouse: WarehouseResource, day: dt.date) -> pd.DataFrame:
    """The day's bill as collected (published with the facts allocated from it, see billing/publish.py)."""
    lines = warehouse.read_frame("SELECT * FROM billing_costs_collected WHERE usage_date = %s ORDER BY line_no",
                                 (day,))
    lines["amount_units"] = pd.Series([to_units(a) for a in lines["amount"]], index=lines.index, dtype="int64")
    lines["line_no"] = lines["line_no"].astype("int64")
    return lines


def read_attribution(warehouse: WarehouseResource, day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    principals = warehouse.read_frame("SELECT * FROM principal_attribution WHERE usage_date = %s", (day,))
    resources = warehouse.read_frame("SELECT * FROM resource_attribution WHERE usage_date = %s", (day,))
    return (principals.drop(columns=["usage_date"], errors="ignore"),
            resources.drop(columns=["usage_date"], errors="ignore"))
