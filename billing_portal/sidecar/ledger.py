"""Reading the `/metrics` publication ledger (written by the `metrics_ledger` asset: see
billing_portal/defs/metrics/ledger.py for how late hours and restatements become samples and corrections).

Exposure: a sample stays exposed for `exposure_hours` after publication, so every scrape in that time can ingest
it (Prometheus ignores a re-sent identical sample). When more samples are pending than `max_samples` per scrape
(a large organization's first days), the pending ones are exposed in rotating slices of one minute each:
sample `seq` is in slice `seq mod n`, the scrape at minute m shows slice `m mod n`, so each scrape stays small and
every sample is still exposed many times within the exposure window (scrape interval ≤ 60 s). A scrape only reads.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from billing_portal.defs.metrics.ledger import LABELS

SLICE_SECONDS = 60


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


__all__ = ["LABELS", "SLICE_SECONDS", "exposed"]
