"""Principal usage from the Metrics API: request/response bytes per hour, Kafka cluster and principal."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.assets.partitions import DAILY, SINGLE_RUN, day_bounds, window_days
from billing_portal.assets.writes import replace_day_tables
from billing_portal.resources import ConfluentCloudResource, WarehouseResource

NOT_USED = ("points_outside_window", "points_without_cluster", "invalid_values", "duplicate_points",
            "unknown_principal_points")


def clusters_for_day(warehouse: WarehouseResource, day) -> list[str]:
    """Clusters in the day's snapshot plus any cluster billed that day (deleted clusters are still billed)."""
    rows = warehouse.query(
        "SELECT cluster_id FROM kafka_clusters WHERE snapshot_date = %s"
        " UNION SELECT resource_id FROM billing_costs_collected WHERE usage_date = %s AND resource_id LIKE 'lkc-%%'"
        " ORDER BY 1", (day, day))
    return [r[0] for r in rows]


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="usage", kinds={"postgres"},
       deps=["kafka_clusters", "billing_costs"])
def principal_usage(context: AssetExecutionContext, confluent: ConfluentCloudResource,
                    warehouse: WarehouseResource) -> MaterializeResult:
    """Hourly `request_bytes` (produce) and `response_bytes` (fetch) by principal for every Kafka cluster."""
    days = window_days(context)
    client = confluent.metrics()
    total_rows, clusters_seen, total_req, total_resp = 0, set(), 0.0, 0.0
    # Points the client could not use (outside the window, no cluster, invalid value, duplicates) are counted here.
    dropped: dict[str, int] = {}
    for day in days:
        clusters = clusters_for_day(warehouse, day)
        lo, hi = day_bounds(day)
        usage = client.fetch_principal_usage(clusters, lo, hi) if clusters else None
        if usage is None or usage.empty:
            import pandas as pd  # noqa: PLC0415

            usage = pd.DataFrame(columns=["hour", "cluster_id", "principal_id", "request_bytes", "response_bytes"])
        stats = usage.attrs.get("stats") or {}
        day_dropped = {k: int(stats[k]) for k in NOT_USED if stats.get(k)}
        for k, v in day_dropped.items():
            dropped[k] = dropped.get(k, 0) + v
        with warehouse.transaction(partition=("principal_usage", day)) as conn:
            replace_day_tables(conn, day, {"principal_usage_hourly": usage}, "usage_date")
            warehouse.record_status(conn, "principal_usage", day, len(usage), None, context.run_id,
                                    {"clusters_queried": len(clusters), "points_not_used": day_dropped})
        total_rows += len(usage)
        clusters_seen.update(usage["cluster_id"].unique())
        total_req += float(usage["request_bytes"].sum()) if len(usage) else 0.0
        total_resp += float(usage["response_bytes"].sum()) if len(usage) else 0.0
    return MaterializeResult(metadata={
        "rows": MetadataValue.int(total_rows),
        "clusters_with_usage": MetadataValue.int(len(clusters_seen)),
        "request_gb": MetadataValue.float(round(total_req / 1e9, 3)),
        "response_gb": MetadataValue.float(round(total_resp / 1e9, 3)),
        "days": MetadataValue.int(len(days)),
        "points_not_used": MetadataValue.json(dropped),
    })
