"""Checks computed on what was actually stored: reconciliation against the bill, unallocated share, quarantine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from billing_portal.assets.partitions import day_bounds


@dataclass
class DayReconciliation:
    day: dt.date
    billed: Decimal
    allocated: Decimal
    quarantined: Decimal
    quarantined_rows: int
    mismatched_lines: int
    mismatched_resource_line_types: int
    unallocated: Decimal

    @property
    def ok(self) -> bool:
        return self.billed == self.allocated and self.mismatched_lines == 0 and self.mismatched_resource_line_types == 0

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "billed_usd": str(self.billed), "allocated_usd": str(self.allocated),
                "difference_usd": str(self.allocated - self.billed), "quarantined_usd": str(self.quarantined),
                "quarantined_rows": self.quarantined_rows, "mismatched_lines": self.mismatched_lines,
                "mismatched_resource_line_types": self.mismatched_resource_line_types,
                "unallocated_usd": str(self.unallocated)}


def reconcile_day(conn: psycopg.Connection, day: dt.date) -> DayReconciliation:
    lo, hi = day_bounds(day)
    billed = conn.execute("SELECT COALESCE(sum(amount), 0) FROM billing_costs WHERE usage_date = %s",
                          (day,)).fetchone()[0]
    allocated, unallocated = conn.execute(
        "SELECT COALESCE(sum(amount_usd), 0), COALESCE(sum(amount_usd) FILTER (WHERE principal_id = 'UNALLOCATED'), 0)"
        " FROM hourly_cost_facts WHERE hour >= %s AND hour < %s", (lo, hi)).fetchone()
    mismatched_lines = conn.execute(
        "WITH f AS (SELECT line_no, sum(amount_usd) AS s FROM hourly_cost_facts"
        "           WHERE hour >= %s AND hour < %s GROUP BY line_no),"
        "     b AS (SELECT line_no, amount FROM billing_costs WHERE usage_date = %s)"
        " SELECT count(*) FROM b FULL JOIN f USING (line_no) WHERE b.amount IS DISTINCT FROM f.s",
        (lo, hi, day)).fetchone()[0]
    mismatched_rlt = conn.execute(
        "WITH f AS (SELECT resource_id, line_type, sum(amount_usd) AS s FROM hourly_cost_facts"
        "           WHERE hour >= %s AND hour < %s GROUP BY 1, 2),"
        "     b AS (SELECT resource_id, line_type, sum(amount) AS s FROM billing_costs WHERE usage_date = %s"
        "           GROUP BY 1, 2)"
        " SELECT count(*) FROM b FULL JOIN f ON b.resource_id IS NOT DISTINCT FROM f.resource_id"
        "   AND b.line_type = f.line_type WHERE round(b.s, 2) IS DISTINCT FROM round(f.s, 2)",
        (lo, hi, day)).fetchone()[0]
    q_amount, q_rows = conn.execute(
        "SELECT COALESCE(sum(amount), 0), count(*) FROM quarantine_rows WHERE usage_date = %s AND source = 'billing'",
        (day,)).fetchone()
    return DayReconciliation(day, billed, allocated, q_amount, q_rows, mismatched_lines, mismatched_rlt, unallocated)
