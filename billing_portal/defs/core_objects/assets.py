"""Core objects (orgs, environments, Kafka clusters, service accounts, users, API keys, connectors, ksqlDB, Flink
compute pools, Schema Registries): present-only state, kept as observations.

The Confluent APIs only describe the present (deleted objects vanish, a rename shows only the new name). A run that
reaches the newest complete day observes the org once per day and records what it saw as versioned history
(`<table>_history`, see billing_portal/history/); every day of the run's window is then written to the per-day
tables with the versions valid on that day. Re-running a past day never re-collects and never rewrites history.
Days before the first observation use it and say so (`before_first_observation`).
"""


from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from billing_portal.defs.observation import latest_observation, should_observe, write_derived_day
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.writes import replace_quarantine
from billing_portal.history import record_observation
from billing_portal.model.observed import OBJECT_TABLES as MODEL_OBJECT_TABLES
from billing_portal.resources import ClockResource, ConfluentCloudResource, WarehouseResource

# One asset per object table of the model (billing_portal/model/observed.py), described there.
OBJECT_TABLES = {t.name: t.description for t in MODEL_OBJECT_TABLES}


@multi_asset(
    specs=[AssetSpec(name, description=desc, group_name="core_objects", kinds={"postgres"})
           for name, desc in OBJECT_TABLES.items()],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    name="core_objects",
    pool="confluent_api",
)
def core_objects(context: AssetExecutionContext, confluent: ConfluentCloudResource, warehouse: WarehouseResource,
                 clock: ClockResource):
    days = window_days(context)
    now = clock.current()
    observe, why = should_observe(days, now, latest_observation(warehouse, "objects"))
    changes: dict[str, dict] = {}
    quarantined = None
    snapshot = None
    if observe:
        snapshot = confluent.objects().fetch_snapshot()
        frames = {name: getattr(snapshot, name) for name in OBJECT_TABLES}
        quarantined = snapshot.quarantine
        with warehouse.transaction() as conn:
            # a scope the key may not read (403 on an environment's list) keeps the versions it had
            skipped_by_table: dict[str, list[str]] = {}
            for scope in snapshot.skipped:
                skipped_by_table.setdefault(scope["table"], []).append(scope["env_id"] or "*")
            obs = record_observation(conn, "objects", now, frames, run_id=context.run.run_id,
                                     skipped_by_table=skipped_by_table, skipped_detail=snapshot.skipped)
            # objects that could not be used (no id, a conflicting duplicate) are kept aside under the newest day
            # of the run (the day this observation was made for)
            replace_quarantine(conn, "objects", days[-1], quarantined)
        changes = {t: c.as_dict() for t, c in obs.changes.items()}
        context.log.info("objects observed at " + now.isoformat(timespec="seconds") + ": "
                         + ", ".join(f"{t} {c['seen']} (+{c['new']} ~{c['changed']} -{c['gone']})"
                                     for t, c in changes.items()) + f", quarantined={len(quarantined)}")
    else:
        context.log.info(f"objects not collected: {why}")
    written = {}
    for day in days:
        with warehouse.transaction(partition=("core_objects", day)) as conn:
            written[day] = write_derived_day(conn, day, "objects", tuple(OBJECT_TABLES))
            for name in OBJECT_TABLES:
                warehouse.record_status(conn, name, day, written[day]["rows"][name], None, context.run.run_id,
                                        {"basis": written[day]["basis"]})
    before_first = sum(1 for w in written.values() if w["basis"]["before_first_observation"])
    last = written[days[-1]]
    for name in OBJECT_TABLES:
        yield MaterializeResult(asset_key=name, metadata={
            "rows_on_last_day": MetadataValue.int(last["rows"][name]),
            "days": MetadataValue.int(len(days)),
            "observed": MetadataValue.bool(observe),
            "observation": MetadataValue.text(why),
            "observed_at": MetadataValue.text(now.isoformat(timespec="seconds") if observe else
                                              str(last["basis"]["latest_observed_at"])),
            "changes": MetadataValue.json(changes.get(name, {})),
            "days_before_first_observation": MetadataValue.int(before_first),
            "skipped_scopes": MetadataValue.json([x for x in (snapshot.skipped if observe else [])
                                                  if x["table"] == name]),
            "quarantined_objects": MetadataValue.int(
                int((quarantined["reason"].str.endswith(f"({name})")).sum())
                if quarantined is not None and len(quarantined) else 0),
        })
