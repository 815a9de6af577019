"""Core objects (orgs, environments, Kafka clusters, service accounts, users, API keys, connectors, ksqlDB, Flink
compute pools, Schema Registries): a snapshot per day.

The Confluent APIs only describe the present, so materializing a past day stores the objects as collected now;
`collected_at` in the metadata says when. Objects deleted since are absent; allocation still sees their ids on
the bill and falls back accordingly.
"""


import datetime as dt

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from billing_portal.assets.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.assets.writes import replace_day_tables, replace_quarantine
from billing_portal.resources import ConfluentCloudResource, WarehouseResource

OBJECT_TABLES = {
    "organizations": "Organizations the Cloud API key can see (org/v2).",
    "environments": "Environments (org/v2) with their Stream Governance package.",
    "kafka_clusters": "Kafka clusters (cmk/v2) per environment.",
    "service_accounts": "Service accounts (iam/v2), with descriptions such as `Owner: bob@company.com`.",
    "users": "Users (iam/v2).",
    "api_keys": "API keys (iam/v2): owner principal and the resource each key is for.",
    "connectors": "Managed connectors (connect/v1) with their service account or API key.",
    "ksqldb_clusters": "ksqlDB clusters (ksqldbcm/v2) and their credential identity.",
    "flink_compute_pools": "Flink compute pools (fcpm/v2).",
    "schema_registries": "Schema Registry clusters (srcm/v3) and their catalog endpoints.",
}


@multi_asset(
    specs=[AssetSpec(name, description=desc, group_name="core_objects", kinds={"postgres"})
           for name, desc in OBJECT_TABLES.items()],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    name="core_objects",
)
def core_objects(context: AssetExecutionContext, confluent: ConfluentCloudResource, warehouse: WarehouseResource):
    days = window_days(context)
    collected_at = dt.datetime.now(dt.UTC)
    snapshot = confluent.objects().fetch_snapshot()
    frames = {name: getattr(snapshot, name) for name in OBJECT_TABLES}
    # Objects that could not be used (no id, a conflicting duplicate) are kept aside for every day they stand for.
    quarantined = snapshot.quarantine
    for day in days:
        with warehouse.transaction(partition=("core_objects", day)) as conn:
            replace_day_tables(conn, day, frames, "snapshot_date")
            replace_quarantine(conn, "objects", day, quarantined)
            for name, frame in frames.items():
                warehouse.record_status(conn, name, day, len(frame), None, context.run_id)
    context.log.info("core objects: " + ", ".join(f"{n}={len(f)}" for n, f in frames.items())
                     + f", quarantined={len(quarantined)} written for {len(days)} day(s)")
    for name, frame in frames.items():
        yield MaterializeResult(asset_key=name, metadata={
            "rows_per_day": MetadataValue.int(len(frame)),
            "days": MetadataValue.int(len(days)),
            "collected_at": MetadataValue.text(collected_at.isoformat(timespec="seconds")),
            "quarantined_objects": MetadataValue.int(int((quarantined["reason"].str.endswith(f"({name})")).sum())
                                                     if len(quarantined) else 0),
        })
