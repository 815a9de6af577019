"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the warehouse answers, and how fresh the
newest complete partition of hourly_cost_facts is)."""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import responses
from billing_portal.sidecar.encode import day, json_response, ts
from billing_portal.sidecar.query import day_start, newest_complete_day
from billing_portal.sidecar.schemas import Health, Ready

bp = APIBlueprint("health", __name__, tag="health")


@bp.get("/healthz")
@bp.output(Health)
@bp.doc(tags=["health"], summary="Process alive", description="Answers 200 as long as the process serves requests; no database "
                                             "access.")
def healthz():
    return json_response({"status": "ok"})


@bp.get("/readyz")
@bp.output(Ready)
@bp.doc(tags=["health"], summary="Ready to serve", description=(
    "200 when the warehouse answers, with the newest complete partition of hourly_cost_facts (a day, UTC) and its "
    "age in hours since the end of that day; 503 in the error envelope when the database is unreachable."),
    responses=responses(503))
def readyz():
    with db.pool().connection() as conn:
        conn.execute("SELECT 1")
        newest, materialized_at = newest_complete_day(conn)
        # what the latest observations could not read (a registry without a key, an environment the key is denied)
        latest = conn.execute(
            "SELECT DISTINCT ON (source) source, observed_at, skipped FROM observations"
            " ORDER BY source, observed_at DESC").fetchall()
    age = None
    if newest is not None:
        end = day_start(newest + dt.timedelta(days=1))
        age = round((dt.datetime.now(dt.UTC) - end).total_seconds() / 3600, 2)
    skipped = []
    for r in latest:
        for d in (r["skipped"] or {}).get("detail") or []:
            skipped.append({"source": r["source"], "observed_at": ts(r["observed_at"]),
                            "scope": d.get("sr_id") or d.get("env_id") or d.get("table"),
                            "reason": d.get("reason") or f"403: the key lacks {d.get('role')}"})
    return json_response({"status": "ready", "database": "ok", "newest_complete_partition": day(newest),
                          "partition_age_hours": age, "materialized_at": ts(materialized_at),
                          "skipped_scopes": skipped})
