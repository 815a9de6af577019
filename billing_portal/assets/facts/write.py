"""Writing a day of hourly cost facts: stable order by hour, `fact_no`, exact NUMERIC text, atomic partition swap."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg

from billing_portal.money import units_to_text
from billing_portal.warehouse.replace import swap_day_partition
from billing_portal.warehouse.rollups import refresh_rollups

FACT_COLUMNS = [
    "usage_date", "hour", "fact_no", "line_no", "org_id", "env_id", "resource_id", "resource_type", "cluster_id",
    "product", "line_type", "principal_id", "principal_type", "owner", "team", "business_unit", "business_product",
    "cost_center", "amount_usd", "allocation_method", "allocation_reason", "confidence",
]


def prepare_facts(day: dt.date, facts: pd.DataFrame) -> pd.DataFrame:
    """Allocation output (with `amount_units`) → rows in the table's shape, ordered by hour with `fact_no`."""
    order = np.argsort(facts["hour"].to_numpy(), kind="stable")
    out = facts.iloc[order].reset_index(drop=True)
    out["usage_date"] = day
    out["fact_no"] = np.arange(len(out), dtype=np.int64)
    out["amount_usd"] = units_to_text(out["amount_units"].to_numpy())
    return out[FACT_COLUMNS]


def write_facts(conn: psycopg.Connection, day: dt.date, facts: pd.DataFrame) -> int:
    """Replace the day's partition of hourly_cost_facts and its rollups (inside the caller's transaction)."""
    return swap_day_partition(conn, "hourly_cost_facts", day, prepare_facts(day, facts), FACT_COLUMNS,
                              after_load=[lambda c, table: refresh_rollups(c, day, table)])
