"""Checks computed on what was actually stored: reconciliation against the bill, quarantine, and the figures of the
stored days (unallocated share, attribution completeness) read from `cost_figures_daily` through the SQL definitions
of migration 0014, exactly as the API, /metrics and the dashboards read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg.rows import tuple_row

from billing_portal.defs.partitions import day_bounds


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


# The figures of a set of days (scope total), per day and over all of them (the row whose usage_date is NULL), by
# the SQL definitions every other reader uses (migration 0014).
_FIGURES = """
SELECT usage_date, sum(charges_usd) AS charges_usd, sum(credits_usd) AS credits_usd,
       sum(unallocated_charges_usd) AS unallocated_charges_usd, sum(unallocated_credits_usd) AS unallocated_credits_usd,
       unallocated_share(sum(unallocated_charges_usd), sum(charges_usd)) AS unallocated_share,
       attribution_completeness(sum(team_known_usd), sum(charges_usd)) AS team_completeness,
       attribution_completeness(sum(business_unit_known_usd), sum(charges_usd)) AS business_unit_completeness,
       attribution_completeness(sum(cost_center_known_usd), sum(charges_usd)) AS cost_center_completeness
FROM cost_figures_daily WHERE scope_type = 'total' AND usage_date = ANY(%(days)s)
GROUP BY ROLLUP (usage_date) ORDER BY usage_date NULLS LAST
"""

FIGURE_FIELDS = ("charges_usd", "credits_usd", "unallocated_charges_usd", "unallocated_credits_usd",
                 "unallocated_share", "team_completeness", "business_unit_completeness", "cost_center_completeness")


@dataclass
class DayFigures:
    """The stored figures of one day (or, with `day` None, of a set of days); shares are None without charges."""

    day: dt.date | None
    charges_usd: Decimal = Decimal(0)
    credits_usd: Decimal = Decimal(0)
    unallocated_charges_usd: Decimal = Decimal(0)
    unallocated_credits_usd: Decimal = Decimal(0)
    unallocated_share: Decimal | None = None
    team_completeness: Decimal | None = None
    business_unit_completeness: Decimal | None = None
    cost_center_completeness: Decimal | None = None

    def numbers(self, *names: str) -> dict[str, float | None]:
        """Numeric values (floats, for metadata Dagster can plot); None stays None."""
        return {n: (None if getattr(self, n) is None else float(getattr(self, n))) for n in names or FIGURE_FIELDS}


def stored_figures(conn: psycopg.Connection, days: list[dt.date]) -> tuple[DayFigures, list[DayFigures]]:
    """(the figures over all `days`, the figures of each day that has some) from cost_figures_daily."""
    overall, per_day = DayFigures(None), []
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(_FIGURES, {"days": list(days)})
        cols = [d.name for d in cur.description]
        for row in cur.fetchall():
            values = dict(zip(cols, row, strict=True))
            fig = DayFigures(values.pop("usage_date"), **{k: v for k, v in values.items() if v is not None})
            if fig.day is None:
                overall = fig
            else:
                per_day.append(fig)
    return overall, per_day
