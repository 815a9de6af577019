"""Principal usage from the Metrics API: request/response bytes per hour, Kafka cluster and principal, captured while
the API still has it (about 7 days) and kept: a day's usage is never replaced by a later, emptier answer.

Run by `usage_capture_schedule` as soon as a day is complete (with catch-up of any missed day still inside the
retention), and by the daily job (a day already captured is not queried again). Restatement runs never touch it.
Days outside the retention without a capture are read from the Prometheus usage history when USAGE_PROMETHEUS_URL is
set; otherwise they stay uncaptured and their usage-driven lines are allocated by the fallback ladder with reason
`usage_expired_before_capture`.
"""


import datetime as dt
from dataclasses import dataclass

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

from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.usage.capture import (
    Capture,
    DayState,
    UsageSource,
    clusters_to_query,
    day_bounds,
    day_state,
    hours_left,
)
from billing_portal.model.collected import FLINK_STATEMENT_USAGE_HOURLY, PRINCIPAL_USAGE_HOURLY, TOPIC_USAGE_HOURLY
from billing_portal.model.tables import Table, deps_reading
from billing_portal.resources import ClockResource, ConfluentCloudResource, UsagePrometheusResource, WarehouseResource
from billing_portal.warehouse.copy import copy_frame

NOT_USED = ("points_outside_window", "points_without_cluster", "invalid_values", "duplicate_points",
            "unknown_principal_points", "zero_points")


@dataclass(frozen=True)
class ResourceKind:
    """The resources a metric set is captured for: the object table that lists them (and its id column), and the
    product and id prefix of their bill lines (a deleted resource is still billed, so it counts too)."""

    objects: str
    id_column: str
    product: str
    prefix: str

    def for_day(self, warehouse: WarehouseResource, day: dt.date) -> list[str]:
        """The resources that existed on the day (object history) plus any billed that day."""
        from billing_portal.history import read_day

        with warehouse.connect() as conn:
            known = set(read_day(conn, self.objects, day)[self.id_column].dropna())
            billed = conn.execute(
                "SELECT DISTINCT resource_id FROM billing_costs_collected WHERE usage_date = %s AND product = %s"
                " AND resource_id LIKE %s", (day, self.product, self.prefix + "%")).fetchall()
        return sorted(known | {r[0] for r in billed})


# Kafka clusters (not the audit-log cluster, which is billed under AUDIT_LOG) and Flink compute pools
RESOURCE_KINDS = {"kafka": ResourceKind("kafka_clusters", "cluster_id", "KAFKA", "lkc-"),
                  "flink": ResourceKind("flink_compute_pools", "pool_id", "FLINK", "lfcp-")}


@dataclass(frozen=True)
class MetricSet:
    """What one usage asset captures: its table, its value columns, which resources (Kafka clusters or compute
    pools; stored in the `cluster_id` column) and how the Metrics API (and optionally the Prometheus history)
    answers them."""

    name: str          # the usage_capture.metric_set value
    usage: Table       # its table (billing_portal/model/collected.py): hour, cluster_id, its key, its measures
    resource: str = "kafka"  # kafka (lkc-…) | flink (lfcp-…)

    @property
    def table(self) -> str:
        return self.usage.name

    @property
    def key(self) -> str:
        """The column beside hour and cluster_id (principal_id, topic, statement_name)."""
        return next(d for d in self.usage.dimensions if d != "cluster_id")

    @property
    def values(self) -> tuple[str, ...]:
        return self.usage.names("measure")

    @property
    def columns(self) -> list[str]:
        return [c for c in self.usage.names() if c != "usage_date"]

    def resources_for_day(self, warehouse: WarehouseResource, day: dt.date) -> list[str]:
        return RESOURCE_KINDS[self.resource].for_day(warehouse, day)


PRINCIPAL = MetricSet("principal", PRINCIPAL_USAGE_HOURLY)
TOPIC = MetricSet("topic", TOPIC_USAGE_HOURLY)
FLINK = MetricSet("flink", FLINK_STATEMENT_USAGE_HOURLY, resource="flink")
METRIC_SETS = {"principal_usage": PRINCIPAL, "topic_usage": TOPIC, "flink_statement_usage": FLINK}


def stored_captures(warehouse: WarehouseResource, day: dt.date, metric_set: MetricSet = PRINCIPAL
                    ) -> dict[str, Capture]:
    rows = warehouse.query("SELECT cluster_id, source, complete, row_count FROM usage_capture WHERE usage_date = %s"
                           " AND metric_set = %s", (day, metric_set.name))
    return {r[0]: Capture(r[0], r[1], bool(r[2]), int(r[3])) for r in rows}


