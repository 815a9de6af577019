"""Confidence and coverage KPIs per day: the share of cost at each confidence level and how it was allocated
(by usage, by ownership, by fallback, unallocated), for the whole org and per team and business unit."""


from decimal import Decimal

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_portal.defs.metadata import usd
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.writes import replace_day_tables
from billing_portal.model.tables import deps_reading
from billing_portal.money import to_units
from billing_portal.resources import WarehouseResource

# The facts of a day reduced to the dimensions confidence needs, from the day rollup that keeps them all (cost_daily:
# team, business unit, confidence, method, reason, principal); compute_confidence only sums amounts, so it gives the
# same answer on these groups as on the raw rows, without reading a million facts back.
GROUPED_FACTS = (
    "SELECT team, business_unit, confidence, allocation_method, principal_id = 'UNALLOCATED' AS unallocated,"
    " CASE WHEN principal_id = 'UNALLOCATED' THEN 'UNALLOCATED' ELSE '' END AS principal_id,"
    " CASE WHEN allocation_reason = 'usage_expired_before_capture' THEN allocation_reason ELSE '' END"
    " AS allocation_reason, sum(amount_usd) AS amount_usd"
    " FROM cost_daily WHERE usage_date = %s GROUP BY 1, 2, 3, 4, 5, 6, 7"
)


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="allocation", kinds={"postgres"},
       deps=deps_reading("cost_daily"))
def cost_confidence(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Table cost_confidence_daily."""
    from billing_portal.allocation import compute_confidence

    days = window_days(context)
    latest = {}
    for day in days:
        grouped = warehouse.read_frame(GROUPED_FACTS, (day,))
        grouped["amount_units"] = [to_units(Decimal(a)) for a in grouped["amount_usd"]]
        grouped["amount_units"] = grouped["amount_units"].astype("int64")
        conf = compute_confidence(grouped)
        with warehouse.transaction(partition=("cost_confidence", day)) as conn:
            replace_day_tables(conn, day, {"cost_confidence_daily": conf}, "usage_date")
            warehouse.record_status(conn, "cost_confidence", day, len(conf), None, context.run.run_id)
        total = conf[conf["scope_type"] == "total"]
        if len(total):
            latest = {"latest_day": MetadataValue.text(day.isoformat())}
            latest.update({k: usd(total.iloc[0][k]) for k in total.columns if k.endswith("_usd")})
    # The newest day's totals by confidence and method, one number each (plotted by the UI across runs).
    return MaterializeResult(metadata={"days": MetadataValue.int(len(days)), **latest})
