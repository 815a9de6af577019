"""Recording an observation of present-only state into versioned history (`<table>_history`).

One observation = what one collection saw at `observed_at`, for one source (objects | catalog). Per table, in the
caller's transaction:

- a row whose key has a current version with the same attributes (`version_hash` over every column but `raw`) only
  moves that version's `observed_last`;
- a current version whose key is not seen any more, or is seen with other attributes, is closed: `valid_to` =
  `observed_at` — unless its scope (environment, registry) was not observed this time (`skipped`);
- a row without a matching current version opens a new version: a changed key from `observed_at`; a key never seen
  before from its `metadata.created_at` when the API gives one, but never before the previous observation (it was
  not seen then), else from the previous observation (first observation: from `observed_at`).

Nothing else is ever updated: history before `observed_at` is never rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import psycopg
from psycopg import sql

from billing_portal.history.specs import HISTORY_SPECS, HistorySpec
from billing_portal.warehouse.copy import copy_frame

OBSERVATION_LOCK = "observe:{source}"


@dataclass
class TableChanges:
    seen: int = 0
    new: int = 0
    changed: int = 0
    gone: int = 0
    unchanged: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Observation:
    observation_id: int
    source: str
    observed_at: dt.datetime
    changes: dict[str, TableChanges] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        out = TableChanges()
        for c in self.changes.values():
            for k, v in c.as_dict().items():
                setattr(out, k, getattr(out, k) + v)
        return out.as_dict()


def attribute_columns(spec: HistorySpec) -> list[str]:
    """The history table's object columns (everything but the version bookkeeping), in table order (the model's)."""
    return list(spec.attribute_names)


def previous_observation(conn: psycopg.Connection, source: str) -> dt.datetime | None:
    row = conn.execute("SELECT max(observed_at) FROM observations WHERE source = %s", (source,)).fetchone()
    return row[0] if row else None


def _keys_match(spec: HistorySpec, left: str, right: str) -> sql.Composable:
    return sql.SQL(" AND ").join(
        sql.SQL("{} IS NOT DISTINCT FROM {}").format(sql.Identifier(left, k), sql.Identifier(right, k))
        for k in spec.keys)


def _created_expression(columns: list[str]) -> sql.Composable:
    """`metadata.created_at` of the staged row when the table keeps the object's JSON (or a created_at column)."""
    parts = []
    if "created_at" in columns:
        parts.append(sql.SQL("s.created_at"))
    if "raw" in columns:
        parts.append(sql.SQL("try_timestamptz(s.raw::jsonb -> 'metadata' ->> 'created_at')"))
    return sql.SQL("coalesce({})").format(sql.SQL(", ").join(parts)) if parts else sql.SQL("NULL::timestamptz")


