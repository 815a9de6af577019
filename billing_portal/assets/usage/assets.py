"""Principal usage from the Metrics API: request/response bytes per hour, Kafka cluster and principal, captured while
the API still has it (about 7 days) and kept: a day's usage is never replaced by a later, emptier answer.

Run by `usage_capture_schedule` as soon as a day is complete (with catch-up of any missed day still inside the
retention), and by the daily job (a day already captured is not queried again). Restatement runs never touch it.
Days outside the retention without a capture are read from the Prometheus usage history when USAGE_PROMETHEUS_URL is
set; otherwise they stay uncaptured and their usage-driven lines are allocated by the fallback ladder with reason
`usage_expired_before_capture`.
"""


import datetime as dt

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from billing_portal.assets.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.assets.usage.capture import (
    Capture,
    DayState,
    UsageSource,
    clusters_to_query,
    day_bounds,
    day_state,
    hours_left,
)
from billing_portal.resources import ClockResource, ConfluentCloudResource, UsagePrometheusResource, WarehouseResource
from billing_portal.warehouse.copy import copy_frame

NOT_USED = ("points_outside_window", "points_without_cluster", "invalid_values", "duplicate_points",
            "unknown_principal_points", "zero_points")
USAGE_COLUMNS = ["hour", "cluster_id", "principal_id", "request_bytes", "response_bytes"]


def clusters_for_day(warehouse: WarehouseResource, day: dt.date) -> list[str]:
    """Kafka clusters that existed on the day (object history) plus any Kafka cluster billed that day (deleted
    clusters are still billed); not the audit-log cluster, which is billed under AUDIT_LOG."""
    from billing_portal.history import read_day  # noqa: PLC0415

    with warehouse.connect() as conn:
        known = set(read_day(conn, "kafka_clusters", day)["cluster_id"].dropna())
        billed = conn.execute(
            "SELECT DISTINCT resource_id FROM billing_costs_collected WHERE usage_date = %s AND product = 'KAFKA'"
            " AND resource_id LIKE 'lkc-%%'", (day,)).fetchall()
    return sorted(known | {r[0] for r in billed})


def stored_captures(warehouse: WarehouseResource, day: dt.date) -> dict[str, Capture]:
    rows = warehouse.query("SELECT cluster_id, source, complete, row_count FROM usage_capture WHERE usage_date = %s",
                           (day,))
    return {r[0]: Capture(r[0], r[1], bool(r[2]), int(r[3])) for r in rows}


def _store(conn, day: dt.date, usage: pd.DataFrame, clusters: list[str], source: UsageSource,
           captured_at: dt.datetime, run_id: str) -> int:
    """Replace the usage of `clusters` on `day` with `usage` and record each capture (inside the caller's
    transaction)."""
    conn.execute("DELETE FROM principal_usage_hourly WHERE usage_date = %s AND cluster_id = ANY(%s)",
                 (day, clusters))
    frame = usage[usage["cluster_id"].isin(clusters)].assign(usage_date=day)
    copy_frame(conn, "principal_usage_hourly", frame, ["usage_date", *USAGE_COLUMNS])
    per = frame.groupby("cluster_id").agg(rows=("hour", "size"), req=("request_bytes", "sum"),
                                          resp=("response_bytes", "sum"))
    for cluster in clusters:
        rows, req, resp = (int(per.at[cluster, "rows"]), float(per.at[cluster, "req"]),
                           float(per.at[cluster, "resp"])) if cluster in per.index else (0, 0.0, 0.0)
        conn.execute(
            "INSERT INTO usage_capture (usage_date, cluster_id, source, captured_at, complete, row_count,"
            " request_bytes, response_bytes, run_id) VALUES (%s, %s, %s, %s, true, %s, %s, %s, %s)"
            " ON CONFLICT (usage_date, cluster_id) DO UPDATE SET source = EXCLUDED.source,"
            " captured_at = EXCLUDED.captured_at, complete = true, row_count = EXCLUDED.row_count,"
            " request_bytes = EXCLUDED.request_bytes, response_bytes = EXCLUDED.response_bytes,"
            " run_id = EXCLUDED.run_id", (day, cluster, str(source), captured_at, rows, req, resp, run_id))
    return len(frame)


def missing_but_recoverable(warehouse: WarehouseResource, now: dt.datetime, retention: int) -> list[dict]:
    """Every complete day still inside the retention (whatever run this is) with clusters whose usage was not
    captured, and the hours left to capture it."""
    from billing_portal.config import get_settings  # noqa: PLC0415

    first = get_settings().BILLING_START_DATE
    out = []
    for back in range(retention, 0, -1):
        day = now.date() - dt.timedelta(days=back)
        if day < first or day_state(day, now, retention) is not DayState.RECOVERABLE:
            continue
        stored = stored_captures(warehouse, day)
        absent = [c for c in clusters_for_day(warehouse, day) if c not in stored]
        if absent:
            out.append({"day": day.isoformat(), "clusters": len(absent),
                        "hours_left": round(hours_left(day, now, retention), 1)})
    return out


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="usage", kinds={"postgres"},
       deps=["kafka_clusters"], pool="confluent_api",
       check_specs=[AssetCheckSpec(
           "usage_captured", asset="principal_usage",
           description="WARN while a day's usage is still missing but recoverable from the Metrics API (with the "
                       "hours left before it expires), and when a day's usage expired before it was captured.")])
