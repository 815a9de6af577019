"""Raw billing costs (billing/v1/costs): one row per bill line and day, de-duplicated; unusable rows quarantined."""


import datetime as dt
from decimal import Decimal

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from billing_portal.defs.billing.publish import COLLECTED_LINES, COLLECTED_QUARANTINE
from billing_portal.defs.metadata import usd
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.writes import replace_day_tables, replace_quarantine
from billing_portal.model.tables import deps_reading
from billing_portal.resources import ConfluentCloudResource, WarehouseResource


def _org_id(warehouse: WarehouseResource, day) -> str | None:
    rows = warehouse.query(
        "SELECT org_id FROM organizations WHERE snapshot_date <= %s ORDER BY snapshot_date DESC, org_id LIMIT 1",
        (day,))
    return rows[0][0] if rows else None


@asset(
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="billing",
    kinds={"postgres"},
    pool="confluent_api",
    deps=deps_reading("organizations"),
    check_specs=[AssetCheckSpec("no_quarantined_rows", asset="billing_costs",
                                description="WARN when bill rows could not be parsed and were kept aside.")],
)
def billing_costs(context: AssetExecutionContext, confluent: ConfluentCloudResource,
                  warehouse: WarehouseResource) -> MaterializeResult:
    """Daily bill lines for every product, as Confluent reports them (up to 72 h late, restated after)."""
    days = window_days(context)
    batch = confluent.billing().fetch_costs(days[0], days[-1] + dt.timedelta(days=1))
    lines, quarantine = batch.lines, batch.quarantine
    total_lines, total_amount, total_quarantined = 0, Decimal(0), 0
    restated = []
    for day in days:
        day_lines = lines[lines["usage_date"] == day].copy()
        day_lines["org_id"] = _org_id(warehouse, day)
        day_q = quarantine[quarantine["usage_date"] == day]
        amount = sum(day_lines["amount"], Decimal(0))
        with warehouse.transaction(partition=("billing_costs", day)) as conn:
            # Collected, not yet published: the facts asset publishes the bill with the facts allocated from it.
            replace_day_tables(conn, day, {COLLECTED_LINES: day_lines}, "usage_date")
            replace_quarantine(conn, "billing", day, day_q, table=COLLECTED_QUARANTINE)
            prev = warehouse.record_status(conn, "billing_costs", day, len(day_lines), amount, context.run.run_id,
                                           {"quarantined": len(day_q)})
        if prev is not None and prev["amount_usd"] is not None and prev["amount_usd"] != amount:
            restated.append({"day": day.isoformat(), "before_usd": str(prev["amount_usd"]), "after_usd": str(amount)})
        total_lines += len(day_lines)
        total_amount += amount
        total_quarantined += len(day_q)
    context.log.info(f"billing: {total_lines} lines, {total_amount} USD, {total_quarantined} quarantined, "
                     f"{batch.duplicates} duplicates removed, {len(days)} day(s)")
    metadata = {
        "lines": MetadataValue.int(total_lines),
        "billed_usd": usd(total_amount),
        "quarantined_rows": MetadataValue.int(total_quarantined),
        "duplicate_rows_removed": MetadataValue.int(int(batch.duplicates)),
        "days": MetadataValue.int(len(days)),
        "restated_days": MetadataValue.json(restated),
    }
    return MaterializeResult(metadata=metadata, check_results=[AssetCheckResult(
        check_name="no_quarantined_rows", passed=total_quarantined == 0, severity=AssetCheckSeverity.WARN,
        metadata={"quarantined_rows": MetadataValue.int(total_quarantined)})])
