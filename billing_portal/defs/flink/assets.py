"""Flink statements: who runs what on each compute pool (regional Flink SQL API), present-only state kept as
history like the core objects.

A deleted statement vanishes from the API, so the statements are observed (at most once per UTC day, by a run that
reaches the newest complete day, as the objects are) and kept as versions in `flink_statements_history`; every day
of the run's window is written to `flink_statements` with the versions valid that day. The allocation joins them to
the statements' CFUs (`flink_statement_usage`) to split a pool's FLINK_NUM_CFUS line over the principals running its
statements. A region without a Flink key (or whose key is refused) is skipped and reported; its statements keep the
history they had.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.defs.observation import latest_observation, should_observe, write_derived_day
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.writes import replace_quarantine
from billing_portal.history import read_day, record_observation
from billing_portal.model.tables import deps_reading
from billing_portal.resources import ClockResource, FlinkResource, WarehouseResource

SOURCE = "flink"
NOT_CONFIGURED = ("no Flink API key (FLINK_CREDENTIALS_FILE or FLINK_API_KEY/FLINK_API_SECRET): statements not read; "
                  "Flink lines go to the compute pool's owner")


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="core_objects", kinds={"postgres"},
       deps=deps_reading("flink_compute_pools", "organizations"), pool="confluent_api")
def flink_statements(context: AssetExecutionContext, flink: FlinkResource, warehouse: WarehouseResource,
                     clock: ClockResource) -> MaterializeResult:
    """Statements of every compute pool (sql/v1, per environment and region, with the region's Flink key): name,
    compute pool, the principal it runs as; observed once per day and kept as history (deleted statements vanish
    from the API, their owners stay here)."""
    days = window_days(context)
    now = clock.current()
    observe, why = should_observe(days, now, latest_observation(warehouse, SOURCE))
    if observe and not flink.configured:
        observe, why = False, NOT_CONFIGURED
    changes, skipped, stats = {}, [], {}
    if observe:
        with warehouse.connect() as conn:
            pools = read_day(conn, "flink_compute_pools", days[-1])
            orgs = read_day(conn, "organizations", days[-1])
        org_id = str(orgs["org_id"].iloc[0]) if len(orgs) else None
        snapshot = flink.client().fetch_snapshot(pools, org_id, snapshot_date=days[-1])
        skipped, stats = snapshot.skipped, snapshot.stats
        with warehouse.transaction() as conn:
            obs = record_observation(conn, SOURCE, now, {"flink_statements": snapshot.statements},
                                     run_id=context.run.run_id,
                                     skipped_by_table={"flink_statements": [s["scope"] for s in skipped]},
                                     skipped_detail=skipped)
            replace_quarantine(conn, SOURCE, days[-1], snapshot.quarantine)
        changes = obs.changes["flink_statements"].as_dict()
        context.log.info(f"flink statements observed at {now.isoformat(timespec='seconds')}: {changes}, "
                         f"skipped scopes {len(skipped)}")
    else:
        context.log.info(f"flink statements not collected: {why}")
    written = {}
    for day in days:
        with warehouse.transaction(partition=("flink_statements", day)) as conn:
            written[day] = write_derived_day(conn, day, SOURCE, ("flink_statements",))
            warehouse.record_status(conn, "flink_statements", day, written[day]["rows"]["flink_statements"], None,
                                    context.run.run_id, {"basis": written[day]["basis"]})
    last = written[days[-1]]
    return MaterializeResult(metadata={
        "rows_on_last_day": MetadataValue.int(last["rows"]["flink_statements"]),
        "days": MetadataValue.int(len(days)),
        "observed": MetadataValue.bool(observe),
        "observation": MetadataValue.text(why),
        "changes": MetadataValue.json(changes),
        "skipped_scopes": MetadataValue.json(skipped),
        "listings": MetadataValue.int(int(stats.get("listings", 0))),
        "statements_without_principal": MetadataValue.int(int(stats.get("without_principal", 0))),
        "days_before_first_observation": MetadataValue.int(
            sum(1 for w in written.values() if w["basis"]["before_first_observation"])),
    })
