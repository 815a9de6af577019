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

The ledger lives in two sidecar-owned tables (created idempotently here): `sidecar_metric_ledger` (one row per
published sample) and `sidecar_metric_sync` (per day, the materialization of the facts last compared). A day is
re-compared only when its partition_status row changed (`LedgerSyncer` does it off the request path), so a scrape
normally only reads the ledger.

Exposure: a sample stays exposed for `exposure_hours` after publication, so every scrape in that time can ingest
it (Prometheus ignores a re-sent identical sample). When more samples are pending than `max_samples` per scrape
(a large organization's first days), the pending ones are exposed in rotating slices of one minute each:
sample `seq` is in slice `seq mod n`, the scrape at minute m shows slice `m mod n`, so each scrape stays small and
every sample is still exposed many times within the exposure window (scrape interval ≤ 60 s).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

import psycopg

from billing_portal.sidecar.query import aggregate_statement, day_start, pick_source, range_and_filters

log = logging.getLogger(__name__)

LABELS = ("org_id", "env_id", "cluster", "product", "business_unit", "team", "cost_center")
# label → (fact column, value when NULL)
LABEL_SOURCES = {"org_id": ("org_id", ""), "env_id": ("env_id", ""), "cluster": ("cluster_id", ""),
                 "product": ("product", ""), "business_unit": ("business_unit", "unknown"),
                 "team": ("team", "unknown"), "cost_center": ("cost_center", "unknown")}
LOCK_KEY = 727_274_101
SLICE_SECONDS = 60

DDL = """
CREATE TABLE IF NOT EXISTS sidecar_metric_ledger (
    hour          timestamptz   NOT NULL,
    org_id        text          NOT NULL,
    env_id        text          NOT NULL,
    cluster       text          NOT NULL,
    product       text          NOT NULL,
    business_unit text          NOT NULL,
    team          text          NOT NULL,
    cost_center   text          NOT NULL,
    revision      integer       NOT NULL,
    amount_usd    numeric(20,8) NOT NULL,
    published_at  timestamptz   NOT NULL DEFAULT now(),
    seq           bigserial,
    PRIMARY KEY (hour, org_id, env_id, cluster, product, business_unit, team, cost_center, revision)
);
ALTER TABLE sidecar_metric_ledger ADD COLUMN IF NOT EXISTS seq bigserial;
CREATE INDEX IF NOT EXISTS sidecar_metric_ledger_published ON sidecar_metric_ledger (published_at);
CREATE TABLE IF NOT EXISTS sidecar_metric_sync (
    usage_date            date        PRIMARY KEY,
    facts_materialized_at timestamptz,
    synced_at             timestamptz NOT NULL
);
"""


def ensure_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(DDL)


def _current(conn: psycopg.Connection, day: dt.date) -> dict[tuple, Decimal]:
    """The warehouse's amounts of `day` per (hour, labels)."""
    dims = [LABEL_SOURCES[label][0] for label in LABELS]
    source = pick_source(set(dims), "hour")
    lo = day_start(day)
    where = range_and_filters(source, lo, lo + dt.timedelta(days=1), {})
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in conn.execute(aggregate_statement(source, dims, "hour", where), where.params):
        key = (r["period_start"],) + tuple(
            r[col] if r[col] is not None else default for col, default in (LABEL_SOURCES[lb] for lb in LABELS))
        out[key] += r["amount_usd"]
    return out


def _published(conn: psycopg.Connection, day: dt.date) -> dict[tuple, tuple[Decimal, int]]:
    lo = day_start(day)
    rows = conn.execute(
        "SELECT hour, " + ", ".join(LABELS) + ", sum(amount_usd) AS amount, max(revision) AS rev"
        " FROM sidecar_metric_ledger WHERE hour >= %s AND hour < %s GROUP BY 1, " +
        ", ".join(str(i + 2) for i in range(len(LABELS))), (lo, lo + dt.timedelta(days=1))).fetchall()
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
    return len(new_rows)


def stale_days(conn: psycopg.Connection, newest: dt.date | None, window_days: int) -> dict[dt.date, object]:
    """Days of the window whose facts changed since the ledger compared them: {day: materialized_at or None}."""
    if newest is None:
        return {}
    days = [newest - dt.timedelta(days=i) for i in range(window_days)]
    status = {r["usage_date"]: r["materialized_at"] for r in conn.execute(
        "SELECT usage_date, materialized_at FROM partition_status WHERE asset_name = 'hourly_cost_facts'"
        " AND usage_date = ANY(%s)", (days,))}
    synced = {r["usage_date"]: r["facts_materialized_at"] for r in conn.execute(
        "SELECT usage_date, facts_materialized_at FROM sidecar_metric_sync WHERE usage_date = ANY(%s)", (days,))}
    # A day is stale when the facts' materialization differs from the one last compared; a day never compared is
    # stale once (a day without a materialization record, e.g. a gap in the window, is then not re-read each scrape).
    return {d: status.get(d) for d in days if d not in synced or synced[d] != status.get(d)}


def sync(conn: psycopg.Connection, newest: dt.date | None, window_days: int) -> int:
    """Bring the ledger up to date for the `window_days` days ending at `newest`, newest day first, one transaction
    per day. One process at a time (advisory lock); others return at once and expose the ledger as it is."""
    stale = stale_days(conn, newest, window_days)
    if not stale:
        return 0
    if not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (LOCK_KEY,)).fetchone()["ok"]:
        return 0
    published = 0
    try:
        for d in sorted(stale, reverse=True):
            with conn.transaction():
                published += sync_day(conn, d)
                conn.execute(
                    "INSERT INTO sidecar_metric_sync (usage_date, facts_materialized_at, synced_at)"
                    " VALUES (%s, %s, now()) ON CONFLICT (usage_date) DO UPDATE"
                    " SET facts_materialized_at = EXCLUDED.facts_materialized_at, synced_at = now()",
                    (d, stale[d]))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    if published:
        log.info("metrics ledger: %d new sample(s) for %d day(s)", published, len(stale))
    return published


