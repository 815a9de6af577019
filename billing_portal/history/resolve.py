"""The objects and catalog entities valid on a day, from their history.

For day D = [D 00:00, D+1 00:00) UTC, per key: the newest version whose validity interval overlaps D (an object
changed during D is taken as it was at the end of D; one deleted during D still counts for D). A day that ends
before the source's first observation uses the state of that first observation, and its rows say so
(`before_first_observation`). A day with no observation of the source at all has no rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from psycopg import sql

from billing_portal.history.specs import HISTORY_SPECS, HistorySpec
from billing_portal.history.store import attribute_columns

TEXT_CAST = frozenset({"raw", "attributes", "classification_names"})


@dataclass(frozen=True)
class DayBasis:
    """Which observations a day is described by."""

    source: str
    first_observed_at: dt.datetime | None   # the source's first observation (None: never observed)
    latest_observed_at: dt.datetime | None  # its newest observation up to now
    before_first_observation: bool          # the day ends before the first observation

    def as_metadata(self) -> dict[str, str | bool | None]:
        return {"source": self.source,
                "first_observed_at": self.first_observed_at.isoformat() if self.first_observed_at else None,
                "latest_observed_at": self.latest_observed_at.isoformat() if self.latest_observed_at else None,
                "before_first_observation": self.before_first_observation}


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=1)


def day_basis(conn, source: str, day: dt.date) -> DayBasis:
    row = conn.execute("SELECT min(observed_at), max(observed_at) FROM observations WHERE source = %s",
                       (source,)).fetchone()
    first, latest = (row[0], row[1]) if row else (None, None)
    _, hi = day_bounds(day)
    return DayBasis(source, first, latest, first is not None and hi <= first)


def _valid_on_day(spec: HistorySpec, day: dt.date, basis: DayBasis, select: sql.Composable
                  ) -> tuple[sql.Composed, dict]:
    """`SELECT <select>` of the versions of `spec` valid on `day` (the one definition of it: see the module
    docstring), ordered by key."""
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in spec.keys)
    hist = sql.Identifier(spec.history_table)
    if basis.first_observed_at is None:
        return sql.SQL("SELECT {} FROM {} WHERE FALSE").format(select, hist), {}
    if basis.before_first_observation:
        return sql.SQL("SELECT DISTINCT ON ({keys}) {select} FROM {hist} WHERE valid_from <= %(t)s"
                       " AND (valid_to IS NULL OR valid_to > %(t)s) ORDER BY {keys}, valid_from DESC").format(
            keys=keys, select=select, hist=hist), {"t": basis.first_observed_at}
    lo, hi = day_bounds(day)
    return sql.SQL("SELECT DISTINCT ON ({keys}) {select} FROM {hist} WHERE valid_from < %(hi)s"
                   " AND (valid_to IS NULL OR valid_to > %(lo)s) ORDER BY {keys}, valid_from DESC").format(
        keys=keys, select=select, hist=hist), {"lo": lo, "hi": hi}


def read_day(conn, table: str, day: dt.date, basis: DayBasis | None = None) -> pd.DataFrame:
    """The rows of `table` valid on `day` (the table's columns without `snapshot_date`, plus
    `before_first_observation`), ordered by key."""
    spec: HistorySpec = HISTORY_SPECS[table]
    basis = basis or day_basis(conn, spec.source, day)
    # JSON and array columns come back as their PostgreSQL text (as collected frames carry them), so a day's rows
    # can be written again as they are read
    cols = sql.SQL(", ").join(sql.SQL("{}::text AS {}").format(sql.Identifier(c), sql.Identifier(c))
                              if c in TEXT_CAST else sql.Identifier(c) for c in attribute_columns(spec))
    stmt, params = _valid_on_day(spec, day, basis, cols)
    cur = conn.execute(stmt, params)
    names = [d.name for d in cur.description]
    frame = pd.DataFrame([tuple(r.values()) if isinstance(r, dict) else r for r in cur.fetchall()], columns=names,
                         dtype=object)
    if not len(frame):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    frame["before_first_observation"] = basis.before_first_observation
    return frame


def write_day(conn, table: str, day: dt.date, basis: DayBasis | None = None) -> int:
    """Replace `day` in the per-day table `table` with the rows valid on it, in the database (the rows `read_day`
    gives, without bringing them to Python); inside the caller's transaction. Returns the rows written."""
    spec: HistorySpec = HISTORY_SPECS[table]
    basis = basis or day_basis(conn, spec.source, day)
    attrs = attribute_columns(spec)
    select = sql.SQL(", ").join([sql.SQL("%(day)s::date"), *(sql.Identifier(c) for c in attrs),
                                 sql.SQL("%(before)s")])
    stmt, params = _valid_on_day(spec, day, basis, select)
    target = sql.Identifier(spec.name)
    conn.execute(sql.SQL("DELETE FROM {} WHERE snapshot_date = %s").format(target), (day,))
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in ("snapshot_date", *attrs, "before_first_observation"))
    return conn.execute(sql.SQL("INSERT INTO {} ({}) ").format(target, columns) + stmt,
                        {**params, "day": day, "before": basis.before_first_observation}).rowcount