def merge_table(conn: psycopg.Connection, spec: HistorySpec, frame: pd.DataFrame, observed_at: dt.datetime,
                previous: dt.datetime | None, skipped_scopes: list[str]) -> TableChanges:
    changes = TableChanges()
    columns = attribute_columns(spec)
    present = [c for c in columns if c in frame.columns]
    missing_keys = [k for k in spec.keys if k not in frame.columns]
    if missing_keys:
        raise ValueError(f"{spec.name}: observed rows lack key column(s) {missing_keys}")
    rows = frame[present]
    deduped = rows.drop_duplicates(subset=list(spec.keys), keep="first")
    changes.duplicates = len(rows) - len(deduped)
    changes.seen = len(deduped)

    hist = sql.Identifier(spec.history_table)
    conn.execute("DROP TABLE IF EXISTS history_stage")
    conn.execute(sql.SQL("CREATE TEMP TABLE history_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), hist))
    copy_frame(conn, "history_stage", deduped, present)
    hashed = [c for c in columns if c != "raw"]
    conn.execute(sql.SQL("ALTER TABLE history_stage ADD COLUMN version_hash text"))
    conn.execute(sql.SQL("UPDATE history_stage s SET version_hash = md5(ROW({})::text)").format(
        sql.SQL(", ").join(sql.Identifier("s", c) for c in hashed)))
    conn.execute("CREATE INDEX ON history_stage (version_hash)")
    conn.execute("ANALYZE history_stage")

    same = sql.SQL("h.valid_to IS NULL AND h.version_hash = s.version_hash AND {}").format(_keys_match(spec, "h", "s"))
    cur = conn.execute(sql.SQL("UPDATE {} h SET observed_last = %(t)s FROM history_stage s WHERE {}").format(
        hist, same), {"t": observed_at})
    changes.unchanged = cur.rowcount

    scope_ok = sql.SQL("TRUE")
    if "*" in skipped_scopes:
        scope_ok = sql.SQL("FALSE")
    elif spec.scope and skipped_scopes:
        scope_ok = sql.SQL("NOT coalesce({} = ANY(%(skipped)s), false)").format(sql.Identifier("h", spec.scope))
    closed = conn.execute(sql.SQL(
        "UPDATE {} h SET valid_to = %(t)s WHERE h.valid_to IS NULL AND {} AND NOT EXISTS"
        " (SELECT 1 FROM history_stage s WHERE {}) RETURNING {}").format(
        hist, scope_ok, same, sql.SQL(", ").join(sql.Identifier("h", k) for k in spec.keys)),
        {"t": observed_at, "skipped": skipped_scopes}).fetchall()

    new_from = sql.SQL("%(t)s::timestamptz") if previous is None else sql.SQL(
        "least(%(t)s::timestamptz, greatest(%(prev)s::timestamptz, coalesce({}, %(prev)s::timestamptz)))").format(
        _created_expression(columns))
    inserted = conn.execute(sql.SQL(
        "INSERT INTO {hist} ({cols}, valid_from, valid_to, observed_first, observed_last, version_hash)"
        " SELECT {scols}, CASE WHEN EXISTS (SELECT 1 FROM {hist} p WHERE {prior}) THEN %(t)s ELSE {new_from} END,"
        " NULL, %(t)s, %(t)s, s.version_hash FROM history_stage s"
        " WHERE NOT EXISTS (SELECT 1 FROM {hist} h WHERE {same})"
        " RETURNING valid_from = %(t)s AND EXISTS (SELECT 1 FROM {hist} p2 WHERE p2.valid_to = %(t)s AND {prior2})"
    ).format(hist=hist, cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
             scols=sql.SQL(", ").join(sql.Identifier("s", c) for c in columns),
             prior=_keys_match(spec, "p", "s"), new_from=new_from, same=same,
             prior2=_keys_match(spec, "p2", spec.history_table)),
        {"t": observed_at, "prev": previous}).fetchall()
    changes.changed = sum(1 for r in inserted if r[0])
    changes.new = len(inserted) - changes.changed
    changes.gone = len(closed) - changes.changed
    conn.execute("DROP TABLE history_stage")
    return changes


def record_observation(conn: psycopg.Connection, source: str, observed_at: dt.datetime,
                       frames: Mapping[str, pd.DataFrame], run_id: str | None = None,
                       skipped: Mapping[str, list[str]] | None = None,
                       skipped_detail: list[dict] | None = None,
                       skipped_by_table: Mapping[str, list[str]] | None = None,
                       extra_counts: Mapping[str, int] | None = None) -> Observation:
    """Merge one observation of `source` into history, inside the caller's transaction (all tables or none).

    `skipped` maps a scope column (`env_id`, `sr_id`) to the scope values that were not observed (their versions are
    neither closed nor confirmed); `skipped_by_table` does the same for one table only (its scope column's values;
    `*` = the whole table); `skipped_detail` says why, per scope (stored with the observation).
    Observations of a source are serialized and must move forward in time."""
    from billing_portal.resources.warehouse import lock_partition

    if observed_at.tzinfo is None:
        raise ValueError("observed_at must be timezone-aware")
    lock_partition(conn, OBSERVATION_LOCK.format(source=source), dt.date(1970, 1, 1), 600)
    previous = previous_observation(conn, source)
    if previous is not None and observed_at <= previous:
        raise ValueError(f"an observation of {source} at {observed_at.isoformat()} is not after the previous one "
                         f"({previous.isoformat()}); history only moves forward")
    skipped = {k: sorted(set(v)) for k, v in (skipped or {}).items() if v}
    result_changes: dict[str, TableChanges] = {}
    for table, frame in frames.items():
        spec = HISTORY_SPECS[table]
        if spec.source != source:
            raise ValueError(f"{table} belongs to source {spec.source}, not {source}")
        scopes = list(skipped.get(spec.scope, [])) if spec.scope else []
        scopes += list((skipped_by_table or {}).get(table, []))
        if "*" in scopes:  # the whole table was not observed: nothing of it is closed
            scopes = ["*"]
        result_changes[table] = merge_table(conn, spec, frame, observed_at, previous, scopes)
    import orjson

    row = conn.execute(
        "INSERT INTO observations (source, observed_at, run_id, counts, changes, skipped)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING observation_id",
        (source, observed_at, run_id,
         orjson.dumps({**{t: c.seen for t, c in result_changes.items()}, **(extra_counts or {})}).decode(),
         orjson.dumps({t: c.as_dict() for t, c in result_changes.items()}).decode(),
         orjson.dumps({**skipped, **({"tables": dict(skipped_by_table)} if skipped_by_table else {}),
                       "detail": skipped_detail or []}).decode())).fetchone()
    return Observation(observation_id=int(row[0]), source=source, observed_at=observed_at, changes=result_changes,
                       skipped=skipped)
