"""The `/metrics` publication ledger as an asset: after the facts of a day range are written, every day of the
window (`RESTATEMENT_WINDOW_DAYS` + 1 days ending at the newest complete day) whose facts changed since the ledger
compared them gets its new samples and corrections (ledger.py). The sidecar's `/metrics` only reads the ledger."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.model.tables import deps_reading
from billing_portal.resources import WarehouseResource


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="publish", kinds={"postgres"},
       deps=deps_reading("cost_hourly_team"))  # the hourly rollup its samples are summed from
def metrics_ledger(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Table sidecar_metric_ledger (hourly samples and their corrections, what /metrics exposes) and
    sidecar_metric_sync (the facts' materialization each day was last compared with)."""
    from billing_portal.defs.metrics.ledger import sync
    from billing_portal.sidecar.query import newest_complete_day

    days = window_days(context)
    window = warehouse.metrics_window_days
    with warehouse.connect(autocommit=True) as conn:
        newest, _ = newest_complete_day(conn)
        published = sync(conn, newest, window)
        for day in days:  # the days of this run: compared (in the window) or outside it
            warehouse.record_status(conn, "metrics_ledger", day, published.get(day, 0), None, context.run.run_id,
                                    {"compared": day in published})
    return MaterializeResult(metadata={
        "samples_published": MetadataValue.int(sum(published.values())),
        "days_compared": MetadataValue.int(len(published)),
        "window_days": MetadataValue.int(window),
        "newest_complete_day": MetadataValue.text(newest.isoformat() if newest else "none"),
    })
