"""The facts' checks: reconciliation against the bill, quarantine, and the figures of the stored days (unallocated
share, attribution completeness) read from `cost_figures_daily` through the SQL definitions of migration 0014,
exactly as the API, /metrics and the dashboards read them.

The reconciliation is computed twice over, by the same rules: `reconcile_facts` on the rows the writer COPYs (the
Arrow table whose text is sent; the server's COPY row count must equal its length), which the asset uses — no scan
of the day after writing it; and `reconcile_day` on the stored day in SQL, for audits and the tests that tamper
with stored facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg.rows import tuple_row

from billing_portal.defs.partitions import day_bounds
from billing_portal.money import from_units
from billing_portal.ownership.names import UNALLOCATED


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


def _cents(units: np.ndarray) -> np.ndarray:
    """int64 units (1e-8 USD) → cents, rounded half away from zero (PostgreSQL's round(numeric, 2))."""
    return np.sign(units) * ((np.abs(units) + 500_000) // 1_000_000)


def reconcile_facts(day: dt.date, lines: pd.DataFrame, facts: pa.Table, quarantined: Decimal = Decimal(0),
                    quarantined_rows: int = 0) -> DayReconciliation:
    """The day's bill (`lines`: line_no, resource_id, line_type, amount_units) against its facts (an Arrow table with
    line_no, resource_id, line_type, principal_id, amount_units), per line exactly and per resource × line type to
    the cent: the same rules as `reconcile_day`, on the rows being written."""
    by_line = facts.group_by(["line_no"]).aggregate([("amount_units", "sum")]).to_pandas()
    bill_line = lines[["line_no", "amount_units"]].astype({"line_no": "int64", "amount_units": "int64"})
    joined = bill_line.merge(by_line.astype({"line_no": "int64"}), on="line_no", how="outer")
    mismatched_lines = int((joined["amount_units"].isna() | joined["amount_units_sum"].isna()
                            | (joined["amount_units"] != joined["amount_units_sum"])).sum())

    def per_rlt(frame: pd.DataFrame, amount: str) -> pd.Series:
        keys = frame[["resource_id", "line_type"]].astype(object).fillna("\0null")
        return frame[amount].groupby([keys["resource_id"], keys["line_type"]]).sum()

    f_rlt = facts.select(["resource_id", "line_type", "amount_units"]).group_by(["resource_id", "line_type"]) \
        .aggregate([("amount_units", "sum")]).to_pandas()
    rlt = pd.concat([per_rlt(lines, "amount_units").rename("b"), per_rlt(f_rlt, "amount_units_sum").rename("f")],
                    axis=1)
    both = rlt.notna().all(axis=1)
    mismatched_rlt = int((~both).sum()) + int((_cents(rlt.loc[both, "b"].to_numpy(np.int64))
                                               != _cents(rlt.loc[both, "f"].to_numpy(np.int64))).sum())
    unallocated = pc.sum(pc.filter(facts.column("amount_units"),
                                   pc.equal(facts.column("principal_id").cast(pa.string()), UNALLOCATED))).as_py()
    return DayReconciliation(day, from_units(int(lines["amount_units"].sum())),
                             from_units(int(pc.sum(facts.column("amount_units")).as_py() or 0)), quarantined,
                             quarantined_rows, mismatched_lines, mismatched_rlt, from_units(int(unallocated or 0)))


_QUARANTINED = ("SELECT COALESCE(sum(amount), 0), count(*) FROM quarantine_rows WHERE usage_date = %s"
                " AND source = 'billing'")


def quarantined_bill(conn: psycopg.Connection, day: dt.date) -> tuple[Decimal, int]:
    """The published bill's quarantined amount and rows of `day`."""
    amount, rows = conn.execute(_QUARANTINED, (day,)).fetchone()
    return amount, int(rows)


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