def _store(conn, day: dt.date, usage: pd.DataFrame, clusters: list[str], source: UsageSource,
           captured_at: dt.datetime, run_id: str, ms: MetricSet = PRINCIPAL) -> int:
    """Replace the usage of `clusters` on `day` with `usage` and record each capture (inside the caller's
    transaction)."""
    from psycopg import sql

    conn.execute(sql.SQL("DELETE FROM {} WHERE usage_date = %s AND cluster_id = ANY(%s)").format(
        sql.Identifier(ms.table)), (day, clusters))
    frame = usage[usage["cluster_id"].isin(clusters)].assign(usage_date=day)
    copy_frame(conn, ms.table, frame, ["usage_date", *ms.columns])
    first, second = ms.values[0], ms.values[1] if len(ms.values) > 1 else ms.values[0]
    per = frame.groupby("cluster_id").agg(rows=("hour", "size"), a=(first, "sum"), b=(second, "sum"))
    if len(ms.values) == 1:
        per["b"] = 0.0
    for cluster in clusters:
        rows, a, b = (int(per.at[cluster, "rows"]), float(per.at[cluster, "a"]),
                      float(per.at[cluster, "b"])) if cluster in per.index else (0, 0.0, 0.0)
        # request_bytes/response_bytes hold the totals of the set's first two columns (topic: received, sent;
        # flink: the CFU-hours, 0)
        conn.execute(
            "INSERT INTO usage_capture (usage_date, cluster_id, metric_set, source, captured_at, complete, row_count,"
            " request_bytes, response_bytes, run_id) VALUES (%s, %s, %s, %s, %s, true, %s, %s, %s, %s)"
            " ON CONFLICT (usage_date, cluster_id, metric_set) DO UPDATE SET source = EXCLUDED.source,"
            " captured_at = EXCLUDED.captured_at, complete = true, row_count = EXCLUDED.row_count,"
            " request_bytes = EXCLUDED.request_bytes, response_bytes = EXCLUDED.response_bytes,"
            " run_id = EXCLUDED.run_id", (day, cluster, ms.name, str(source), captured_at, rows, a, b, run_id))
    return len(frame)


def missing_but_recoverable(warehouse: WarehouseResource, now: dt.datetime, retention: int,
                            ms: MetricSet = PRINCIPAL) -> list[dict]:
    """Every complete day still inside the retention (whatever run this is) with clusters whose usage was not
    captured, and the hours left to capture it."""
    from billing_portal.config import get_settings

    first = get_settings().BILLING_START_DATE
    out = []
    for back in range(retention, 0, -1):
        day = now.date() - dt.timedelta(days=back)
        if day < first or day_state(day, now, retention) is not DayState.RECOVERABLE:
            continue
        stored = stored_captures(warehouse, day, ms)
        absent = [c for c in ms.resources_for_day(warehouse, day) if c not in stored]
        if absent:
            out.append({"day": day.isoformat(), "clusters": len(absent),
                        "hours_left": round(hours_left(day, now, retention), 1)})
    return out