def exposed(conn: psycopg.Connection, exposure_hours: int, max_samples: int,
            now: dt.datetime) -> list[dict]:
    """The samples this scrape exposes (published in the last `exposure_hours`; one rotating slice of them when
    there are more than `max_samples`), ordered by series then hour."""
    window = "published_at >= now() - make_interval(hours => %(h)s)"
    count = conn.execute(f"SELECT count(*) AS n FROM sidecar_metric_ledger WHERE {window}",
                         {"h": exposure_hours}).fetchone()["n"]
    slices = max(1, -(-count // max_samples))
    index = int(now.timestamp() // SLICE_SECONDS) % slices
    return conn.execute(
        "SELECT hour, " + ", ".join(LABELS) + f", revision, amount_usd FROM sidecar_metric_ledger WHERE {window}"
        " AND seq %% %(n)s = %(i)s ORDER BY " + ", ".join(LABELS) + ", revision, hour",
        {"h": exposure_hours, "n": slices, "i": index}).fetchall()


class LedgerSyncer:
    """Runs `sync` in a background thread, started by scrapes; a scrape waits at most `wait` seconds for it, then
    exposes the ledger as it is (a large day takes seconds to compare; small ones finish within the wait)."""

    def __init__(self, pool, window_days: int):
        import threading  # noqa: PLC0415

        self.pool, self.window_days = pool, window_days
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        from billing_portal.sidecar.query import newest_complete_day  # noqa: PLC0415

        try:
            with self.pool.connection() as conn:
                newest, _ = newest_complete_day(conn)
                sync(conn, newest, self.window_days)
        except Exception:  # noqa: BLE001 - logged; the next scrape tries again
            log.exception("metrics ledger sync failed")

    def kick(self, wait: float) -> None:
        import threading  # noqa: PLC0415

        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="metrics-ledger-sync", daemon=True)
                self._thread.start()
            thread = self._thread
        thread.join(wait)
