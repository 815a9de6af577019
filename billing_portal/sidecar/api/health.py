"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the warehouse answers, and how fresh the
newest complete partition of hourly_cost_facts is)."""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.query import day_start, newest_complete_day
from billing_portal.sidecar.responses import Health, Ready, answer

bp = APIBlueprint("health", __name__, tag="health")


@read_endpoint(bp, "/healthz", None, Health, errors=(), summary="Process alive",
               description="Answers 200 as long as the process serves requests; no database access.")
def healthz():
    return answer(Health, {"status": "ok"})


@read_endpoint(bp, "/readyz", None, Ready, errors=(503,), summary="Ready to serve", description=(
    "200 when the warehouse answers, with the newest complete partition of hourly_cost_facts (a day, UTC) and its "
    "age in hours since the end of that day; 503 in the error envelope when the database is unreachable."))
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
            skipped.append({"source": r["source"], "observed_at": r["observed_at"],
                            "scope": d.get("sr_id") or d.get("env_id") or d.get("table"),
                            "reason": d.get("reason") or f"403: the key lacks {d.get('role')}"})
    return answer(Ready, {"status": "ready", "database": "ok", "newest_complete_partition": newest,
                          "partition_age_hours": age, "materialized_at": materialized_at, "skipped_scopes": skipped})
