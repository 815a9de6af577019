"""Who owns what: every principal and resource resolved to owner, team, business unit, business product and cost
center (mapping file → catalog tags and business metadata → names → unknown)."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.defs.inputs import read_active_principals, read_catalog, read_objects
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.writes import replace_day_tables
from billing_portal.model.tables import CATALOG_TABLES, OBJECT_TABLES, deps_reading
from billing_portal.resources import AllocationRulesResource, WarehouseResource


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="allocation", kinds={"postgres"},
       deps=deps_reading(*CATALOG_TABLES, "principal_usage_hourly", *OBJECT_TABLES))  # what it reads
def ownership(context: AssetExecutionContext, warehouse: WarehouseResource,
              allocation_rules: AllocationRulesResource) -> MaterializeResult:
    """Principal, resource and schema attribution per day (tables principal_attribution, resource_attribution,
    schema_attribution)."""
    from billing_portal.allocation.inputs import CatalogData, CoreObjects
    from billing_portal.ownership import resolve_attribution
    from billing_portal.ownership.schemas import resolve_schemas

    mapping = allocation_rules.mapping()
    days = window_days(context)
    sources: dict[str, int] = {}
    n_principals = n_resources = n_schemas = n_owned = 0
    for day in days:
        objects = CoreObjects(**read_objects(warehouse, day))
        cat = read_catalog(warehouse, day)
        catalog = CatalogData(entities=cat["catalog_entities"], tags=cat["catalog_tags"],
                              business_metadata=cat["catalog_business_metadata"])
        principals, resources = resolve_attribution(objects, catalog, mapping, read_active_principals(warehouse, day))
        schemas = resolve_schemas(catalog, mapping)
        with warehouse.transaction(partition=("ownership", day)) as conn:
            replace_day_tables(conn, day, {"principal_attribution": principals, "resource_attribution": resources,
                                           "schema_attribution": schemas}, "usage_date")
            warehouse.record_status(conn, "ownership", day, len(principals) + len(resources), None, context.run.run_id)
        n_principals, n_resources = len(principals), len(resources)
        n_schemas, n_owned = len(schemas), int(schemas["payer"].notna().sum())
        for src, n in principals["attribution_source"].value_counts().items():
            sources[f"principals_{src}"] = sources.get(f"principals_{src}", 0) + int(n)
    return MaterializeResult(metadata={
        "principals": MetadataValue.int(n_principals),
        "resources": MetadataValue.int(n_resources),
        "schemas": MetadataValue.int(n_schemas),
        "schemas_with_owner": MetadataValue.int(n_owned),
        "attribution_sources": MetadataValue.json(sources),
        "days": MetadataValue.int(len(days)),
    })
