"""Reading the `/metrics` publication ledger (written by the `metrics_ledger` asset: see
billing_portal/defs/metrics/ledger.py for how late hours and restatements become samples and corrections).

Exposure: a sample stays exposed for `exposure_hours` after publication, so every scrape in that time can ingest
it (Prometheus ignores a re-sent identical sample). A scrape carries at most `max_samples` (k) of them: the window's
samples are exposed in rotating one-minute slices, slice c holding the samples with `seq` in [c·k, (c+1)·k). The
window's slices come from its publications (`sidecar_metric_batches`: one row per publication with the range of
`seq` it took, written by the asset), the scrape at minute m shows the (m mod n)-th of the n slices, and reads it by
an index range on `seq` (migration 0018): a scrape costs one slice, however large the window. A slice keeps its
samples while they are in the window (`seq` never changes), so only the rotation's order moves when a publication
enters or leaves the window.

Arithmetic (scrape interval ≤ 60 s): a window of W samples from B publications has n ≤ W/k + B slices, so each
sample is exposed once every n minutes, at least ⌊60·exposure_hours / n⌋ − 1 times while it is in the window (the
− 1 for a rotation whose order moved). With the defaults (k = 10 000, 24 h): a large organization's day (~175 000
samples, one publication) is n ≤ 19 slices, each sample exposed ≥ 74 times; the bench's backlog of 8 days published
at once (~1.4 M samples, 8 publications) is n ≤ 148, ≥ 8 times; exposure ≥ 3 times holds up to n = 360, ~3.5 M
samples pending in one window. A scrape only reads.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql
from psycopg.rows import dict_row, tuple_row

from billing_portal.defs.metrics.ledger import LABELS

SLICE_SECONDS = 60
HOURLY_METRIC = "ccloud_cost_usd_hourly"
_WINDOW = "published_at >= now() - make_interval(hours => %(h)s)"
_SLICE = f"FROM sidecar_metric_ledger WHERE seq >= %(lo)s AND seq < %(hi)s AND {_WINDOW}"


def slices(conn: psycopg.Connection, exposure_hours: int, max_samples: int) -> list[int]:
    """The slices of the exposure window, ascending: the c whose `seq` range [c·k, (c+1)·k) holds a sample of a
    publication in the window (k = `max_samples`)."""
    rows = conn.execute("SELECT first_seq, last_seq FROM sidecar_metric_batches WHERE " + _WINDOW,
                        {"h": exposure_hours}).fetchall()
    out: set[int] = set()
    for r in rows:
        first, last = (r["first_seq"], r["last_seq"]) if isinstance(r, dict) else r
        out.update(range(first // max_samples, last // max_samples + 1))
    return sorted(out)


def _slice(conn: psycopg.Connection, exposure_hours: int, max_samples: int, now: dt.datetime) -> dict | None:
    """The parameters of the slice the scrape at `now` shows (None: nothing in the window)."""
    ids = slices(conn, exposure_hours, max_samples)
    if not ids:
        return None
    c = ids[int(now.timestamp() // SLICE_SECONDS) % len(ids)]
    return {"h": exposure_hours, "lo": c * max_samples, "hi": (c + 1) * max_samples}


def _escaped(column: str) -> sql.Composable:
    """A label value escaped as prometheus_client escapes label values (backslash, newline, double quote)."""
    return sql.SQL(r"""replace(replace(replace({}, E'\\', E'\\\\'), E'\n', E'\\n'), '"', E'\\"')""").format(
        sql.Identifier(column))


def _series_text() -> sql.Composable:
    """`ccloud_cost_usd_hourly{label="value",…} ` of a ledger row, labels sorted by name as prometheus_client
    writes them (revision included)."""
    parts: list[sql.Composable] = []
    for i, name in enumerate(sorted((*LABELS, "revision"))):
        parts.append(sql.Literal(('",' if i else HOURLY_METRIC + "{") + f'{name}="'))
        parts.append(sql.SQL("revision::text") if name == "revision" else _escaped(name))
    parts.append(sql.Literal('"} '))
    return sql.SQL("concat({})").format(sql.SQL(", ").join(parts))


def _ordered(select: sql.Composable) -> sql.Composed:
    """The slice's rows, each series' samples together and in hour order (OpenMetrics wants a series' points
    contiguous, timestamps increasing): by the series' text in byte order, then the hour."""
    return sql.SQL("SELECT {} {} ORDER BY {} COLLATE \"C\", hour").format(select, sql.SQL(_SLICE), _series_text())


def exposed(conn: psycopg.Connection, exposure_hours: int, max_samples: int,
            now: dt.datetime) -> list[dict]:
    """The samples this scrape exposes (published in the last `exposure_hours`, the slice of minute `now`), each
    series' samples together in hour order: dicts of the hour, the labels, the revision and the amount."""
    params = _slice(conn, exposure_hours, max_samples, now)
    if params is None:
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(_ordered(sql.SQL("hour, " + ", ".join(LABELS) + ", revision, amount_usd")),
                           params).fetchall()


def exposed_lines(conn: psycopg.Connection, exposure_hours: int, max_samples: int,
                  now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """`exposed` as the exposition needs it: (the series' text up to the value, the amount as text, the hour), in
    the same order."""
    params = _slice(conn, exposure_hours, max_samples, now)
    if params is None:
        return []
    with conn.cursor(row_factory=tuple_row) as cur:
        return cur.execute(_ordered(sql.SQL("{}, amount_usd::text, hour").format(_series_text())), params).fetchall()


__all__ = ["HOURLY_METRIC", "LABELS", "SLICE_SECONDS", "exposed", "exposed_lines", "slices"]
