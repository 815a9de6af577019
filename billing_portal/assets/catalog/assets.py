"""Stream Governance catalog: entities (topics, logical clusters), their tags and business metadata — present-only
state, kept as observations like the core objects (see billing_portal/assets/observation.py): observed at most once
per day by a run that reaches the newest complete day, kept as versioned history, and written per day with the
versions valid on that day. Re-running a past day never re-reads the catalog."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.assets.observation import latest_observation, should_observe, write_derived_day
from billing_portal.assets.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.history import CATALOG_TABLES, record_observation
from billing_portal.resources import ClockResource, SchemaRegistryResource, WarehouseResource


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="catalog", kinds={"postgres"})
def catalog_tags(context: AssetExecutionContext, schema_registry: SchemaRegistryResource,
                 warehouse: WarehouseResource, clock: ClockResource) -> MaterializeResult:
    """Catalog tags and business metadata by qualified name (`lsrc-…:lkc-…:topic`), used to attribute owners,
    teams, business units and cost centers. Without SCHEMA_REGISTRY_URL and its key, nothing is observed."""
    days = window_days(context)
    now = clock.current()
    stats: dict = {}
    changes: dict = {}
    if not schema_registry.configured:
        observe, why = False, "Schema Registry not configured (SCHEMA_REGISTRY_URL/_API_KEY/_API_SECRET): no catalog"
        context.log.warning(why)
    else:
        observe, why = should_observe(days, now, latest_observation(warehouse, "catalog"))
    if observe:
        snap = schema_registry.catalog().fetch_snapshot()
        frames = {"catalog_entities": snap.entities, "catalog_tags": snap.tags,
                  "catalog_business_metadata": snap.business_metadata}
        stats = dict(snap.stats) if getattr(snap, "stats", None) else {}
        with warehouse.transaction() as conn:
            obs = record_observation(conn, "catalog", now, frames, run_id=context.run_id)
        changes = {t: c.as_dict() for t, c in obs.changes.items()}
    else:
        context.log.info(f"catalog not collected: {why}")
    written = {}
    for day in days:
        with warehouse.transaction(partition=("catalog_tags", day)) as conn:
            written[day] = write_derived_day(conn, day, "catalog", CATALOG_TABLES)
            warehouse.record_status(conn, "catalog_tags", day, sum(written[day]["rows"].values()), None,
                                    context.run_id, {**written[day]["rows"], "basis": written[day]["basis"]})
    last = written[days[-1]]["rows"]
    return MaterializeResult(metadata={
        "entities": MetadataValue.int(last["catalog_entities"]),
        "tags": MetadataValue.int(last["catalog_tags"]),
        "business_metadata": MetadataValue.int(last["catalog_business_metadata"]),
        "days": MetadataValue.int(len(days)),
        "observed": MetadataValue.bool(observe),
        "status": MetadataValue.text(why),
        "changes": MetadataValue.json(changes),
        "reads": MetadataValue.json({k: int(v) for k, v in stats.items() if isinstance(v, int | float)}),
        "days_before_first_observation": MetadataValue.int(
            sum(1 for w in written.values() if w["basis"]["before_first_observation"])),
    })