def principal_usage(context: AssetExecutionContext, confluent: ConfluentCloudResource, warehouse: WarehouseResource,
                    clock: ClockResource, usage_prometheus: UsagePrometheusResource) -> MaterializeResult:
    """Hourly `request_bytes` (produce) and `response_bytes` (fetch) by principal for every Kafka cluster, captured
    once per cluster-day while the Metrics API has it (table usage_capture says when and from where)."""
    days = window_days(context)
    now = clock.current()
    retention = confluent.metrics_retention_days
    metrics = confluent.metrics()
    prometheus = usage_prometheus.client() if usage_prometheus.configured else None
    captured = {"metrics_api": 0, "prometheus": 0}
    expired, not_complete = [], []
    forbidden: dict[str, str] = {}
    dropped: dict[str, int] = {}
    queried_total = 0
    for day in days:
        state = day_state(day, now, retention)
        clusters = clusters_for_day(warehouse, day)
        stored = stored_captures(warehouse, day)
        lo, hi = day_bounds(day)
        writes: list[tuple[pd.DataFrame, list[str], UsageSource]] = []
        to_query = clusters_to_query(clusters, stored, state)
        if to_query:
            usage = metrics.fetch_principal_usage(to_query, lo, hi)
            for k in NOT_USED:
                if (usage.attrs.get("stats") or {}).get(k):
                    dropped[k] = dropped.get(k, 0) + int(usage.attrs["stats"][k])
            # a cluster the key may not read (403) is not captured: recorded, retried while it is recoverable
            denied = (usage.attrs.get("stats") or {}).get("forbidden_clusters") or {}
            forbidden.update({c: day.isoformat() for c in denied})
            writes.append((usage, [c for c in to_query if c not in denied], UsageSource.METRICS_API))
            queried_total += len(to_query)
        uncaptured = [c for c in clusters if c not in stored]
        if state is DayState.EXPIRED and uncaptured and prometheus is not None:
            history = prometheus.fetch_principal_usage(uncaptured, lo, hi)
            found = sorted(set(history["cluster_id"]))  # a cluster Prometheus has nothing for stays uncaptured
            if found:
                writes.append((history, found, UsageSource.PROMETHEUS))
            uncaptured = [c for c in uncaptured if c not in found]
        if state is DayState.EXPIRED and uncaptured:
            expired.append({"day": day.isoformat(), "clusters": len(uncaptured)})
        elif state is DayState.NOT_COMPLETE:
            not_complete.append(day.isoformat())
        with warehouse.transaction(partition=("principal_usage", day)) as conn:
            written = {}
            for usage, cl, source in writes:
                written[str(source)] = _store(conn, day, usage, cl, source, now, context.run_id)
                captured[str(source)] += len(cl)
            total = conn.execute("SELECT count(*) FROM principal_usage_hourly WHERE usage_date = %s",
                                 (day,)).fetchone()[0]
            status = dict(conn.execute("SELECT source, count(*) FROM usage_capture WHERE usage_date = %s"
                                       " GROUP BY source", (day,)).fetchall())
            warehouse.record_status(conn, "principal_usage", day, total, None, context.run_id, {
                "state": str(state), "clusters": len(clusters), "captured_now": {k: len(c) for _, c, k in writes},
                "captures": status, "uncaptured": len([c for c in clusters if c not in stored and not any(
                    c in cl for _, cl, _ in writes)])})
    recoverable_missing = missing_but_recoverable(warehouse, now, retention)
    metadata = {
        "days": MetadataValue.int(len(days)),
        "clusters_captured_from_metrics_api": MetadataValue.int(captured["metrics_api"]),
        "clusters_read_from_prometheus": MetadataValue.int(captured["prometheus"]),
        "clusters_queried": MetadataValue.int(queried_total),
        "days_not_complete_yet": MetadataValue.json(not_complete),
        "days_expired_before_capture": MetadataValue.json(expired),
        "points_not_used": MetadataValue.json(dropped),
        "clusters_forbidden": MetadataValue.json(forbidden),
        "metrics_retention_days": MetadataValue.int(retention),
        "now": MetadataValue.text(now.isoformat(timespec="seconds")),
    }
    check = AssetCheckResult(
        check_name="usage_captured", passed=not recoverable_missing and not expired,
        severity=AssetCheckSeverity.WARN,
        metadata={"missing_but_recoverable": MetadataValue.json(recoverable_missing),
                  "expired_before_capture": MetadataValue.json(expired),
                  "min_hours_left": MetadataValue.float(min((m["hours_left"] for m in recoverable_missing),
                                                            default=0.0))})
    return MaterializeResult(metadata=metadata, check_results=[check])
