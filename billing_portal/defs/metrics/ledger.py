"""The ledger of hourly cost samples published to Prometheus: how `/metrics` lands late hours at their own time
and survives restatements without ever sending Prometheus two values for one series and timestamp.

Prometheus stores a sample per (series, timestamp) once: a second, different value at the same timestamp is
rejected (or, once the first is on disk, silently shadowed). Billing is restated for days after it first appears, and
re-allocation can move cost between teams. So published samples are immutable, and changes are published as
corrections:

- Every (hour, label set) gets revision 0 with its amount when first published.
- When the facts of an already published day change, the difference between the new amount and the sum of the
  published revisions is published as the next revision (label `revision="1"`, `"2"`, …) at the same hour
  timestamp. A label set that disappeared (cost moved to another team) gets a negative correction.
- Hence `sum(ccloud_cost_usd_hourly)` (by any labels) at hour H is always the warehouse's current figure for H.

The ledger lives in two tables created by migration 0012: `sidecar_metric_ledger` (one row per published sample) and
`sidecar_metric_sync` (per day, the materialization of the facts last compared); each publication (a day's new
samples, one transaction) is recorded in `sidecar_metric_batches` (migration 0018) with the range of `seq` it took. The `metrics_ledger` asset
(`assets.py`) brings it up to date after the facts of a day range are written — every day of the window
(`RESTATEMENT_WINDOW_DAYS` + 1 days ending at the newest complete day) whose facts changed since it was last
compared. The sidecar only reads it (`billing_portal/sidecar/ledger.py`).

Exposure (the sidecar's part, `billing_portal/sidecar/ledger.py`): a sample stays exposed for `exposure_hours`
after publication, so every scrape in that time can ingest it (Prometheus ignores a re-sent identical sample), in
rotating one-minute slices of at most `max_samples` consecutive `seq` values when more are pending.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row

from billing_portal.sidecar.query import aggregate_statement, day_start, pick_source, range_and_filters

log = logging.getLogger(__name__)

LABELS = ("org_id", "env_id", "cluster", "product", "business_unit", "team", "cost_center")
# label → (fact column, value when NULL)
LABEL_SOURCES = {"org_id": ("org_id", ""), "env_id": ("env_id", ""), "cluster": ("cluster_id", ""),
                 "product": ("product", ""), "business_unit": ("business_unit", "unknown"),
                 "team": ("team", "unknown"), "cost_center": ("cost_center", "unknown")}
LOCK_KEY = 727_274_101


def _rows(conn: psycopg.Connection, query, params=None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def _current(conn: psycopg.Connection, day: dt.date) -> dict[tuple, Decimal]:
    """The warehouse's amounts of `day` per (hour, labels)."""
    dims = [LABEL_SOURCES[label][0] for label in LABELS]
    source = pick_source(set(dims), "hour")
    lo = day_start(day)
    where = range_and_filters(source, lo, lo + dt.timedelta(days=1), {})
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in _rows(conn, aggregate_statement(source, dims, "hour", where), where.params):
        key = (r["period_start"],) + tuple(
            r[col] if r[col] is not None else default for col, default in (LABEL_SOURCES[lb] for lb in LABELS))
        out[key] += r["amount_usd"]
    return out


def _published(conn: psycopg.Connection, day: dt.date) -> dict[tuple, tuple[Decimal, int]]:
    lo = day_start(day)
    rows = _rows(conn,
                 "SELECT hour, " + ", ".join(LABELS) + ", sum(amount_usd) AS amount, max(revision) AS rev"
                 " FROM sidecar_metric_ledger WHERE hour >= %s AND hour < %s GROUP BY 1, " +
                 ", ".join(str(i + 2) for i in range(len(LABELS))), (lo, lo + dt.timedelta(days=1)))
    return {(r["hour"],) + tuple(r[lb] for lb in LABELS): (r["amount"], r["rev"]) for r in rows}


def sync_day(conn: psycopg.Connection, day: dt.date) -> int:
    """Publish what changed in `day` since the ledger last saw it; returns the number of new samples."""
    current, published = _current(conn, day), _published(conn, day)
    new_rows = []
    for key in current.keys() | published.keys():
        amount = current.get(key, Decimal(0))
        done, rev = published.get(key, (Decimal(0), None))
        if rev is None:
            new_rows.append(key + (0, amount))
        elif amount != done:
            new_rows.append(key + (rev + 1, amount - done))
    if new_rows:
        with conn.cursor() as cur, cur.copy(
                "COPY sidecar_metric_ledger (hour, " + ", ".join(LABELS) + ", revision, amount_usd) FROM STDIN") as cp:
            for row in new_rows:
                cp.write_row(row)
        record_batch(conn)
    return len(new_rows)


def record_batch(conn: psycopg.Connection) -> None:
    """Record this transaction's publication (its samples' `published_at` is the transaction's now()) in
    sidecar_metric_batches: the range of `seq` it took, which a scrape reads its slices by (sidecar/ledger.py)."""
    conn.execute(
        "INSERT INTO sidecar_metric_batches (published_at, first_seq, last_seq, samples)"
        " SELECT now(), min(seq), max(seq), count(*) FROM sidecar_metric_ledger WHERE published_at = now()"
        " HAVING count(*) > 0 ON CONFLICT (published_at) DO UPDATE SET first_seq = EXCLUDED.first_seq,"
        " last_seq = EXCLUDED.last_seq, samples = EXCLUDED.samples")


def stale_days(conn: psycopg.Connection, newest: dt.date | None, window_days: int) -> dict[dt.date, object]:
    """Days of the window whose facts changed since the ledger compared them: {day: materialized_at or None}."""
    if newest is None:
        return {}
    days = [newest - dt.timedelta(days=i) for i in range(window_days)]
    status = {r["usage_date"]: r["materialized_at"] for r in _rows(
        conn, "SELECT usage_date, materialized_at FROM partition_status WHERE asset_name = 'hourly_cost_facts'"
              " AND usage_date = ANY(%s)", (days,))}
    synced = {r["usage_date"]: r["facts_materialized_at"] for r in _rows(
        conn, "SELECT usage_date, facts_materialized_at FROM sidecar_metric_sync WHERE usage_date = ANY(%s)",
        (days,))}
    # A day is stale when the facts' materialization differs from the one last compared; a day never compared is
    # stale once (a day without a materialization record, e.g. a gap in the window, is then not re-read each run).
    return {d: status.get(d) for d in days if d not in synced or synced[d] != status.get(d)}


def sync(conn: psycopg.Connection, newest: dt.date | None, window_days: int) -> dict[dt.date, int]:
    """Bring the ledger up to date for the `window_days` days ending at `newest`, newest day first, one transaction
    per day; one writer at a time (an advisory lock: a second one waits). Returns {day compared: new samples}."""
    stale = stale_days(conn, newest, window_days)
    out: dict[dt.date, int] = {}
    if not stale:
        return out
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        for d in sorted(stale, reverse=True):
            with conn.transaction():
                out[d] = sync_day(conn, d)
                conn.execute(
                    "INSERT INTO sidecar_metric_sync (usage_date, facts_materialized_at, synced_at)"
                    " VALUES (%s, %s, now()) ON CONFLICT (usage_date) DO UPDATE"
                    " SET facts_materialized_at = EXCLUDED.facts_materialized_at, synced_at = now()",
                    (d, stale[d]))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    if any(out.values()):
        log.info("metrics ledger: %d new sample(s) for %d day(s)", sum(out.values()), len(out))
    return out