def capture(context, asset_name: str, ms: MetricSet, fetch, history_fetch, warehouse: WarehouseResource,
            now: dt.datetime, retention: int, check_name: str) -> MaterializeResult:
    """Capture `ms` for every day of the run's window (see the module docstring); `fetch(clusters, lo, hi)` asks
    the Metrics API, `history_fetch` (or None) the Prometheus usage history for expired days."""
    days = window_days(context)
    captured = {"metrics_api": 0, "prometheus": 0}
    expired, not_complete = [], []
    forbidden: dict[str, str] = {}
    dropped: dict[str, int] = {}
    queried_total = 0
    for day in days:
        state = day_state(day, now, retention)
        clusters = ms.resources_for_day(warehouse, day)
        stored = stored_captures(warehouse, day, ms)
        lo, hi = day_bounds(day)
        writes: list[tuple[pd.DataFrame, list[str], UsageSource]] = []
        to_query = clusters_to_query(clusters, stored, state)
        if to_query:
            usage = fetch(to_query, lo, hi)
            for k in NOT_USED:
                if (usage.attrs.get("stats") or {}).get(k):
                    dropped[k] = dropped.get(k, 0) + int(usage.attrs["stats"][k])
            # a cluster the key may not read (403) is not captured: recorded, retried while it is recoverable
            denied = (usage.attrs.get("stats") or {}).get("forbidden_clusters") or {}
            forbidden.update({c: day.isoformat() for c in denied})
            writes.append((usage, [c for c in to_query if c not in denied], UsageSource.METRICS_API))
            queried_total += len(to_query)
        uncaptured = [c for c in clusters if c not in stored]
        if state is DayState.EXPIRED and uncaptured and history_fetch is not None:
            history = history_fetch(uncaptured, lo, hi)
            found = sorted(set(history["cluster_id"]))  # a cluster Prometheus has nothing for stays uncaptured
            if found:
                writes.append((history, found, UsageSource.PROMETHEUS))
            uncaptured = [c for c in uncaptured if c not in found]
        if state is DayState.EXPIRED and uncaptured:
            expired.append({"day": day.isoformat(), "clusters": len(uncaptured)})
        elif state is DayState.NOT_COMPLETE:
            not_complete.append(day.isoformat())
        with warehouse.transaction(partition=(asset_name, day)) as conn:
            for usage, cl, source in writes:
                _store(conn, day, usage, cl, source, now, context.run.run_id, ms)
                captured[str(source)] += len(cl)
            from psycopg import sql

            total = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE usage_date = %s").format(
                sql.Identifier(ms.table)), (day,)).fetchone()[0]
            status = dict(conn.execute("SELECT source, count(*) FROM usage_capture WHERE usage_date = %s"
                                       " AND metric_set = %s GROUP BY source", (day, ms.name)).fetchall())
            warehouse.record_status(conn, asset_name, day, total, None, context.run.run_id, {
                "state": str(state), "clusters": len(clusters), "captured_now": {str(k): len(c) for _, c, k in writes},
                "captures": status, "uncaptured": len([c for c in clusters if c not in stored and not any(
                    c in cl for _, cl, _ in writes)])})
    recoverable_missing = missing_but_recoverable(warehouse, now, retention, ms)
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
        check_name=check_name, passed=not recoverable_missing and not expired,
        severity=AssetCheckSeverity.WARN,
        metadata={"missing_but_recoverable": MetadataValue.json(recoverable_missing),
                  "expired_before_capture": MetadataValue.json(expired),
                  "min_hours_left": MetadataValue.float(min((m["hours_left"] for m in recoverable_missing),
                                                            default=0.0))})
    return MaterializeResult(metadata=metadata, check_results=[check])


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="usage", kinds={"postgres"},
       deps=deps_reading("kafka_clusters"), pool="confluent_api",
       check_specs=[AssetCheckSpec(
           "usage_captured", asset="principal_usage",
           description="WARN while a day's usage is still missing but recoverable from the Metrics API (with the "
                       "hours left before it expires), and when a day's usage expired before it was captured.")])
def principal_usage(context: AssetExecutionContext, confluent: ConfluentCloudResource, warehouse: WarehouseResource,
                    clock: ClockResource, usage_prometheus: UsagePrometheusResource) -> MaterializeResult:
    """Hourly `request_bytes` (produce) and `response_bytes` (fetch) by principal for every Kafka cluster, captured
    once per cluster-day while the Metrics API has it (table usage_capture says when and from where)."""
    metrics = confluent.metrics()
    prometheus = usage_prometheus.client() if usage_prometheus.configured else None
    return capture(context, "principal_usage", PRINCIPAL, metrics.fetch_principal_usage,
                   prometheus.fetch_principal_usage if prometheus else None, warehouse, clock.current(),
                   confluent.metrics_retention_days, "usage_captured")


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="usage", kinds={"postgres"},
       deps=deps_reading("kafka_clusters"), pool="confluent_api",
       check_specs=[AssetCheckSpec(
           "topic_usage_captured", asset="topic_usage",
           description="WARN while a day's topic usage is still missing but recoverable, or expired uncaptured.")])
def topic_usage(context: AssetExecutionContext, confluent: ConfluentCloudResource, warehouse: WarehouseResource,
                clock: ClockResource) -> MaterializeResult:
    """Hourly `received_bytes`, `sent_bytes` (counters) and `retained_bytes` (gauge, averaged) by topic for every
    Kafka cluster, captured like principal usage (table topic_usage_hourly; usage_capture metric_set `topic`). The
    topic view splits cluster lines by these."""
    return capture(context, "topic_usage", TOPIC, confluent.metrics().fetch_topic_usage, None, warehouse,
                   clock.current(),
                   confluent.metrics_retention_days, "topic_usage_captured")


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="usage", kinds={"postgres"},
       deps=deps_reading("flink_compute_pools"), pool="confluent_api",
       check_specs=[AssetCheckSpec(
           "flink_statement_usage_captured", asset="flink_statement_usage",
           description="WARN while a day's Flink statement usage is still missing but recoverable, or expired "
                       "uncaptured.")])
def flink_statement_usage(context: AssetExecutionContext, confluent: ConfluentCloudResource,
                          warehouse: WarehouseResource, clock: ClockResource) -> MaterializeResult:
    """Hourly CFUs per Flink statement (`io.confluent.flink/statement_utilization/current_cfus`, a gauge: the hour's
    average) for every compute pool, captured like principal usage (table flink_statement_usage_hourly;
    usage_capture metric_set `flink`, cluster_id = the pool). FLINK_NUM_CFUS lines are split by these."""
    return capture(context, "flink_statement_usage", FLINK, confluent.metrics().fetch_statement_usage, None,
                   warehouse, clock.current(), confluent.metrics_retention_days, "flink_statement_usage_captured")
