"""Stream Governance catalog of every environment: entities (topics, logical clusters), their tags and business
metadata — present-only state, kept as observations like the core objects (billing_portal/defs/observation.py):
observed at most once per day by a run that reaches the newest complete day, kept as versioned history, and written
per day with the versions valid on that day. Re-running a past day never re-reads the catalog.

Each environment's Schema Registry (from the observed `schema_registries`) is crawled at its own catalog endpoint
with its own key (confluent/registries.py). A registry without a key, or answering 401/403, is skipped and
reported (metadata, the observation's `skipped`, /readyz, the confidence dashboard): its entities keep the history
they had, and the run goes on."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.defs.observation import latest_observation, should_observe, write_derived_day
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.errors import ConfluentApiError
from billing_portal.history import CATALOG_TABLES, read_day, record_observation
from billing_portal.model.tables import deps_reading
from billing_portal.resources import ClockResource, SchemaRegistryResource, WarehouseResource

FRAMES = {"catalog_entities": "entities", "catalog_tags": "tags", "catalog_business_metadata": "business_metadata"}


def crawl(context, schema_registry: SchemaRegistryResource, registries):
    """Crawl every registry that has a key; returns (frames, per-registry stats, skipped)."""
    import pandas as pd

    from billing_portal.confluent.registries import Skipped

    targets, skipped = schema_registry.plan(registries)
    parts: dict[str, list] = {t: [] for t in FRAMES}
    stats: dict[str, dict] = {}
    from concurrent.futures import ThreadPoolExecutor

    def read(target):
        try:
            return target, schema_registry.catalog(target).fetch_snapshot(), None
        except ConfluentApiError as exc:
            return target, None, exc

    # registries in parallel: the catalog's rate limit (75 reads/s) is per registry, and each client paces its own
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(targets))), thread_name_prefix="catalog-registry") as pool:
        results = list(pool.map(read, targets))
    for target, snap, exc in results:
        label = target.sr_id or target.url
        if exc is not None:
            if exc.status in (401, 403):
                what = "rejected its key" if exc.status == 401 else "refused its key the catalog (403)"
                reason = (f"{exc.status}: the registry {what}; key from {target.source} (a Schema Registry key of this "
                          "registry whose owner has DataSteward or ResourceOwner on it)")
                skipped.append(Skipped(target.sr_id, target.env_id, reason))
                context.log.warning(f"catalog of {label} skipped: {reason}")
                continue
            raise exc
        for table, attr in FRAMES.items():
            parts[table].append(getattr(snap, attr))
        stats[label] = {k: int(v) for k, v in snap.stats.items() if isinstance(v, int | float)}
    from billing_portal.confluent.catalog import BM_COLUMNS, ENTITY_COLUMNS, TAG_COLUMNS

    columns = {"catalog_entities": ENTITY_COLUMNS, "catalog_tags": TAG_COLUMNS, "catalog_business_metadata": BM_COLUMNS}
    def combine(table: str, frames_of_registries: list) -> pd.DataFrame:
        if not frames_of_registries:
            return pd.DataFrame(columns=columns[table])
        # plain Python values: Arrow mis-encodes pandas string columns concatenated from several frames
        rows = [r for f in frames_of_registries for r in f.astype(object).where(f.notna(), None).to_dict("records")]
        return pd.DataFrame(rows, columns=columns[table], dtype=object)

    frames = {t: combine(t, p) for t, p in parts.items()}
    # a configured URL that matched no discovered registry can still serve one: it is not skipped then
    crawled = set(frames["catalog_entities"]["sr_id"].dropna()) if len(frames["catalog_entities"]) else set()
    skipped = [s for s in skipped if s.sr_id not in crawled]
    return frames, stats, skipped


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="catalog", kinds={"postgres"},
       deps=deps_reading("schema_registries"), pool="confluent_catalog")
def catalog_tags(context: AssetExecutionContext, schema_registry: SchemaRegistryResource,
                 warehouse: WarehouseResource, clock: ClockResource) -> MaterializeResult:
    """Catalog tags and business metadata by qualified name (`lsrc-…:lkc-…:topic`) of every environment, used to
    attribute owners, teams, business units and cost centers. Without any Schema Registry key, nothing is observed."""
    days = window_days(context)
    now = clock.current()
    stats: dict = {}
    changes: dict = {}
    skipped: list = []
    if not schema_registry.configured:
        observe, why = False, ("no Schema Registry key (SCHEMA_REGISTRY_CREDENTIALS_FILE, or SCHEMA_REGISTRY_URL/"
                               "_API_KEY/_API_SECRET): no catalog")
        context.log.warning(why)
    else:
        observe, why = should_observe(days, now, latest_observation(warehouse, "catalog"))
    if observe:
        with warehouse.connect() as conn:
            registries = read_day(conn, "schema_registries", days[-1])
        frames, stats, skipped = crawl(context, schema_registry, registries)
        with warehouse.transaction() as conn:
            obs = record_observation(conn, "catalog", now, frames, run_id=context.run.run_id,
                                     skipped={"sr_id": [s.sr_id for s in skipped if s.sr_id]},
                                     skipped_detail=[s.as_dict() for s in skipped],
                                     extra_counts={"reads": sum(x.get("reads", 0) for x in stats.values()),
                                                   "registries": len(stats)})
        changes = {t: c.as_dict() for t, c in obs.changes.items()}
    else:
        context.log.info(f"catalog not collected: {why}")
    written = {}
    for day in days:
        with warehouse.transaction(partition=("catalog_tags", day)) as conn:
            written[day] = write_derived_day(conn, day, "catalog", CATALOG_TABLES)
            warehouse.record_status(conn, "catalog_tags", day, sum(written[day]["rows"].values()), None,
                                    context.run.run_id, {**written[day]["rows"], "basis": written[day]["basis"]})
    last = written[days[-1]]["rows"]
    entities = sum(s.get("entities", 0) for s in stats.values())
    reads = sum(s.get("reads", 0) for s in stats.values())
    return MaterializeResult(metadata={
        "entities": MetadataValue.int(last["catalog_entities"]),
        "tags": MetadataValue.int(last["catalog_tags"]),
        "business_metadata": MetadataValue.int(last["catalog_business_metadata"]),
        "days": MetadataValue.int(len(days)),
        "observed": MetadataValue.bool(observe),
        "status": MetadataValue.text(why),
        "registries_crawled": MetadataValue.int(len(stats)),
        "registries_skipped": MetadataValue.json([s.as_dict() for s in skipped]),
        "reads": MetadataValue.int(reads),
        "reads_per_entity": MetadataValue.float(round(reads / entities, 4) if entities else 0.0),
        "reads_by_registry": MetadataValue.json(stats),
        "changes": MetadataValue.json(changes),
        "days_before_first_observation": MetadataValue.int(
            sum(1 for w in written.values() if w["basis"]["before_first_observation"])),
    })
