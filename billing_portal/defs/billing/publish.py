"""Publishing a day's bill together with its facts.

The billing_costs asset stores the bill as collected (`billing_costs_collected`, `billing_quarantine_collected`).
The facts asset allocates that collected bill and, in the transaction that swaps the day's facts in, publishes it
to `billing_costs` and `quarantine_rows` (source `billing`), which everything downstream reads. So billed =
allocated + quarantined holds at every commit: a run that collects a restated bill and then fails leaves the
previous bill and facts published, side by side.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from billing_portal.defs.writes import table_columns
from billing_portal.errors import BillingPortalError

COLLECTED_LINES = "billing_costs_collected"
COLLECTED_QUARANTINE = "billing_quarantine_collected"

_FINGERPRINT = ("SELECT count(*), md5(COALESCE(string_agg(line_hash || '=' || amount::text, ',' ORDER BY line_no),"
                " '')) FROM " + COLLECTED_LINES + " WHERE usage_date = %s")


def collected_fingerprint(conn: psycopg.Connection, day: dt.date) -> tuple[int, str]:
    """Identifies the collected bill of `day` (lines, hashes and amounts)."""
    count, digest = conn.execute(_FINGERPRINT, (day,)).fetchone()
    return int(count), digest


def publish_bill(conn: psycopg.Connection, day: dt.date, allocated: tuple[int, str]) -> None:
    """Replace the published bill of `day` with the collected one, provided it is the bill that was allocated
    (`allocated` = its fingerprint when it was read). Call inside the facts transaction, after locking the day."""
    if collected_fingerprint(conn, day) != allocated:
        raise BillingPortalError(
            f"the bill of {day} was collected again by another run while this run allocated it; nothing was "
            f"published for {day} — rerun the day")
    for published, collected, where in (("billing_costs", COLLECTED_LINES, sql.SQL("")),
                                         ("quarantine_rows", COLLECTED_QUARANTINE, sql.SQL(" AND source = 'billing'"))):
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in table_columns(conn, published))
        conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s{}").format(sql.Identifier(published), where),
                     (day,))
        conn.execute(sql.SQL("INSERT INTO {} ({cols}) SELECT {cols} FROM {} WHERE usage_date = %s").format(
            sql.Identifier(published), sql.Identifier(collected), cols=cols), (day,))
