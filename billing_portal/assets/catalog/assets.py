"""Stream Governance catalog: entities (topics, logical clusters), their tags and business metadata, per day."""


import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.assets.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.assets.writes import replace_day_tables
from billing_portal.resources import SchemaRegistryResource, WarehouseResource

CATALOG_TABLES = ("catalog_entities", "catalog_tags", "catalog_business_metadata")


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="catalog", kinds={"postgres"})
def catalog_tags(context: AssetExecutionContext, schema_registry: SchemaRegistryResource,
                 warehouse: WarehouseResource) -> MaterializeResult:
    """Catalog tags and business metadata by qualified name (`lsrc-…:lkc-…:topic`), used to attribute owners,
    teams, business units and cost centers. Without SCHEMA_REGISTRY_URL and its key, an empty snapshot."""
    days = window_days(context)
    if schema_registry.configured:
        snap = schema_registry.catalog().fetch_snapshot()
        frames = {"catalog_entities": snap.entities, "catalog_tags": snap.tags,
                  "catalog_business_metadata": snap.business_metadata}
        note = "collected"
    else:
        frames = {t: pd.DataFrame() for t in CATALOG_TABLES}
        note = "Schema Registry not configured (SCHEMA_REGISTRY_URL/_API_KEY/_API_SECRET): empty snapshot"
        context.log.warning(note)
    for day in days:
        with warehouse.transaction(partition=("catalog_tags", day)) as conn:
            counts = replace_day_tables(conn, day, frames, "snapshot_date")
            warehouse.record_status(conn, "catalog_tags", day, sum(counts.values()), None, context.run_id, counts)
    return MaterializeResult(metadata={
        "entities": MetadataValue.int(len(frames["catalog_entities"])),
        "tags": MetadataValue.int(len(frames["catalog_tags"])),
        "business_metadata": MetadataValue.int(len(frames["catalog_business_metadata"])),
        "days": MetadataValue.int(len(days)),
        "status": MetadataValue.text(note),
    })
