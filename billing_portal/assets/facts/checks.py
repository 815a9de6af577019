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


# One scan of the day's facts (grouped per bill line, a CTE PostgreSQL materializes once), compared with the bill
# per line and per resource × line type (to the cent).
_RECONCILE = """
WITH f AS (SELECT line_no, resource_id, line_type, sum(amount_usd) AS s,
                  sum(amount_usd) FILTER (WHERE principal_id = 'UNALLOCATED') AS u
           FROM hourly_cost_facts WHERE hour >= %(lo)s AND hour < %(hi)s GROUP BY 1, 2, 3),
     b AS (SELECT line_no, resource_id, line_type, amount FROM billing_costs WHERE usage_date = %(day)s),
     f_line AS (SELECT line_no, sum(s) AS s FROM f GROUP BY 1),
     f_rlt AS (SELECT resource_id, line_type, sum(s) AS s FROM f GROUP BY 1, 2),
     b_rlt AS (SELECT resource_id, line_type, sum(amount) AS s FROM b GROUP BY 1, 2)
SELECT (SELECT COALESCE(sum(amount), 0) FROM b),
       (SELECT COALESCE(sum(s), 0) FROM f),
       (SELECT COALESCE(sum(u), 0) FROM f),
       (SELECT count(*) FROM b FULL JOIN f_line USING (line_no) WHERE b.amount IS DISTINCT FROM f_line.s),
       (SELECT count(*) FROM b_rlt FULL JOIN f_rlt ON b_rlt.resource_id IS NOT DISTINCT FROM f_rlt.resource_id
          AND b_rlt.line_type = f_rlt.line_type WHERE round(b_rlt.s, 2) IS DISTINCT FROM round(f_rlt.s, 2)),
       (SELECT COALESCE(sum(amount), 0) FROM quarantine_rows WHERE usage_date = %(day)s AND source = 'billing'),
       (SELECT count(*) FROM quarantine_rows WHERE usage_date = %(day)s AND source = 'billing')
"""


def reconcile_day(conn: psycopg.Connection, day: dt.date) -> DayReconciliation:
    """The stored day (facts and the published bill, inside the writing transaction) against itself."""
    lo, hi = day_bounds(day)
    billed, allocated, unallocated, mismatched_lines, mismatched_rlt, q_amount, q_rows = conn.execute(
        _RECONCILE, {"lo": lo, "hi": hi, "day": day}).fetchone()
    return DayReconciliation(day, billed, allocated, q_amount, q_rows, mismatched_lines, mismatched_rlt, unallocated)
