"""When a run observes present-only state (objects, catalog), and writing the per-day tables derived from history.

The Confluent APIs describe only the present, so an observation is made at most once per UTC day, and only by a run
whose window reaches the newest complete day (the daily job, a backfill ending yesterday) or when nothing was ever
observed (a first backfill). Re-running a past day reuses history: it never re-collects and never rewrites it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from billing_portal.history import day_basis, previous_observation
from billing_portal.history.resolve import write_day
from billing_portal.resources import WarehouseResource


def should_observe(days: Sequence[dt.date], now: dt.datetime, latest: dt.datetime | None) -> tuple[bool, str]:
    """(observe?, why) for a run over `days` at `now`, given the source's latest observation."""
    if latest is None:
        return True, "never observed: first observation"
    if latest.date() == now.date():
        return False, f"observed today already ({latest.isoformat(timespec='seconds')}): reused"
    newest_complete = now.date() - dt.timedelta(days=1)
    if max(days) >= newest_complete:
        return True, "the run reaches the newest complete day: observed now"
    return False, (f"past days only: history reused (latest observation "
                   f"{latest.isoformat(timespec='seconds')})")


def latest_observation(warehouse: WarehouseResource, source: str) -> dt.datetime | None:
    with warehouse.connect() as conn:
        return previous_observation(conn, source)


def write_derived_day(conn, day: dt.date, source: str, tables: Sequence[str]) -> dict:
    """Replace `day` in each per-day table with the rows valid on it (inside the caller's transaction, in the
    database: history/resolve.py `write_day`); returns rows per table and the day's basis."""
    basis = day_basis(conn, source, day)
    counts = {t: write_day(conn, t, day, basis) for t in tables}
    return {"rows": counts, "basis": basis.as_metadata()}
